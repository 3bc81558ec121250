"""Lexware's token bucket: one per client credential, over all /v1 endpoints."""

import threading
import time


class RateLimiter:
    def __init__(self, rate, burst, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self._buckets = {}
        self.rate = rate
        self.burst = burst

    def configure(self, rate=None, burst=None):
        with self._lock:
            if rate is not None:
                self.rate = rate
            if burst is not None:
                self.burst = burst
            self._buckets.clear()

    def allow(self, credential):
        """Takes one token from the credential's bucket; False when it is empty."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(credential, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1:
                self._buckets[credential] = (tokens, now)
                return False
            self._buckets[credential] = (tokens - 1, now)
            return True
