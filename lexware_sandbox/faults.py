"""Chosen failures for writes: 503 before, 504 after, or a dropped connection after."""

import random
import threading

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
