"""Fixtures for the client's tests: a fast sandbox, an OAuth connection made by clicking
"allow", and a scripted server for what the sandbox cannot be made to do (a 503 or a dropped
connection on a GET, a Retry-After)."""

import socket
import threading
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from lexware import ApiKeyAuth, LexwareClient, OAuthApp, make_pkce_pair

API_KEY = "sandbox-api-key"
SERVICES = "8f8664a0-fd86-11e1-a21f-0800200c9a66"


@pytest.fixture
def fast_sandbox(sandbox):
    """The sandbox with its rate limit out of the way, for tests not about the limit."""
    sandbox.configure(rate=1000.0, burst=1000)
    return sandbox


@pytest.fixture
def client(fast_sandbox):
    return LexwareClient(fast_sandbox.url, ApiKeyAuth(API_KEY), rate=1000.0)


def voucher_payload(number, net="100.00", voucher_type="salesinvoice", date="2024-05-10"):
    net_amount = float(net)
    tax = round(net_amount * 0.19, 2)
    return {
        "type": voucher_type,
        "voucherNumber": number,
        "voucherDate": date,
        "totalGrossAmount": round(net_amount + tax, 2),
        "totalTaxAmount": tax,
        "taxType": "net",
        "useCollectiveContact": True,
        "voucherItems": [
            {
                "amount": net_amount,
                "taxAmount": tax,
                "taxRatePercent": 19,
                "categoryId": SERVICES,
            }
        ],
    }


def free_port():
    """A port nobody listens on: bound once to learn it, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScriptedServer:
    """Answers each request with the next scripted reply; ("drop",) closes without answering.

    Once the script is used up it answers 200 `{}`.
    """

    def __init__(self):
        self.script = []
        self.seen = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self._reply()

            def do_POST(self):
                self._reply()

            def _reply(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                server.seen.append((self.command, self.path))
                reply = server.script.pop(0) if server.script else (200, {}, b"{}")
                if reply[0] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, headers, body = reply
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def scripted():
    with ScriptedServer() as server:
        yield server


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


@pytest.fixture
def app(fast_sandbox):
    return OAuthApp(fast_sandbox.url, "sandbox-client", "sandbox-secret", REDIRECT_URI)


@pytest.fixture
def tokens(app):
    verifier, challenge = make_pkce_pair()
    redirect = consent(app.authorize_url("state-123", challenge))
    assert redirect["state"] == "state-123"
    return app.exchange_code(redirect["code"], verifier)
