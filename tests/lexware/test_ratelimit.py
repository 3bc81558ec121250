"""The token bucket's spacing, measured on a fake clock, and its sharing across clients."""

import itertools
import threading

from lexware import ApiKeyAuth, LexwareClient, TokenBucket, shared_bucket


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_spacing_follows_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(1.94, burst=1, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(100):
        bucket.acquire()
        starts.append(clock.now)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert starts[0] == 0.0
    assert min(gaps) >= 1 / 1.94 - 1e-9
    assert 99 / starts[-1] >= 1.9


def test_burst_then_spacing():
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=2, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(4)]
    assert waits == [0.0, 0.0, 0.5, 0.5]


def test_a_wait_longer_than_allowed_takes_no_token():
    clock = FakeClock()
    bucket = TokenBucket(1.0, burst=1, clock=clock, sleep=clock.sleep)
    assert bucket.acquire() == 0.0
    assert bucket.acquire(max_wait=0.5) is None
    assert clock.now == 0.0, "nothing waited"
    assert bucket.acquire(max_wait=1.0) == 1.0, "the refused caller took no slot"


def test_idle_time_refills_only_up_to_the_burst():
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=1, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    clock.now += 100.0
    assert [bucket.acquire() for _ in range(2)] == [0.0, 0.5]


def test_reservations_are_spaced_in_arrival_order():
    """Threads reserve under the lock and sleep apart: the slots never collide."""
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=1, clock=clock, sleep=lambda seconds: None)
    waits = []
    lock = threading.Lock()

    def take():
        wait = bucket.reserve()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=take) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [n * 0.5 for n in range(10)]


def test_defer_holds_back_everyone():
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=1, clock=clock, sleep=clock.sleep)
    bucket.defer(3.0)
    assert bucket.acquire() == 3.0
    assert bucket.acquire() == 0.5


def test_shared_bucket_is_one_per_key():
    first = shared_bucket("test-key-a", 2.0, 1)
    assert shared_bucket("test-key-a", 2.0, 1) is first
    assert shared_bucket("test-key-b", 2.0, 1) is not first


def test_clients_of_one_credential_share_a_bucket():
    first = LexwareClient("http://127.0.0.1:9", ApiKeyAuth("k1"))
    second = LexwareClient("http://127.0.0.1:9", ApiKeyAuth("k1"))
    other = LexwareClient("http://127.0.0.1:9", ApiKeyAuth("k2"))
    assert first._bucket is second._bucket
    assert first._bucket is not other._bucket


def test_client_stays_a_little_under_the_rate():
    client = LexwareClient("http://127.0.0.1:9", ApiKeyAuth("k3"), rate=2.0)
    assert 1.9 <= client._bucket.rate < 2.0
