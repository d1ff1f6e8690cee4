"""HTTP server and command line: ``python -m stripe_sandbox``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .app import App, Request
from .core import Config, random_token

log = logging.getLogger("stripe_sandbox")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LikenessStripeSandbox/1.0"
    # Headers and body go out in separate writes: without TCP_NODELAY every keep-alive
    # response would wait for the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: SandboxServer

    def _dispatch(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            return
        body = self.rfile.read(length) if length > 0 else b""
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=url.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response = self.server.app.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: App, *, verbose: bool = False) -> None:
        self.app = app
        self.verbose = verbose
        super().__init__(address, Handler)


def parse_endpoint_limit(text: str) -> tuple[str, int]:
    route, _, number = text.rpartition("=")
    if not route or not number.isdigit():
        raise argparse.ArgumentTypeError(f"expected 'METHOD /v1/path=N', got {text!r}")
    return route.strip(), int(number)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_sandbox",
        description="Likeness Stripe sandbox: a local server speaking Stripe's HTTP API.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument("--db", default="var/stripe_sandbox.sqlite3", help="SQLite state file")
    parser.add_argument("--reset", action="store_true", help="wipe the state before starting")
    parser.add_argument(
        "--public-url", help="base URL browsers use to reach the sandbox (default: request Host)"
    )
    parser.add_argument("--forward-to", help="also POST every event to this URL (stripe listen)")
    parser.add_argument(
        "--webhook-secret", help="signing secret for --forward-to (default: generated, printed)"
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        nargs="?",
        const=25,
        default=None,
        help="overall requests per second before 429 (25 when given without a value; off by "
        "default)",
    )
    parser.add_argument(
        "--endpoint-rate-limit",
        type=parse_endpoint_limit,
        action="append",
        default=[],
        metavar="'METHOD /v1/path=N'",
        help="per-endpoint limit, e.g. 'POST /v1/transfers=5' (repeatable)",
    )
    parser.add_argument("--idempotency-ttl", type=float, default=24 * 3600, metavar="SECONDS")
    parser.add_argument("--webhook-retry-base", type=float, default=2.0, metavar="SECONDS")
    parser.add_argument("--webhook-max-attempts", type=int, default=8)
    parser.add_argument("--webhook-timeout", type=float, default=10.0, metavar="SECONDS")
    parser.add_argument("--webhook-threads", type=int, default=4)
    parser.add_argument("--fee-percent", default="2.9", help="card fee percentage (default 2.9)")
    parser.add_argument("--fee-fixed", type=int, default=30, help="card fee fixed part in cents")
    parser.add_argument(
        "--available-delay",
        type=float,
        default=2 * 86400,
        metavar="SECONDS",
        help="how long card funds stay pending (default 2 days, as in test mode; 0: at once)",
    )
    parser.add_argument(
        "--payout-delay",
        type=float,
        default=2 * 86400,
        metavar="SECONDS",
        help="from a payout's creation to its arrival_date (default 2 days)",
    )
    parser.add_argument("--ready-file", help="write {'port': ..., 'pid': ...} here once listening")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    try:
        args.fee_percent = Decimal(args.fee_percent)
    except InvalidOperation:
        parser.error(f"--fee-percent: not a number: {args.fee_percent}")
    return args


def build_config(args: argparse.Namespace) -> Config:
    return Config(
        rate_limit=args.rate_limit or None,
        endpoint_rate_limits=dict(args.endpoint_rate_limit),
        idempotency_ttl=args.idempotency_ttl,
        webhook_retry_base=args.webhook_retry_base,
        webhook_max_attempts=args.webhook_max_attempts,
        webhook_timeout=args.webhook_timeout,
        forward_to=args.forward_to,
        webhook_secret=args.webhook_secret
        or (("whsec_" + random_token(32)) if args.forward_to else None),
        fee_percent=args.fee_percent,
        fee_fixed=args.fee_fixed,
        public_url=args.public_url.rstrip("/") if args.public_url else None,
        available_delay=args.available_delay,
        payout_delay=args.payout_delay,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    app = App(args.db, build_config(args), threads=args.webhook_threads)
    if args.reset:
        app.reset()
    server = SandboxServer((args.host, args.port), app, verbose=args.verbose)
    host, port = args.host, server.server_address[1]
    app.start()

    def stop(*_: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(
        f"Likeness Stripe sandbox listening on http://{host}:{port} (state: {args.db})", flush=True
    )
    if app.config.forward_to:
        print(
            f"Forwarding events to {app.config.forward_to}; your webhook signing secret is "
            f"{app.config.webhook_secret}",
            flush=True,
        )
    if args.ready_file:
        ready = Path(args.ready_file)
        partial = ready.with_name(ready.name + ".tmp")
        partial.write_text(json.dumps({"port": port, "pid": os.getpid(), "host": host}))
        partial.replace(ready)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        app.close()
    return 0
