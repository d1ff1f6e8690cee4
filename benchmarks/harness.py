"""What every benchmark shares: database and Django setup, gunicorn, the HTTP load generator,
figures, the machine's description, JSON output and the check of the sizes measured.

Benchmarks are run as modules from the repository's root (`python -m benchmarks.catalogue`),
so `config`, `marketplace` and `benchmarks` import without touching `sys.path`; servers,
workers and the load generator are started with the same interpreter in the same folder.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "benchmarks.bench_settings"
WARMUP_SECONDS = 3.0


# --- Database and Django -------------------------------------------------------------------


def configure_django(
    settings_module: str = SETTINGS_MODULE,
    *,
    database_url: str,
    redis_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Point Django at `settings_module` and the benchmark's database (DATABASE_URL, else
    `database_url`; REDIS_URL likewise), set `env`, create the database if missing, set up."""
    os.environ.setdefault("DATABASE_URL", database_url)
    if redis_url is not None:
        os.environ.setdefault("REDIS_URL", redis_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(env or {})
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()


def database_config(url: str) -> dict[str, Any]:
    """The parsed `url`; exits unless it names a PostgreSQL database."""
    import dj_database_url

    config: dict[str, Any] = dict(dj_database_url.parse(url))
    if "postgresql" not in config["ENGINE"]:
        sys.exit(f"DATABASE_URL must point at PostgreSQL, not {config['ENGINE']}")
    return config


def server_conninfo(config: Mapping[str, Any]) -> str:
    """A connection string to the maintenance database of the server `config` names."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(
        dbname="postgres",
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
    )


def ensure_database(url: str, name: str | None = None) -> None:
    """Create the PostgreSQL database named in `url` (or `name`, on the same server) if it
    does not exist yet."""
    import psycopg
    from psycopg import sql

    config = database_config(url)
    name = name or config["NAME"]
    with psycopg.connect(server_conninfo(config), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def vacuum_analyse() -> None:
    """Bring the database to the steady state autovacuum keeps a live one in: planner
    statistics for every column (a freshly added one has none, and is then misestimated)
    and a visibility map for index-only scans. Runs every time, seeded now or not."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    assert row is not None
    return f"PostgreSQL {row[0]}"


# --- Sizes ---------------------------------------------------------------------------------


class SizeMismatch(RuntimeError):
    """A benchmark measured other sizes than it names, or compared a size with itself."""


def distinct_sizes(sizes: Sequence[int]) -> list[int]:
    """`sizes` to compare, ascending; raises SizeMismatch when one is given twice (its
    label would name one size where two are compared) or fewer than two are given."""
    if len(set(sizes)) < len(sizes):
        raise SizeMismatch(f"a size is compared with itself: {list(sizes)}")
    if len(sizes) < 2:
        raise SizeMismatch(f"a comparison needs two sizes at least, not {list(sizes)}")
    return sorted(sizes)


def check_sizes(
    measured: Mapping[str, int],
    named: Mapping[str, int],
    *,
    places: Mapping[str, str] | None = None,
) -> None:
    """Print the row counts measured beside the sizes named, then raise SizeMismatch unless
    every named size was measured at exactly its count and nothing else was measured.

    A benchmark comparing sizes with each other also gives `places` (where each size's rows
    live: a database, a schema): then there must be two sizes at least, and no two may be
    equal or share a place, so that no size is ever compared with itself."""
    print(
        "  sizes     "
        + " · ".join(
            f"{label}: {measured.get(label, 0):,} rows measured (named {want:,})"
            + (f" in {places[label]}" if places and label in places else "")
            for label, want in named.items()
        ),
        flush=True,
    )
    wrong = [
        f"{label} measured {measured.get(label)} rows, not {want}"
        for label, want in named.items()
        if measured.get(label) != want
    ]
    if wrong:
        raise SizeMismatch("sizes measured differ from the sizes named: " + ", ".join(wrong))
    extra = sorted(set(measured) - set(named))
    if extra:
        raise SizeMismatch(f"sizes measured but not named: {', '.join(extra)}")
    if places is None:
        return
    if len(named) < 2:
        raise SizeMismatch(f"a comparison needs two sizes at least, not {dict(named)}")
    if len(set(named.values())) < len(named):
        raise SizeMismatch(f"a size is compared with itself: {dict(named)}")
    if set(places) != set(named) or len(set(places.values())) < len(named):
        raise SizeMismatch(f"the sizes compared do not each have a place of their own: {places}")


# --- Sessions and queries ------------------------------------------------------------------


def session_cookie(user: Any) -> str:
    """A signed-in session for `user`, written straight to the store, as a Cookie value."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        load_backend,
    )

    # As Client.force_login: the first backend that can load users (not e.g. django-axes').
    backend = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def queries_per_request(paths: Sequence[str], cookie: str = "") -> dict[str, int]:
    """SQL queries of one request to each path, measured in process after one warm call."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # No collectstatic for a benchmark; WhiteNoise warns once per handler about it.
    warnings.filterwarnings("ignore", message="No directory at")
    client = Client()
    if cookie:
        client.cookies.load(cookie)
    counts = {}
    for path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code} in process; not benchmarking")
        counts[path] = len(captured.captured_queries)
    return counts


