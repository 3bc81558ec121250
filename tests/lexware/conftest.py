"""Fixtures for the client's tests: a fast sandbox, an OAuth connection made by clicking
"allow", and a scripted server for what the sandbox cannot be made to do (a 503 or a dropped
connection on a GET, a Retry-After)."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from client_helpers import API_KEY, REDIRECT_URI, consent

import lexware.client
from lexware import ApiKeyAuth, LexwareClient, OAuthApp, make_pkce_pair


@pytest.fixture
def short_backoff(monkeypatch):
    """Retries after milliseconds, for tests about what is retried, not when."""
    monkeypatch.setattr(lexware.client, "BACKOFF_BASE", 0.01)


@pytest.fixture
def fast_sandbox(sandbox):
    """The sandbox with its rate limit out of the way, for tests not about the limit."""
    sandbox.configure(rate=1000.0, burst=1000)
    return sandbox


@pytest.fixture
def client(fast_sandbox):
    return LexwareClient(fast_sandbox.url, ApiKeyAuth(API_KEY), rate=1000.0)


class ScriptedServer:
    """Answers each request with the next scripted reply; ("drop",) closes without answering,
    ("slow", seconds, reply) answers `reply` after a pause.

    Once the script is used up it answers 200 `{}`.
    """

    def __init__(self):
        self.script = []
        self.seen = []
        self.received = []  # (headers, raw body) of each request, in order
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
                body = self.rfile.read(length)
                server.seen.append((self.command, self.path))
                server.received.append((dict(self.headers), body))
                reply = server.script.pop(0) if server.script else (200, {}, b"{}")
                if reply[0] == "slow":
                    time.sleep(reply[1])
                    reply = reply[2]
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


@pytest.fixture
def app(fast_sandbox):
    return OAuthApp(fast_sandbox.url, "sandbox-client", "sandbox-secret", REDIRECT_URI)


@pytest.fixture
def tokens(app):
    verifier, challenge = make_pkce_pair()
    redirect = consent(app.authorize_url("state-123", challenge))
    assert redirect["state"] == "state-123"
    return app.exchange_code(redirect["code"], verifier)
