"""python -m lexware_sandbox: the sandbox as its own process."""

import argparse
import signal
import threading

from . import webhooks
from .server import SandboxServer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m lexware_sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", default="lexware_sandbox.sqlite3")
    parser.add_argument("--rate", type=float, default=2.0)
    parser.add_argument("--burst", type=int, default=2)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--drop-rate", type=float, default=0.0)
    parser.add_argument("--latency", type=int, default=0, help="milliseconds")
    parser.add_argument("--api-key", action="append", dest="api_keys")
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--token-ttl", type=int, default=3600)
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--webhook-http",
        action="store_true",
        help="deliver webhooks to http callbacks too (Lexware calls https only)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    sandbox = SandboxServer(
        port=args.port,
        db=args.db,
        rate=args.rate,
        burst=args.burst,
        fault_rate=args.fault_rate,
        drop_rate=args.drop_rate,
        latency_ms=args.latency,
        api_keys=tuple(args.api_keys or ("sandbox-api-key",)),
        client_id=args.client_id,
        client_secret=args.client_secret,
        token_ttl=args.token_ttl,
        seed=args.seed,
    )
    sandbox.configure(webhook_http_allowed=args.webhook_http)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with sandbox:
        print(f"Lexware sandbox listening on {sandbox.url}", flush=True)
        stopped.wait()
    # The signing key may still be in the making on a daemon thread: interpreter shutdown
    # under OpenSSL's feet ends the process with SIGSEGV instead of 0.
    webhooks.private_key()


if __name__ == "__main__":
    main()
