"""`make bench` / `python -m bench [B1] [B4] [speed] [--events N] [--naive-events N] [--scale S]
[--rebuild] [--explain]`: run the benchmarks (all by default), print figures, write them as JSON.

Each measured path runs in its own process (its peak RSS is its own). B1 and the speed figures use a
dedicated PostgreSQL database `<DATABASE_URL's name>_bench` that this script creates afresh and migrates
on every run; B4 reads the large history of `bench.history` (`<name>_bench_b4`, kept between runs and
rebuilt only when the generator or the migrations change, or with `--rebuild`). The figures of the run
are written to `var/bench/results.json`: `{"B1": {...}, "speed": {...}, "B4": {...}}`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import orjson

ROOT = Path(__file__).resolve().parent.parent
B1_TARGET = 10_000


def _bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/initscope")
    parsed = urlparse(url)
    if not parsed.scheme.startswith("postgres"):
        sys.exit("make bench needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    name = (parsed.path.lstrip("/") or "initscope") + "_bench"
    import psycopg

    admin = urlunparse(parsed._replace(path="/postgres"))
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            # A fresh database every run: figures never depend on what an earlier run left behind.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        sys.exit(f"PostgreSQL is not reachable ({parsed.hostname}:{parsed.port or 5432}): {exc}")
    return urlunparse(parsed._replace(path="/" + name))


def _run(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        sys.exit(f"benchmark step failed: {' '.join(args)}")
    return orjson.loads(out.stdout.strip().splitlines()[-1])


def b1(env: dict, events: int, naive_events: int) -> dict:
    from bench.stream import generate

    stream = ROOT / "var" / "bench" / f"b1-{events}.jsonl"
    stream.parent.mkdir(parents=True, exist_ok=True)
    if not stream.exists():
        started = time.perf_counter()
        generate(str(stream), events=events)
        print(
            f"generated {events:,} Pod watch events ({stream.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f}s"
        )
    fast = _run(["-m", "bench.b1", "fast", str(stream)], env)
    naive = _run(["-m", "bench.b1", "naive", str(stream), "--limit", str(naive_events)], env)
    ratio = fast["events_per_second"] / naive["events_per_second"]
    verdict = "meets" if fast["events_per_second"] >= B1_TARGET else "MISSES"
    print("\nB1 ingest: Pod watch events -> parse -> timeline -> PostgreSQL -> change messages")
    print(
        f"  initscope  {fast['events']:>9,} events  {fast['events_per_second']:>9,.0f} events/s  "
        f"peak RSS {fast['peak_rss_mb']:.0f} MB   target >= {B1_TARGET:,}/s: {verdict}"
    )
    print(
        f"  naive      {naive['events']:>9,} events  {naive['events_per_second']:>9,.0f} events/s  "
        f"peak RSS {naive['peak_rss_mb']:.0f} MB   (client models + one ORM save per event)"
    )
    print(f"  ratio      {ratio:.1f}x")
    return {"target_events_per_second": B1_TARGET, "fast": fast, "naive": naive, "ratio": round(ratio, 2)}


def b4(scale: float, rebuild: bool, explain: bool) -> dict:
    """B4: queries over the large history (bench.history, bench.b4), in a process of their own."""
    from bench import history
    from bench.b4 import report

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/initscope")
    if not urlparse(base).scheme.startswith("postgres"):
        sys.exit("make bench needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
    url, _ = history.ensure(base, scale=scale, rebuild=rebuild)
    env = dict(os.environ, DATABASE_URL=url, DEBUG=os.environ.get("DEBUG", "1"))
    args = ["-m", "bench.b4"]
    if explain:
        args += ["--explain", str(ROOT / "var" / "bench" / "b4-plans.md")]
    result = _run(args, env)
    report(result)
    if explain:
        print(f"  plans: {ROOT / 'var' / 'bench' / 'b4-plans.md'}")
    return result


BENCHMARKS = ("B1", "speed", "B4")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("benchmarks", nargs="*", help=f"some of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--events", type=int, default=200_000, help="B1 stream length")
    parser.add_argument("--naive-events", type=int, default=10_000, help="events for the naive loop")
    parser.add_argument("--scale", type=float, default=1.0, help="B4 history size (1: 1,000,000 Pods)")
    parser.add_argument("--rebuild", action="store_true", help="B4: generate the history again")
    parser.add_argument("--explain", action="store_true", help="B4: write EXPLAIN plans too")
    args = parser.parse_args()
    wanted = args.benchmarks or list(BENCHMARKS)
    unknown = sorted(set(wanted) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}: choose among {', '.join(BENCHMARKS)}")
    results: dict[str, dict] = {}
    if "B1" in wanted or "speed" in wanted:
        env = dict(os.environ, DATABASE_URL=_bench_database_url(), DEBUG=os.environ.get("DEBUG", "1"))
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        if "B1" in wanted:
            results["B1"] = b1(env, args.events, args.naive_events)
        if "speed" in wanted:
            from bench.speed import report

            results["speed"] = _run(["-m", "bench.speed"], env)
            report(results["speed"])
    if "B4" in wanted:
        results["B4"] = b4(args.scale, args.rebuild, args.explain)
    out = ROOT / "var" / "bench" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(f"\nfigures written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
