"""Every benchmark, one after another, and one table of their headline figures (`make bench`).

Runs each benchmark script of this folder that exists (a `*.py` with a `main()` that takes
`--json PATH`; the helpers — harness, settings, URL modules, this file — are skipped), in a
fixed order, each in its own process (`python -m benchmarks.<name>`, from the repository's
root) with `--json` to a temporary file and, unless `--full` is
given, quick sizes that still say something (the full sizes are each script's defaults,
which are what the issues ask for). Each script picks its own PostgreSQL database (and
Redis) from DATABASE_URL / REDIS_URL or its own default, as when run alone; nothing runs
beside another benchmark.

Then prints one table (machine, date, per benchmark: status, headline figures, ratio and
goal), writes the combined JSON to `benchmarks/results/latest.json` and the table as
Markdown to `benchmarks/results/latest.md`. A script that fails (non-zero exit, timeout)
is reported as FAILED with its exit code, with its figures when it wrote them; the exit
status is then 1.

Run:  .venv/bin/python -m benchmarks.run_all [--full] [--only dashboard,catalogue]
      [--timeout 1800] [--results benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import REPO_ROOT, machine

BENCH_DIR = REPO_ROOT / "benchmarks"
HELPERS = {"__init__", "run_all", "harness", "bench_settings", "bench_urls"}
HELPER_SUFFIXES = ("_settings", "_urls")
ORDER = ["catalogue", "search", "exclusivity", "contracts", "payouts", "usage", "dashboard"]

# Quick sizes: shorter load tests and fewer calls, but the data sizes the issues name where
# the seed is kept between runs (so a quick run neither reseeds nor measures a toy).
QUICK_ARGS: dict[str, list[str]] = {
    "catalogue": ["--duration", "6", "--rounds", "2"],
    "search": ["--calls", "12", "--scan-calls", "2", "--rounds", "2", "--duration", "6"],
    "exclusivity": ["--sizes", "1000,100000", "--requests", "40", "--rounds", "2"],
    "contracts": ["--licences", "12"],
    "payouts": ["--accounts", "100", "--earnings", "5000"],
    "usage": ["--duration", "6", "--rounds", "2"],
    "dashboard": ["--duration", "6", "--rounds", "2"],
}


def discover(only: Sequence[str] = ()) -> list[Path]:
    """The benchmark scripts present, in ORDER first, then any other alphabetically."""
    found = {}
    for path in sorted(BENCH_DIR.glob("*.py")):
        name = path.stem
        if name in HELPERS or name.endswith(HELPER_SUFFIXES):
            continue
        source = path.read_text(errors="replace")
        if "def main(" in source and "--json" in source:
            found[name] = path
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    if only:
        names = [n for n in names if n in only]
    return [found[n] for n in names]


def quick_args(path: Path) -> list[str]:
    """The quick sizes for a script, keeping only flags the script still offers."""
    source = path.read_text(errors="replace")
    wanted = QUICK_ARGS.get(path.stem, [])
    args: list[str] = []
    for i in range(0, len(wanted), 2):
        flag, value = wanted[i], wanted[i + 1]
        if f'"{flag}"' in source:
            args += [flag, value]
        else:
            print(f"run_all: {path.name} no longer offers {flag}; using its default", flush=True)
    return args


# --- Running -------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    args: list[str]
    exit_code: int | None  # None: timed out
    seconds: float
    result: dict[str, Any] | None
    headline: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "FAILED (timeout)" if self.exit_code is None else f"FAILED (exit {self.exit_code})"


def run(path: Path, args: list[str], timeout: float) -> Outcome:
    """Run one script in its own process, its output going straight to ours."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"{path.stem}.json"
        command = [sys.executable, "-m", f"benchmarks.{path.stem}", *args, "--json", str(target)]
        print(f"\n=== {path.stem}: {' '.join(args) or '(default sizes)'}", flush=True)
        started = time.perf_counter()
        try:
            code: int | None = subprocess.run(command, cwd=REPO_ROOT, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            code = None
        seconds = time.perf_counter() - started
        result = None
        if target.exists():
            try:
                result = json.loads(target.read_text())
            except ValueError:
                result = None
    outcome = Outcome(path.stem, args, code, seconds, result)
    if result is not None:
        try:
            outcome.headline = headline(path.stem, result)
        except (KeyError, TypeError, IndexError, ZeroDivisionError) as exc:
            outcome.headline = {"figures": f"(figures unreadable: {exc!r})", "ratio": ""}
    return outcome


# --- Headline figures ----------------------------------------------------------------------


def _http(result: dict[str, Any], real: str, label: str) -> dict[str, str]:
    """catalogue and dashboard: the real page beside the bare one."""
    r, b = result[real], result["bare"]
    ratio, goal = result["ratio"], result["goal"]
    return {
        "figures": (
            f"{label} {r['requests_per_second']:.1f} req/s, p50 {r['p50_ms']:.1f} ms, "
            f"p95 {r['p95_ms']:.1f} ms · bare {b['requests_per_second']:.1f} req/s, "
            f"p50 {b['p50_ms']:.1f} ms, p95 {b['p95_ms']:.1f} ms"
        ),
        "ratio": f"{ratio['requests_per_second']:.2f} req/s {label}/bare",
        "goal": f"≥ {goal['requests_per_second_ratio_at_least']}: "
        + ("met" if goal["met"] else "NOT met"),
    }


def _catalogue(result: dict[str, Any]) -> dict[str, str]:
    out = _http(result, "catalogue", "catalogue")
    out["figures"] += f" · {result['queries']['catalogue_page_1']} queries (page 1)"
    return out


def _dashboard(result: dict[str, Any]) -> dict[str, str]:
    out = _http(result, "dashboard", "dashboard")
    out["figures"] += (
        f" · {result['queries']['dashboard_page_1']} queries (page 1) · "
        f"{result['seed']['uses']:,} uses"
    )
    return out


def _usage(result: dict[str, Any]) -> dict[str, str]:
    out = _http(result, "usage", "usage")
    stored = result["stored"]
    out["figures"] += (
        f" · {result['queries']['usage']} queries per report · stored {stored['stored']:,} "
        f"of {stored['accepted']:,} accepted"
    )
    return out


def _payouts(result: dict[str, Any]) -> dict[str, str]:
    run, checks = result["run"], result["checks"]
    return {
        "figures": (
            f"{checks['transfers']:,} transfers in {run['elapsed']:.1f} s "
            f"(minimum {result['minimum_seconds']:.1f} s at {result['params']['rate']:g}/s) · "
            f"{run['rate_limited']:,} 429s · {checks['duplicate_transfers']} duplicates"
        ),
        "ratio": f"{result['overhead_ms_per_transfer']:.1f} ms overhead per transfer",
        "goal": "checks " + ("clean" if checks["ok"] else "FAILED"),
    }


def _exclusivity(result: dict[str, Any]) -> dict[str, str]:
    first, last = result["sizes"][0], result["sizes"][-1]

    def cell(row: dict[str, Any]) -> str:
        return f"{row['figures']['request_free']['median_ms']:.2f} ms"

    ratios = result["ratios"]
    return {
        "figures": (
            f"request_licence median at {first['holds']:,} holds {cell(first)}, "
            f"at {last['holds']:,} {cell(last)}"
        ),
        "ratio": (
            f"{ratios['request_free']['median']:.2f}x free, "
            f"{ratios['request_conflict']['median']:.2f}x conflict (largest/smallest)"
        ),
        "goal": f"≤ {result['goal_ratio']:g}x: " + ("met" if result["goal_met"] else "NOT met"),
    }


def _search(result: dict[str, Any]) -> dict[str, str]:
    small, large = (str(size) for size in (result["sizes"][0], result["sizes"][-1]))
    now, before = result["figures"]["now"], result["figures"]["before"]
    figures = (
        f"search p95 {now[small]['all']['p95_ms']:.1f} ms at {int(small):,} twins, "
        f"{now[large]['all']['p95_ms']:.1f} ms at {int(large):,} (before, a scan: "
        f"{before[small]['all']['p95_ms']:.1f} / {before[large]['all']['p95_ms']:.1f} ms)"
    )
    ratio = f"{result['ratios']['now']:.2f}x p95 largest/smallest"
    goal = f"≤ {result['goal']['p95_ratio_at_most']:g}x: " + (
        "met" if result["goal"]["p95_met"] else "NOT met"
    )
    page = result.get("page")
    if page:
        rps = page["ratio"]["requests_per_second"]
        figures += f" · page {page['search']['requests_per_second']:.1f} req/s"
        ratio += f", {rps:.2f} req/s search/bare"
        goal += f"; ≥ {result['goal']['rps_ratio_at_least']}: " + (
            "met" if result["goal"]["rps_met"] else "NOT met"
        )
    return {"figures": figures, "ratio": ratio, "goal": goal}


def _contracts(result: dict[str, Any]) -> dict[str, str]:
    rows = {row["workers"]: row for row in result["rows"]}
    return {
        "figures": " · ".join(
            f"{n} worker{'s' if n > 1 else ''} {row['per_minute']:.1f} contracts/min"
            for n, row in sorted(rows.items())
        )
        + f" ({result['licences']} licences)",
        "ratio": f"{result['ratio_2_over_1']:.2f}x 2 workers/1",
        "goal": "",
    }


def _generic(result: dict[str, Any]) -> dict[str, str]:
    """A script this file does not know yet: its numbers named like ratios, and its goal."""
    ratios: list[str] = []
    goals: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}" if path else str(key))
        elif isinstance(value, bool):
            if re.search(r"goal|met", path):
                goals.append(f"{path}: {'met' if value else 'NOT met'}")
        elif isinstance(value, int | float) and "ratio" in path:
            ratios.append(f"{path} {value:.2f}")

    walk(result, "")
    return {"figures": "see the JSON", "ratio": "; ".join(ratios[:3]), "goal": "; ".join(goals)}


