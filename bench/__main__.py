"""`make bench` / `python -m bench [B1 B2 B3 B4 B5 speed] [options]`: run the benchmarks (all by default),
print every figure in one table beside its target and a baseline measured in the same run, and keep the
figures per commit. `python -m bench --compare [COMMIT]` prints this commit's figures beside another's.

Each benchmark is a module with `run(ctx: bench.figures.Context) -> bench.figures.Result`, imported only
when it runs (a missing or broken one is reported as an error in the table; the others still run). The
measured paths run in processes of their own (their peak RSS is their own). Every benchmark but B4 gets a
fresh PostgreSQL database, `<DATABASE_URL's name>_bench`, copied from a template migrated once per run
(figures never depend on what an earlier benchmark left behind); B4 reads the large history of
`bench.history` (`<name>_bench_b4`, kept between runs). Figures go to `var/bench/results.json` and are
merged into `var/bench/history/<commit>.json` (`bench.results`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

from bench import results as kept
from bench.figures import Context, Result, errors, format_table, table_rows

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Benchmark:
    module: str  # "bench.b3": its `run(ctx) -> Result` is called
    what: str  # one line for --help
    fresh_database: bool = True  # ctx.env's DATABASE_URL: a fresh, migrated database


REGISTRY: dict[str, Benchmark] = {
    "B1": Benchmark("bench.b1", "ingest: Pod watch events -> timeline -> PostgreSQL -> change messages"),
    "B2": Benchmark("bench.b2", "relist and reconcile a kubesim cluster of --b2-pods Pods"),
    "B3": Benchmark("bench.b3", "live latency: a status change in kubesim -> the DOM of open pages"),
    "B4": Benchmark("bench.b4", "queries over a large history (--scale)", fresh_database=False),
    "B5": Benchmark("bench.b5", "browser: the waterfall drawn; the overview's input delay under updates"),
    "speed": Benchmark("bench.speed", "the importer's record reader", fresh_database=False),
}

# (full, --quick): the sizes --quick shrinks, unless given on the command line.
SIZES: dict[str, tuple[Any, Any]] = {
    "events": (200_000, 20_000),
    "naive_events": (10_000, 1_000),
    "b2_pods": (150_000, 2_000),
    "scale": (1.0, 0.01),
    "b3_changes": (200, 20),
    "b3_pods_per_second": (150, 30),
    "b5_runs": (15, 3),
    "b5_rows": (500, 100),
    "b5_rate": (200, 50),
}


def parser() -> argparse.ArgumentParser:
    names = "\n".join(f"  {key:6} {b.what}" for key, b in REGISTRY.items())
    p = argparse.ArgumentParser(
        prog="python -m bench",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"Benchmarks (all when none is named):\n{names}",
        epilog="Figures: var/bench/results.json (this run) and var/bench/history/<commit>.json (merged "
        "per commit; `--compare` reads them). Sizes in [full, --quick].",
    )
    p.add_argument("benchmarks", nargs="*", metavar="BENCHMARK", help="some of: " + ", ".join(REGISTRY))
    p.add_argument("--quick", action="store_true", help="shrink every benchmark (a smoke run, not figures)")
    p.add_argument("--events", type=int, help="B1: stream length [200,000, 20,000]")
    p.add_argument("--naive-events", type=int, help="B1: events through the naive loop [10,000, 1,000]")
    p.add_argument("--b2-pods", type=int, help="B2: Pods kubesim serves [150,000, 2,000]")
    p.add_argument("--scale", type=float, help="B4: history size, 1 = 1,000,000 Pods [1, 0.01]")
    p.add_argument("--rebuild", action="store_true", help="B4: generate the history again")
    p.add_argument("--explain", action="store_true", help="B4: write EXPLAIN plans to var/bench/b4-plans.md")
    p.add_argument("--b3-changes", type=int, help="B3: status changes timed per page [200, 20]")
    p.add_argument(
        "--b3-pods-per-second",
        type=int,
        help="B3: Pods the background churn changes per second, ~7 watch events each [150, 30]",
    )
    p.add_argument("--b5-runs", type=int, help="B5: loads of the Pod page measured per Pod [15, 3]")
    p.add_argument("--b5-rows", type=int, help="B5: rows on the overview, at most 500 [500, 100]")
    p.add_argument("--b5-rate", type=int, help="B5: Pod updates/s streamed to the overview [200, 50]")
    p.add_argument(
        "--compare",
        nargs="?",
        const="",
        metavar="COMMIT",
        help="print this commit's figures beside COMMIT's (default: the previous commit with figures); "
        "runs nothing",
    )
    return p


def resolve_sizes(args: argparse.Namespace) -> argparse.Namespace:
    for name, (full, quick) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


# ------------------------------------------------------------------------------------------- databases


def _admin(url: str) -> str:
    return urlunparse(urlparse(url)._replace(scheme="postgresql", path="/postgres"))


class Databases:
    """The template `<name>_bench_template` (migrated once, on first use) and a fresh `<name>_bench`
    copied from it for each benchmark; both dropped at the end of the run."""

    def __init__(self, base_url: str) -> None:
        parsed = urlparse(base_url)
        if not parsed.scheme.startswith("postgres"):
            sys.exit("make bench needs PostgreSQL: set DATABASE_URL to a postgres:// URL")
        self.base = base_url
        self.name = (parsed.path.lstrip("/") or "initscope") + "_bench"
        self.template = self.name + "_template"
        self.migrated = False

    def _url(self, name: str) -> str:
        return urlunparse(urlparse(self.base)._replace(path="/" + name))

    def _execute(self, *statements: str) -> None:
        import psycopg

        try:
            with psycopg.connect(_admin(self.base), autocommit=True, connect_timeout=5) as conn:
                for sql in statements:
                    conn.execute(sql)
        except psycopg.OperationalError as exc:
            parsed = urlparse(self.base)
            sys.exit(f"PostgreSQL is not reachable ({parsed.hostname}:{parsed.port or 5432}): {exc}")

    def fresh(self) -> str:
        if not self.migrated:
            self._execute(
                f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)',
                f'CREATE DATABASE "{self.template}"',
            )
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"],
                env=dict(
                    os.environ, DATABASE_URL=self._url(self.template), DEBUG=os.environ.get("DEBUG", "1")
                ),
                cwd=ROOT,
                check=True,
            )
            self.migrated = True
            print(f"(bench database migrated in {time.perf_counter() - started:.0f}s)", flush=True)
        self._execute(
            f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
            f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"',
        )
        return self._url(self.name)

    def drop(self) -> None:
        if self.migrated:
            self._execute(
                f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)',
            )


# ------------------------------------------------------------------------------------------------ runs


class NotRunnable(Exception):
    """The benchmark's module is missing or has no `run(ctx)`."""


