"""Helpers for the sandbox's own tests: an authorised client, contacts, the answers' checks."""

import requests

API_KEY = "sandbox-api-key"
SERVICES = "8f8664a0-fd86-11e1-a21f-0800200c9a66"
INTRA_EU = "9075a4e3-66de-4795-a016-3889feca0d20"
KLEINUNTERNEHMER = "f5c7fee8-f184-4e7a-ab04-8f7e7ad6c207"
OSS_DISTANCE = "7c112b66-0565-479c-bc18-5845e080880a"
OUTGO = "8f8664a2-fd86-11e1-a21f-0800200c9a66"
PDF = b"%PDF-1.4\n% sandbox test document\n"


class Api:
    """requests with the base URL and a bearer token filled in."""

    def __init__(self, base_url, token):
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, **kwargs):
        return self.session.request(method, self.base_url + path, timeout=10, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def put(self, path, **kwargs):
        return self.request("PUT", path, **kwargs)


def company(name="Kunde GmbH", **overrides):
    body = {"version": 0, "roles": {"customer": {}}, "company": {"name": name}}
    body.update(overrides)
    return body


def issues(response):
    """The (i18nKey, source) pairs of a 406 IssueList answer."""
    assert response.status_code == 406, response.text
    return {(item["i18nKey"], item["source"]) for item in response.json()["IssueList"]}


def assert_regular_error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    assert set(body) == {"timestamp", "status", "error", "path", "traceId", "message", "details"}
    return body
