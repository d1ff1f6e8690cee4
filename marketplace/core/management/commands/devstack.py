"""Run the whole marketplace locally: web server, Celery worker with beat, Stripe sandbox.

Embedded defaults need no services: SQLite, kombu's filesystem broker and the local Stripe
sandbox (a separate process, started here only when no real Stripe key is configured). The
sandbox is the development package ``stripe_sandbox`` beside ``marketplace/`` (not in the wheel):
it is run as a module from the repository, never imported.

The terminal keeps the web server's request log; the worker's and the sandbox's output go to
``var/log/<process>.log``. Once the site answers, a short banner with the URL and the demo logins
(written by ``load_demo``) comes last. Pages render as people see them (``DEBUG`` off: friendly
error pages, static files served by ``runserver --insecure``); ``DJANGO_DEBUG=1`` brings back
Django's debug pages.
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
            "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "0"),
            "LIKENESS_SITE_URL": os.environ.get("LIKENESS_SITE_URL", site),
            # The demo delivers webhooks to receivers on this machine, as DEBUG used to allow.
            "LIKENESS_WEBHOOK_ALLOW_PRIVATE_URLS": os.environ.get(
                "LIKENESS_WEBHOOK_ALLOW_PRIVATE_URLS", "1"
            ),
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
        # --insecure: runserver serves static files with DEBUG off too (development only).
        commands["web"] = [
            sys.executable,
            "manage.py",
            "runserver",
            "--insecure",
            f"{host}:{port}",
        ]
        log_dir = var / "log"
        log_dir.mkdir(exist_ok=True)
        logs = {name: log_dir / f"{name}.log" for name in commands if name != "web"}
        procs: dict[str, subprocess.Popen] = {}
        for name, cmd in commands.items():
            if name in logs:
                with logs[name].open("ab") as log:
                    log.write(f"\n--- {name} started {time.strftime('%F %T')}\n".encode())
                    procs[name] = subprocess.Popen(  # noqa: S603
                        cmd, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
                    )
            else:
                procs[name] = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR)  # noqa: S603

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
            self.stdout.write(self._banner(site, logs))
            while all(p.poll() is None for p in procs.values()):
                time.sleep(0.5)
            dead = [n for n, p in procs.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(dead)} stopped; shutting down the rest.")
            for name in dead:
                if name in logs:
                    self.stderr.write(f"Last lines of {logs[name]}:\n{_tail(logs[name])}")
        except KeyboardInterrupt:
            pass
        finally:
            stop()

    def _banner(self, site: str, logs: dict[str, Path]) -> str:
        logins = settings.VAR_DIR / "demo-logins.txt"  # written by `manage.py load_demo`
        if logins.exists():
            body = logins.read_text(encoding="utf-8").rstrip()
        else:
            body = "No demo data yet: `python manage.py load_demo` creates it and its logins."
        rule = "=" * 78
        lines = [
            "",
            rule,
            self.style.SUCCESS(f"Likeness is running at {site}/"),
            "",
            body,
            "",
            "Logs: web requests here; " + "; ".join(f"{n} in {p}" for n, p in logs.items()),
            "Ctrl-C stops everything.",
            rule,
            "",
        ]
        return "\n".join(lines)

    def _wait_until_up(self, url: str, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local URL
                    return
            except OSError:
                time.sleep(0.3)


def _tail(path: Path, lines: int = 20) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