HEADLINES: dict[str, Callable[[dict[str, Any]], dict[str, str]]] = {
    "catalogue": _catalogue,
    "search": _search,
    "dashboard": _dashboard,
    "exclusivity": _exclusivity,
    "contracts": _contracts,
    "payouts": _payouts,
    "usage": _usage,
}


def headline(name: str, result: dict[str, Any]) -> dict[str, str]:
    return {"goal": "", **HEADLINES.get(name, _generic)(result)}


# --- Report --------------------------------------------------------------------------------


def rows(outcomes: Sequence[Outcome]) -> list[list[str]]:
    return [
        [
            o.name,
            o.status,
            o.headline.get("figures", "(no figures written)"),
            o.headline.get("ratio", ""),
            o.headline.get("goal", ""),
            f"{o.seconds:.0f}",
        ]
        for o in outcomes
    ]


HEADER = ["benchmark", "status", "headline figures", "ratio", "goal", "s"]


def context_line(report: dict[str, Any]) -> str:
    m = report["machine"]
    return (
        f"{report['date']} · {m['nproc']} CPU · {m['cpu']} · Python {m['python']} · "
        f"{report['mode']} run"
    )


def print_table(report: dict[str, Any], outcomes: Sequence[Outcome]) -> None:
    print()
    print("Likeness benchmarks")
    print(f"  {context_line(report)}")
    print()
    for name, status, figures, ratio, goal, seconds in rows(outcomes):
        print(
            f"  {name:<12} {status:<17} {seconds:>5} s  {ratio}" + (f"  ({goal})" if goal else "")
        )
        print(f"  {'':<12} {figures}")
    failed = [o for o in outcomes if not o.ok]
    print()
    print(f"  {len(outcomes) - len(failed)} of {len(outcomes)} benchmarks ran cleanly")


