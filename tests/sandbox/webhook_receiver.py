"""A callback URL for the sandbox's webhook deliveries: records each POST and answers the
next scripted status (200 once the script is used up)."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.statuses = []
        self.delay = 0.0  # seconds before each answer
        self.received = []  # (path, headers, raw body)
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def url(self, path="/lexware/webhook"):
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def wait_for(self, count, timeout=30.0):
        """The first `count` deliveries, waiting for them up to `timeout` seconds (the first
        delivery of a test run may wait seconds for the sandbox's new signing key)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received[:count])
            time.sleep(0.01)
        raise AssertionError(f"{len(self.received)} deliveries arrived, not {count}")

    def _handler_class(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                time.sleep(receiver.delay)
                with receiver._lock:
                    receiver.received.append((self.path, dict(self.headers), raw))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()
