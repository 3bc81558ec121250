"""Chosen failures: random ones for writes (503 before, 504 after, or a dropped
connection after), and scripted ones a test asks for by status."""

import random
import threading
from dataclasses import dataclass

UNAVAILABLE = "503"
GATEWAY_TIMEOUT = "504"
DROP = "drop"


class FaultInjector:
    def __init__(self, fault_rate=0.0, drop_rate=0.0, latency_ms=0, seed=None):
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.fault_rate = fault_rate
        self.drop_rate = drop_rate
        self.latency_ms = latency_ms

    def configure(self, fault_rate=None, drop_rate=None, latency_ms=None, seed=None):
        with self._lock:
            if fault_rate is not None:
                self.fault_rate = fault_rate
            if drop_rate is not None:
                self.drop_rate = drop_rate
            if latency_ms is not None:
                self.latency_ms = latency_ms
            if seed is not None:
                self._random = random.Random(seed)

    def choose(self):
        """The fault for one write request, or None to answer it normally."""
        with self._lock:
            if self._random.random() < self.fault_rate:
                return UNAVAILABLE if self._random.random() < 0.5 else GATEWAY_TIMEOUT
            if self._random.random() < self.drop_rate:
                return DROP
            return None


# Scripted failures: status -> (body, carried out unless the test says otherwise).
# 500 reads as Lexware documents it; 502 and 504 come from its gateway.
SCRIPTED = {
    500: ({"message": "Internal server error or rate limit exceeded"}, False),
    502: ({"message": "Internal server error"}, False),
    503: (None, False),
    504: ({"message": "Endpoint request timed out"}, True),
}


@dataclass
class Scripted:
    status: int
    carried_out: bool
    method: str | None


class FailureScript:
    """The next /v1 requests' failures, in order; each one answers one request."""

    def __init__(self):
        self._lock = threading.Lock()
        self._queue = []

    def add(self, status, times=1, carried_out=None, method=None):
        if status not in SCRIPTED:
            raise ValueError(f"no scripted failure for status {status}")
        if carried_out is None:
            carried_out = SCRIPTED[status][1]
        with self._lock:
            self._queue.extend(Scripted(status, carried_out, method) for _ in range(times))

    def clear(self):
        with self._lock:
            self._queue.clear()

    def take(self, method):
        """The first queued failure for this method, removed from the queue, or None."""
        with self._lock:
            for n, failure in enumerate(self._queue):
                if failure.method in (None, method):
                    return self._queue.pop(n)
            return None