def markdown(report: dict[str, Any], outcomes: Sequence[Outcome]) -> str:
    lines = [
        "# Likeness benchmarks",
        "",
        context_line(report) + f" · `{report['command']}`",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---", "---", "---", "---", "---", "---:"]) + "|",
    ]
    for row in rows(outcomes):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    missing = report["not_present"]
    if missing:
        lines += ["", f"Not present in this tree: {', '.join(missing)}."]
    lines += ["", "Figures per benchmark, in full: `latest.json` beside this file."]
    return "\n".join(lines) + "\n"


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--full", action="store_true", help="each script's default (full) sizes, not quick ones"
    )
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per benchmark before it fails"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=BENCH_DIR / "results",
        help="folder for latest.json and latest.md",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    scripts = discover(only)
    if not scripts:
        print("run_all: no benchmark script found", file=sys.stderr)
        return 1
    outcomes = [run(path, [] if args.full else quick_args(path), args.timeout) for path in scripts]
    present = {p.stem for p in discover()}
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "mode": "full" if args.full else "quick",
        "command": "python -m benchmarks.run_all"
        + (" --full" if args.full else "")
        + (f" --only {','.join(only)}" if only else ""),
        "not_present": [n for n in ORDER if n not in present],
        "benchmarks": {
            o.name: {
                "status": o.status,
                "exit_code": o.exit_code,
                "seconds": round(o.seconds, 1),
                "args": o.args,
                "headline": o.headline,
                "result": o.result,
            }
            for o in outcomes
        },
    }
    print_table(report, outcomes)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.results / "latest.md").write_text(markdown(report, outcomes))
    print(f"  written: {args.results / 'latest.json'} and latest.md")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
