"""How close the client gets to Lexware's rate limit without meeting a 429.

Run: python tests/bench/bench_client.py [--requests 200] [--rate 2.0] [--threads 1]

Starts an in-process sandbox limited like Lexware (token bucket, capacity 2, 2 req/s),
sends a mix of GET profile, GET voucherlist and POST vouchers, and prints the achieved
rate, the limit and the 429s the server and the client saw. Exits 1 below the target of
95 % of the limit with zero 429.
"""

import argparse
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "lexware_connector"), str(ROOT / "tests")]

from voucher_payloads import voucher  # noqa: E402

from lexware import ApiKeyAuth, LexwareClient  # noqa: E402
from lexware_sandbox import SandboxServer  # noqa: E402

API_KEY = "sandbox-api-key"
TARGET_SHARE = 0.95


class Count429(logging.Handler):
    """Counts the 429s the client met, from its retry log lines."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.seen = 0

    def emit(self, record):
        if "(429)" in record.getMessage():
            self.seen += 1


def one_request(client, n):
    kind = n % 4
    if kind == 0:
        client.create_voucher(voucher(f"BENCH-{n}"))
    elif kind == 1:
        client.find_vouchers_by_number(f"BENCH-{n - 1}")
    else:
        client.get_profile()


def run(requests, rate, threads):
    counter = Count429()
    logger = logging.getLogger("lexware")
    logger.addHandler(counter)
    logger.setLevel(logging.INFO)
    with SandboxServer(port=0, db=":memory:", rate=rate, burst=2) as sandbox:

        def work(first):
            # A client per thread, as the Odoo side makes them; they share one bucket.
            client = LexwareClient(sandbox.url, ApiKeyAuth(API_KEY), rate=rate)
            for n in range(first, requests, threads):
                one_request(client, n)

        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(work, range(threads)))
        elapsed = time.monotonic() - started
        counters = sandbox.counters()
    return requests / elapsed, elapsed, counters, counter.seen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2.0, help="the sandbox's limit, req/s")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    achieved, elapsed, counters, client_429 = run(args.requests, args.rate, args.threads)
    server_429 = counters["rate_limited"]
    print(f"requests          {args.requests} in {elapsed:.1f} s, {args.threads} thread(s)")
    print(f"requests (server) {counters['requests']}")
    print(f"limit             {args.rate:.2f} req/s (sandbox bucket, capacity 2)")
    print(f"achieved          {achieved:.3f} req/s ({achieved / args.rate:.1%} of the limit)")
    print(f"429 (server)      {server_429}")
    print(f"429 (client)      {client_429}")
    print(f"vouchers created  {counters['vouchers_created']}")
    ok = achieved >= TARGET_SHARE * args.rate and server_429 == 0 and client_429 == 0
    print("target            " + ("met" if ok else "MISSED") + " (>= 95 % of the limit, no 429)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