# --- Server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    *, port: int, workers: int, log: Any, settings_module: str = SETTINGS_MODULE
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log)


def wait_until_ready(server: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer /health/ in time")


@contextlib.contextmanager
def serving(
    *, workers: int, settings_module: str = SETTINGS_MODULE
) -> Iterator[tuple[int, IO[bytes]]]:
    """gunicorn on a free port, ready to answer: yields (port, log). Its log's tail goes to
    stderr if the body fails; the server is stopped afterwards."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = start_gunicorn(
            port=port, workers=workers, log=log, settings_module=settings_module
        )
        try:
            wait_until_ready(server, port)
            yield port, log
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            stop(server)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- Load generation (runs in a separate process) ------------------------------------------

Sample = tuple[float, int]  # (seconds, HTTP status or 0 for a failed request)


@dataclass(frozen=True)
class Phase:
    name: str
    paths: list[str]
    cookie: str  # empty for the bare view: no session, so authentication never queries
    seconds: float
    recorded: bool


def alternating_phases(
    pair: Sequence[tuple[str, list[str], str]], *, duration: float, rounds: int
) -> list[Phase]:
    """Warm-up of both endpoints, then the two in alternating slices (ABBA…), so that a
    change in background load during the run weighs on both alike."""
    phases = [Phase(name, paths, sent, WARMUP_SECONDS / 2, False) for name, paths, sent in pair]
    for n in range(rounds):
        for name, paths, sent in pair if n % 2 == 0 else reversed(pair):
            phases.append(Phase(name, paths, sent, duration / rounds, recorded=True))
    return phases


def client_loop(
    port: int,
    paths: Sequence[str],
    cookie: str,
    deadline: float,
    offset: int,
    samples: list[Sample],
) -> None:
    """Send requests back to back on one connection (reopened whenever the server closes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Accept": "text/html", **({"Cookie": cookie} if cookie else {})}
    n = offset
    while time.perf_counter() < deadline:
        path = paths[n % len(paths)]
        n += 1
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            status = 0
        samples.append((time.perf_counter() - started, status))
    conn.close()


def run_phase(port: int, phase: Phase, concurrency: int) -> tuple[list[Sample], float]:
    samples: list[Sample] = []  # list.append is atomic under the GIL
    started = time.perf_counter()
    deadline = started + phase.seconds
    threads = [
        threading.Thread(
            target=client_loop, args=(port, phase.paths, phase.cookie, deadline, i * 5, samples)
        )
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, time.perf_counter() - started


def load_process(results: Connection, port: int, phases: list[Phase], concurrency: int) -> None:
    """Entry point of the load-generating process: run each phase, send back its samples."""
    for phase in phases:
        samples, elapsed = run_phase(port, phase, concurrency)
        if phase.recorded:
            results.send((phase.name, samples, elapsed))
    results.close()


def generate_load(
    *, port: int, phases: list[Phase], concurrency: int
) -> dict[str, tuple[list[Sample], float]]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=load_process, args=(sender, port, phases, concurrency))
    process.start()
    sender.close()
    collected: dict[str, tuple[list[Sample], float]] = {}
    for _ in [p for p in phases if p.recorded]:
        name, samples, elapsed = receiver.recv()
        so_far, seconds = collected.get(name, ([], 0.0))
        collected[name] = (so_far + samples, seconds + elapsed)
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the load generator exited with {process.exitcode}")
    return collected


# --- Figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 1.0


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(samples: list[Sample], elapsed: float, *, ok_status: int = 200) -> Figures:
    """Throughput and latency; every answer but `ok_status` counts as an error."""
    latencies = sorted(seconds for seconds, _ in samples)
    return Figures(
        requests=len(samples),
        errors=sum(1 for _, status in samples if status != ok_status),
        requests_per_second=len(samples) / elapsed,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
    )


def machine() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"nproc": nproc, "cpu": model, "python": sys.version.split()[0]}


def backend_cpu_seconds() -> float | None:
    """CPU seconds the database server process of this connection has used so far, when it
    runs on this machine (PostgreSQL: one process per connection); None otherwise.

    On a shared, busy machine wall-clock time mostly measures the queue for the CPU. The CPU
    time of the client and of its server process together is what the work itself costs, and
    what a quiet machine would take (less disk waits)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    # utime and stime are fields 14 and 15, after the command name in parentheses.
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_json(path: Path | str | None, report: Mapping[str, Any], **dumps: Any) -> None:
    """Write `report` as indented JSON to `path` (its folder made), when a path is given."""
    if not path:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(report, indent=2, **dumps) + "\n")
