"""Thread-safe event counts, read by tests and soak runs."""

import threading

NAMES = (
    "requests",
    "rate_limited",
    "unauthorized",
    "fault_503",
    "fault_504",
    "dropped",
    "payment_required",
    "scripted_500",
    "scripted_502",
    "scripted_503",
    "scripted_504",
    "vouchers_created",
    "vouchers_updated",
    "files_uploaded",
    "scans_uploaded",
    "contacts_created",
    "contacts_read",
    "contacts_updated",
    "event_subscriptions_created",
)


class Counters:
    def __init__(self):
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(NAMES, 0)

    def add(self, name):
        with self._lock:
            self._counts[name] += 1

    def snapshot(self):
        with self._lock:
            return dict(self._counts)
