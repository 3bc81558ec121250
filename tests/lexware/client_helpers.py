"""Plain helpers for the client's tests: the sandbox's key, clicking "allow"."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests

API_KEY = "sandbox-api-key"
SERVICES = "8f8664a0-fd86-11e1-a21f-0800200c9a66"
REDIRECT_URI = "https://odoo.example/lexware/oauth/callback"


class ConsentForm(HTMLParser):
    """The form holding the button id=allow: its action and the fields clicking it posts."""

    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}
        self._action, self._inputs, self._allow = None, {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._action, self._inputs, self._allow = attrs.get("action", ""), {}, None
        elif tag == "input" and attrs.get("name"):
            self._inputs[attrs["name"]] = attrs.get("value", "")
        elif tag == "button" and attrs.get("id") == "allow":
            self._allow = attrs

    def handle_endtag(self, tag):
        if tag == "form" and self._allow is not None:
            self.action, self.fields = self._action, dict(self._inputs)
            if self._allow.get("name"):
                self.fields[self._allow["name"]] = self._allow.get("value", "")


def consent(url):
    """Click "allow" on the consent page; answer the query of the redirect."""
    page = requests.get(url, timeout=5)
    page.raise_for_status()
    form = ConsentForm()
    form.feed(page.text)
    assert form.action is not None, "no allow button on the consent page"
    answer = requests.post(
        urljoin(page.url, form.action), data=form.fields, allow_redirects=False, timeout=5
    )
    assert answer.status_code in (302, 303), answer.status_code
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
