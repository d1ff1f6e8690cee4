"""Run the whole marketplace locally: web server, Celery worker with beat, Stripe sandbox.

Embedded defaults need no services: SQLite, kombu's filesystem broker and the local Stripe
sandbox (a separate process, started here only when no real Stripe key is configured). The
sandbox is the development package ``stripe_sandbox`` beside ``marketplace/`` (not in the wheel):
it is run as a module from the repository, never imported.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start web server, Celery worker (+beat) and the local Stripe sandbox together."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args: Any, host: str, port: int, concurrency: int, **options: Any) -> None:
        bin_dir = Path(sys.executable).parent
        var = settings.VAR_DIR
        var.mkdir(parents=True, exist_ok=True)
        site = f"http://{host}:{port}"
        env = {
            **os.environ,
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "1"),
            "LIKENESS_SITE_URL": os.environ.get("LIKENESS_SITE_URL", site),
        }
        commands: dict[str, list[str]] = {}
        if settings.STRIPE_API_BASE.startswith(("http://127.0.0.1", "http://localhost")):
            sandbox_port = settings.STRIPE_API_BASE.rsplit(":", 1)[-1].strip("/")
            commands["stripe-sandbox"] = [
                sys.executable,
                "-m",
                "stripe_sandbox",
                "--port",
                sandbox_port,
                "--db",
                str(var / "stripe_sandbox.sqlite3"),
                "--forward-to",
                f"{site}/payments/stripe/webhook/",
                "--webhook-secret",
                settings.STRIPE_WEBHOOK_SECRET,
            ]
        commands["worker"] = [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "-B",
            "-l",
            "INFO",
            "-c",
            str(concurrency),
            "--schedule",
            str(var / "celerybeat-schedule"),
        ]
        commands["web"] = [sys.executable, "manage.py", "runserver", f"{host}:{port}"]
        procs = {
            name: subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)  # noqa: S603
            for name, cmd in commands.items()
        }

        def stop(*_: object) -> None:
            for proc in procs.values():
                if proc.poll() is None:
                    proc.terminate()
            for proc in procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()

        def on_sigterm(*_: object) -> None:
            stop()
            sys.exit(0)

        signal.signal(signal.SIGTERM, on_sigterm)
        try:
            self._wait_until_up(f"{site}/health/", procs["web"])
            self.stdout.write(
                self.style.SUCCESS(
                    f"\nLikeness is running at {site}/  (processes: {', '.join(procs)})\n"
                    f"Sign in with the demo logins printed above (password: likeness-demo). "
                    f"Ctrl-C stops everything.\n"
                )
            )
            while all(p.poll() is None for p in procs.values()):
                time.sleep(0.5)
            dead = [n for n, p in procs.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(dead)} stopped; shutting down the rest.")
        except KeyboardInterrupt:
            pass
        finally:
            stop()

    def _wait_until_up(self, url: str, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local URL
                    return
            except OSError:
                time.sleep(0.3)