def load(key: str):
    benchmark = REGISTRY[key]
    try:
        module = importlib.import_module(benchmark.module)
    except ModuleNotFoundError as exc:
        if exc.name == benchmark.module:
            path = benchmark.module.replace(".", "/") + ".py"
            raise NotRunnable(f"{path} is not in this checkout") from exc
        raise
    run = getattr(module, "run", None)
    if not callable(run):
        raise NotRunnable(f"{benchmark.module} has no run(ctx) -> Result")
    return run


def run_one(key: str, args: argparse.Namespace, databases: Databases) -> dict[str, Any]:
    """`{"error": ...}` when the benchmark could not run (the traceback goes to stderr)."""
    try:
        run = load(key)
        env = dict(os.environ, DEBUG=os.environ.get("DEBUG", "1"))
        if REGISTRY[key].fresh_database:
            env["DATABASE_URL"] = databases.fresh()
        result = run(Context(env=env, args=args, root=ROOT))
        if not isinstance(result, Result):
            raise TypeError(f"{REGISTRY[key].module}.run returned {type(result).__name__}, not a Result")
        if not result.figures:
            raise ValueError(f"{REGISTRY[key].module}.run returned no figures")
        return result.as_json()
    except NotRunnable as exc:
        return {"error": str(exc)}
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - one benchmark's failure must not stop the others
        traceback.print_exc()
        return {"error": f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__}


def run_all(wanted: list[str], args: argparse.Namespace) -> dict[str, Any]:
    databases = Databases(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/initscope"))
    figures: dict[str, Any] = {}
    try:
        for key in wanted:
            print(f"\n== {key}: {REGISTRY[key].what}", flush=True)
            started = time.perf_counter()
            figures[key] = run_one(key, args, databases)
            print(format_table(table_rows({key: figures[key]})))
            print(f"({key} took {time.perf_counter() - started:.0f}s)", flush=True)
    finally:
        databases.drop()
    return figures


def compare(target: str) -> int:
    current = kept.commit(ROOT)
    try:
        mine = kept.load(ROOT, current)
    except LookupError:
        print(f"no figures kept for this commit ({current}): run `python -m bench` first", file=sys.stderr)
        return 1
    other_id = target or kept.previous(ROOT, current)
    if not other_id:
        print(f"no earlier commit has figures in {kept.history_dir(ROOT)}", file=sys.stderr)
        return 1
    try:
        other = kept.load(ROOT, other_id)
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"this: {mine.get('commit', current)}  ({mine.get('machine', {}).get('date', '?')})")
    print(f"other: {other.get('commit', other_id)}  ({other.get('machine', {}).get('date', '?')})\n")
    columns = ("figure", "this", "", "other", "", "this vs other")
    print(format_table(kept.compare_rows(mine, other), columns, right=(1, 3)))
    print("\n(this vs other: how many times better this commit's figure is; below 1: worse)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = resolve_sizes(p.parse_args(argv))
    if args.compare is not None:
        if args.benchmarks:
            p.error("--compare runs nothing: name no benchmark with it")
        return compare(args.compare)
    wanted = args.benchmarks or list(REGISTRY)
    unknown = [key for key in wanted if key not in REGISTRY]
    if unknown:
        p.error(f"unknown benchmark {', '.join(unknown)}: choose among {', '.join(REGISTRY)}")
    wanted = list(dict.fromkeys(wanted))
    commit = kept.commit(ROOT)
    machine = kept.machine(os.environ)
    figures = run_all(wanted, args)
    run = {"commit": commit, "machine": machine, **({"quick": True} if args.quick else {}), **figures}
    quick = ", --quick" if args.quick else ""
    print(f"\nFigures of {commit} ({machine['cpus']} CPUs, {machine['date']}{quick})")
    print(format_table(table_rows(figures)))
    written = kept.save(ROOT, run, history=not args.quick)
    print("\nfigures written to " + " and ".join(str(path.relative_to(ROOT)) for path in written))
    if args.quick:
        print("(--quick: sizes shrunk, so the figures are not kept in the commit's history)")
    return 1 if any(errors(result) for result in figures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
