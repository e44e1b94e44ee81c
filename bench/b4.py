"""B4 in one process: queries over a large history (`bench.history`), each against its target and a
baseline measured in the same run. `python -m bench.b4 [--explain FILE]` prints one JSON line of figures.

Run with DATABASE_URL pointing at the history database (`python -m bench B4` does). Each figure is the
cold first run in this fresh process (Django, the connection and the plan caches cold; PostgreSQL's
buffers as earlier runs left them) and the median of several warm runs:

- overview: the Pod list page (`/`, the real view through Django's test client, signed in, default
  filters); baseline: its rows and counts the plain way (one query ranking every Pod for the first 50, a
  count of every Pod, the counts per STATUS) with PostgreSQL forbidden to use any index;
- pod_page / pod_api: one Pod's timeline, the Pod page and `GET /api/v1/pods/<uid>` (a Pod of the
  biggest workload whose init container crash-loops); baseline: the same, no index;
- report_30d: the 30-day init-container report of one cluster (`pods.reports.report`, source=raw);
  baseline: the naive SQL, one GROUP BY with `percentile_cont` over the attempts joined to their Pods and
  containers, filtered by start time, no index;
- report_rollup_1y: the 1-year report of one cluster from the rollups (source=rollup; a year of rollup
  rows made from a day that `pods.reports.rollup_build` computed from the raw rows, repeated, and its
  blocks of days and months summed by it: `ensure_rollups`);
  baseline: the naive SQL over every raw row of the cluster (the 90 days raw rows cover), no index;
- rollup_hour: `pods.reports.rollup_build.recompute_hour` on the newest whole hour of the busiest
  cluster (what the beat task does for one dirty hour); baseline: the naive SQL of that hour's numbers
  (GROUP BY + `percentile_cont` over the attempts started in it), no index.

`--explain FILE` also writes the `EXPLAIN (ANALYZE, BUFFERS)` plan of the slowest queries of each figure,
with the indexes of migration 0008 (after) and without them (before: dropped inside a transaction that
is rolled back), as Markdown for docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

TARGETS_MS = {
    "overview": 150.0,
    "pod_page": 30.0,
    "pod_api": 30.0,
    "report_30d": 500.0,
    "report_rollup_1y": 500.0,
    "rollup_hour": 5000.0,
}
LABELS = {
    "overview": "overview page (/, default filters)",
    "pod_page": "one Pod's timeline: the Pod page",
    "pod_api": "one Pod's timeline: GET /api/v1/pods/<uid>",
    "report_30d": "30-day init-container report, one cluster (raw)",
    "report_rollup_1y": "1-year init-container report, one cluster (rollup)",
    "rollup_hour": "rollup of one hour of new attempts",
}
BASELINES = {
    "overview": "the list's rows ranked in one query + counts, no index",
    "pod_page": "the same page, no index",
    "pod_api": "the same API call, no index",
    "report_30d": "naive GROUP BY + percentile_cont, no index",
    "report_rollup_1y": "naive SQL over every raw row (90 d), no index",
    "rollup_hour": "naive GROUP BY + percentile_cont of the hour, no index",
}
WARM_RUNS = 7
BASELINE_RUNS = 2
SLOW_MS, SLOW_RUNS = 3000.0, 2
# The indexes migration 0008 adds (the `before` plans are read without them).
B4_INDEXES = ("pod_list_order", "pod_failed_order", "pod_workload_newest")
NO_INDEX = ("SET enable_indexscan = off", "SET enable_bitmapscan = off", "SET enable_indexonlyscan = off")
ROLLUP_DAYS = 365


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # as in production: no query log, no debug cursor


def timed(fn: Callable[[], Any], runs: int) -> dict[str, Any]:
    """The first (cold) run and the median of the next `runs` (warm), in milliseconds; a figure whose
    cold run takes longer than `SLOW_MS` gets `SLOW_RUNS` warm runs (the budget of one `make bench`)."""
    samples: list[float] = []
    while len(samples) < runs + 1:
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
        if len(samples) == 1 and samples[0] > SLOW_MS:
            runs = min(runs, SLOW_RUNS)
    return {
        "cold_ms": round(samples[0], 2),
        "median_ms": round(statistics.median(samples[1:]), 2),
        "runs": runs,
    }


@contextmanager
def no_index():
    """PostgreSQL plans without any index while inside (the baselines: plain scans of raw rows)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in NO_INDEX:
            cursor.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for sql in NO_INDEX:
                cursor.execute(sql.replace("off", "on"))


# ------------------------------------------------------------------------------------------------ context


class History:
    """What the measurements read: the data's end, the opened Pod, the measured cluster and hour."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT value FROM bench_b4_meta WHERE key = 'meta'")
            meta = cursor.fetchone()[0]
            if isinstance(meta, str):
                import orjson

                meta = orjson.loads(meta)
            self.meta = meta
            cursor.execute(
                "SELECT c.id, c.name FROM pods_pod p JOIN pods_cluster c ON c.id = p.cluster_id "
                "GROUP BY c.id, c.name ORDER BY count(*) DESC, c.name LIMIT 1"
            )
            self.cluster_id, self.cluster = cursor.fetchone()
        self.until = datetime.fromisoformat(meta["until"])
        self.hour = self.until - timedelta(hours=1)
        self.uid = meta["opened"]["init-crash"]


def _client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    # a superuser: the pages as an operator sees them (every cluster, no grant to read)
    # (updated, not only created: a history kept from before access control holds this user as a plain one,
    # who would see no Pod at all and make every page look fast)
    user, _ = get_user_model().objects.update_or_create(username="bench-b4", defaults={"is_superuser": True})
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    return client


def _get(client: Any, url: str) -> Callable[[], None]:
    def fetch() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)

    return fetch


# ------------------------------------------------------------------------------------------------ figures


def overview(h: History, client: Any) -> Callable[[], None]:
    return _get(client, "/")


def pod_page(h: History, client: Any) -> Callable[[], None]:
    return _get(client, f"/pods/{h.uid}/")


def pod_api(h: History, client: Any) -> Callable[[], None]:
    return _get(client, f"/api/v1/pods/{h.uid}")


def report_30d(h: History, client: Any) -> Callable[[], None]:
    from pods.reports import INIT_CONTAINERS, Period, ReportFilters, report

    period = Period(h.until - timedelta(days=30), h.until)
    return lambda: report(INIT_CONTAINERS, ReportFilters(cluster=h.cluster), period, source="raw")


def report_rollup_1y(h: History, client: Any) -> Callable[[], None]:
    from pods.reports import INIT_CONTAINERS, Period, ReportFilters, report

    period = Period(h.until - timedelta(days=ROLLUP_DAYS), h.until)
    return lambda: report(INIT_CONTAINERS, ReportFilters(cluster=h.cluster), period, source="rollup")


def rollup_hour(h: History, client: Any) -> Callable[[], None]:
    from pods.reports.rollup_build import recompute_hour

    return lambda: recompute_hour(h.cluster_id, h.hour)


# The naive SQL baselines: the report's numbers in one GROUP BY over the raw rows.
NAIVE_REPORT = """
SELECT p.namespace, p.owner_kind, p.owner_name, c.name, c.kind, count(DISTINCT p.id), sum(a.count),
  sum(a.count) FILTER (WHERE NOT a.known OR a.exit_code <> 0 OR a.reason NOT IN ('', 'Completed')),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.finished_at - a.started_at)),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM a.finished_at - a.started_at)),
  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM a.finished_at - a.started_at)),
  max(extract(epoch FROM a.finished_at - a.started_at)),
  count(u.id) FILTER (WHERE NOT u.already_present),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY u.pull_seconds),
  percentile_cont(0.95) WITHIN GROUP (ORDER BY u.pull_seconds),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY u.wait_seconds),
  count(u.id) FILTER (WHERE u.already_present)
FROM pods_attempt a JOIN pods_pod p ON p.id = a.pod_id JOIN pods_container c ON c.id = a.container_id
LEFT JOIN pods_imagepull u ON u.container_id = c.id AND a.number = 0
WHERE p.cluster_id = %s AND c.kind IN ('init', 'sidecar') AND a.started_at >= %s AND a.started_at < %s
GROUP BY 1, 2, 3, 4, 5
"""


def _naive(since: Callable[[History], datetime], until: Callable[[History], datetime]) -> Callable:
    def make(h: History, client: Any) -> Callable[[], None]:
        from django.db import connection

        def run() -> None:
            with connection.cursor() as cursor:
                cursor.execute(NAIVE_REPORT, [h.cluster_id, since(h), until(h)])
                cursor.fetchall()

        return run

    return make


def _naive_overview(h: History, client: Any) -> Callable[[], None]:
    """The overview's rows and counts the plain way: one query ranking every Pod for the first 50, a
    count of every Pod, the counts per STATUS (run with no index)."""
    from pods.selectors import PodFilters, pod_queryset, status_counts

    def run() -> None:
        now = datetime.now(h.until.tzinfo)
        ranked = pod_queryset(filters=PodFilters(), now=now)
        list(ranked[:50])
        ranked.count()
        status_counts(filters=PodFilters(), now=now)

    return run


FIGURES: dict[str, Callable[[History, Any], Callable[[], None]]] = {
    "overview": overview,
    "pod_page": pod_page,
    "pod_api": pod_api,
    "report_30d": report_30d,
    "report_rollup_1y": report_rollup_1y,
    "rollup_hour": rollup_hour,
}
BASELINE_FIGURES: dict[str, Callable[[History, Any], Callable[[], None]]] = {
    "overview": _naive_overview,
    "pod_page": pod_page,
    "pod_api": pod_api,
    "report_30d": _naive(lambda h: h.until - timedelta(days=30), lambda h: h.until),
    "report_rollup_1y": _naive(lambda h: h.until - timedelta(days=ROLLUP_DAYS), lambda h: h.until),
    "rollup_hour": _naive(lambda h: h.hour, lambda h: h.until),
}


# ------------------------------------------------------------------------------------------------ rollups


def rollups_available() -> bool:
    from django.db import connection

    try:
        from pods.reports import rollup_build  # noqa: F401
    except ImportError:
        return False
    return "pods_initcontainerrollup" in connection.introspection.table_names()


def _rollup_fingerprint() -> str:
    import hashlib
    from pathlib import Path

    import pods.reports

    root = Path(pods.reports.__file__).parent
    digest = hashlib.sha256()
    for name in ("rollup_build.py", "hourly.py", "histogram.py", "rollups.py"):
        path = root / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_rollups(h: History, log: Callable[[str], None]) -> None:
    """A year of rollups before the data's end, in the shape `rollup_build` keeps them: one whole day of
    every cluster (the last one before the data's end) computed from the raw rows by `recompute_hour`,
    with its blocks of hours and the day (`recompute_block`); its rows copied to every day of the year
    (every day alike, as the raw rows' shape is the same every day); then the blocks of days, the months
    and the blocks of months summed by `recompute_longer_blocks`. Kept until the rollup code or the
    history changes."""
    from django.db import connection, transaction

    from pods.models import Cluster
    from pods.reports import hourly
    from pods.reports.rollup_build import recompute_block, recompute_hour, recompute_longer_blocks

    fingerprint = _rollup_fingerprint()
    with connection.cursor() as cursor:
        cursor.execute("SELECT value->>'fingerprint' FROM bench_b4_meta WHERE key = 'rollups'")
        row = cursor.fetchone()
    if row and row[0] == fingerprint:
        return
    started = time.perf_counter()
    day = hourly.day_start(h.until) - timedelta(days=1)
    since = h.until - timedelta(days=ROLLUP_DAYS + 1)
    tables = ("pods_initcontainerrollup", "pods_noderollup", "pods_podstartuprollup")
    clusters = list(Cluster.objects.values_list("id", flat=True))
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (names from the list above)
        for cluster_id in clusters:
            for n in range(hourly.DAY_HOURS):
                recompute_hour(cluster_id, day + timedelta(hours=n), day=False)
            for span in sorted(hourly.HOUR_BLOCKS)[1:]:
                for at in range(0, hourly.DAY_HOURS - span + 1, span):
                    recompute_block(cluster_id, day + timedelta(hours=at), span)
        for table in tables:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND column_name NOT IN ('id', 'hour') ORDER BY ordinal_position",
                [table],
            )
            columns = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                f"""INSERT INTO {table} (hour, {", ".join(columns)})
                    SELECT r.hour + d * interval '1 day', {", ".join("r." + c for c in columns)}
                    FROM {table} r CROSS JOIN generate_series(%s, 1) d
                    WHERE r.span_hours <= 24 AND d <> 0 AND r.hour + d * interval '1 day' < %s""",
                [-ROLLUP_DAYS - 1, h.until],
            )
        for cluster_id in clusters:
            # The blocks of days, the months and the blocks of months, summed from the copied days.
            recompute_longer_blocks(cluster_id, since, hourly.day_start(h.until))
        cursor.execute(
            "INSERT INTO bench_b4_meta VALUES ('rollups', jsonb_build_object('fingerprint', %s::text)) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [fingerprint],
        )
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM pods_initcontainerrollup")
        count = cursor.fetchone()[0]
    seconds = time.perf_counter() - started
    log(f"rollups: a year ({count:,} init-container rows of hours, blocks and months) in {seconds:.0f}s")


# ------------------------------------------------------------------------------------------------ explain


def _queries(fn: Callable[[], None]) -> list[tuple[str, float]]:
    """The SQL `fn` runs, with its time, slowest first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    found = [(q["sql"], float(q["time"])) for q in captured.captured_queries]
    return sorted(found, key=lambda q: -q[1])


def _plan(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def explain(h: History, client: Any, wanted: list[str], top: int = 2) -> str:
    """The plans of the `top` slowest read queries of each figure, after and before migration 0008."""
    from django.db import connection, transaction

    out = []
    for name, make in FIGURES.items():
        if name not in wanted or name == "rollup_hour":
            continue
        if name == "report_rollup_1y" and not rollups_available():
            continue
        fn = make(h, client)
        fn()
        queries = [(sql, t) for sql, t in _queries(fn) if sql.lstrip().upper().startswith("SELECT")][:top]
        out.append(f"### {LABELS[name]}\n")
        if name == "overview":
            out.append(_before_ranked(h))
        for sql, seconds in queries:
            out.append(f"Query ({seconds * 1000:.1f} ms as measured):\n\n```sql\n{sql[:1500]}\n```\n")
            out.append(f"After (with migration 0008):\n\n```\n{_plan(sql)}\n```\n")
            try:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        for index in B4_INDEXES:
                            cursor.execute(f'DROP INDEX IF EXISTS "{index}"')
                    out.append(f"Before (without it):\n\n```\n{_plan(sql)}\n```\n")
                    raise _Rollback
            except _Rollback:
                pass
    return "\n".join(out)


class _Rollback(Exception):
    pass


def _before_ranked(h: History) -> str:
    """The list's first page as one query ranking every Pod (before `RankedPods`)."""
    from pods.selectors import PodFilters, pod_queryset

    sql, params = pod_queryset(filters=PodFilters(), now=h.until)[:50].query.sql_with_params()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return f"Before (one query ranking every Pod, then the first 50):\n\n```\n{plan}\n```\n"


# ------------------------------------------------------------------------------------------------ main


def storage() -> dict[str, int]:
    """The bytes on disk of each of the product's tables (`pods_*`: rows, TOAST and indexes), largest
    first: what keeping this history costs (a table's partitions are counted with their parent)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(parent.relname, c.relname) AS name, sum(pg_total_relation_size(c.oid))::bigint"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'"
            " LEFT JOIN pg_inherits i ON i.inhrelid = c.oid"
            " LEFT JOIN pg_class parent ON parent.oid = i.inhparent"
            " WHERE c.relkind = 'r' AND c.relname LIKE 'pods\\_%' GROUP BY 1 ORDER BY 2 DESC"
        )
        return {name: int(size) for name, size in cursor.fetchall()}


def measure(
    *, explain_to: str = "", only: list[str] | None = None, log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    log = log or (lambda text: print(text, file=sys.stderr, flush=True))
    h = History()
    client = _client()
    wanted = only or list(FIGURES)
    have_rollups = rollups_available()
    if have_rollups and "report_rollup_1y" in wanted:
        ensure_rollups(h, log)
    figures: dict[str, Any] = {}
    for name, make in FIGURES.items():
        if name not in wanted:
            continue
        if name in ("report_rollup_1y", "rollup_hour") and not have_rollups:
            figures[name] = {"skipped": "no rollup tables (pods.reports.rollup_build) in this checkout"}
            continue
        measured = timed(make(h, client), WARM_RUNS)
        with no_index():
            baseline = timed(BASELINE_FIGURES[name](h, client), BASELINE_RUNS)
        measured.update(
            target_ms=TARGETS_MS[name],
            meets=measured["median_ms"] < TARGETS_MS[name],
            baseline_ms=baseline["median_ms"],
            baseline_cold_ms=baseline["cold_ms"],
            baseline=BASELINES[name],
            speedup=round(baseline["median_ms"] / measured["median_ms"], 1)
            if measured["median_ms"]
            else None,
        )
        figures[name] = measured
        log(f"  {name}: {measured['median_ms']:.1f} ms (baseline {baseline['median_ms']:.1f} ms)")
    result = {
        "data": {
            "pods": h.meta["counts"]["pods_pod"],
            "attempts": h.meta["counts"]["pods_attempt"],
            "containers": h.meta["counts"]["pods_container"],
            "generated_seconds": h.meta["generated_seconds"],
            "scale": h.meta["scale"],
            "until": h.meta["until"],
            "cluster": h.cluster,
            "pod": h.uid,
            "bytes": storage(),
        },
        "figures": figures,
    }
    if explain_to:
        Path(explain_to).parent.mkdir(parents=True, exist_ok=True)
        Path(explain_to).write_text(explain(h, client, wanted))
    return result


def main(argv: list[str]) -> None:
    import orjson

    parser = argparse.ArgumentParser(prog="python -m bench.b4")
    parser.add_argument("--explain", default="", help="write the EXPLAIN plans (Markdown) to this file")
    parser.add_argument("--only", default="", help=f"some of {', '.join(FIGURES)}, comma-separated")
    args = parser.parse_args(argv)
    _setup()
    only = [name for name in args.only.split(",") if name]
    sys.stdout.write(orjson.dumps(measure(explain_to=args.explain, only=only)).decode() + "\n")


def figures(result: dict[str, Any]) -> list[Any]:
    """The measured figures as `bench.figures.Figure`s: the median of the warm runs against the target,
    the baseline's median beside it; the cold runs in the details."""
    from bench.figures import Figure

    found = []
    for name, f in result["figures"].items():
        if "skipped" in f:
            continue
        found.append(
            Figure(
                f"B4 {LABELS[name]}",
                f["median_ms"],
                "ms",
                f["target_ms"],
                "lower",
                baseline=f["baseline_ms"],
                baseline_label=BASELINES[name],
                details={
                    "cold_ms": f["cold_ms"],
                    "baseline_cold_ms": f["baseline_cold_ms"],
                    "runs": f["runs"],
                },
            )
        )
    return found


def run(ctx: Any) -> Any:
    """`python -m bench B4`: the history made or reused (`bench.history.ensure`, in this process), then
    `python -m bench.b4` in a fresh process against it."""
    import subprocess

    import orjson

    from bench import history
    from bench.figures import Result

    base = ctx.env.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/initscope")
    url, _ = history.ensure(base, scale=ctx.args.scale, rebuild=ctx.args.rebuild)
    args = [sys.executable, "-m", "bench.b4"]
    plans = Path(ctx.root) / "var" / "bench" / "b4-plans.md"
    if ctx.args.explain:
        args += ["--explain", str(plans)]
    out = subprocess.run(
        args, env=dict(ctx.env, DATABASE_URL=url), cwd=ctx.root, stdout=subprocess.PIPE, text=True
    )
    if out.returncode != 0:
        raise RuntimeError("python -m bench.b4 failed (its output is above)")
    result = orjson.loads(out.stdout.strip().splitlines()[-1])
    data = result["data"]
    print(
        f"B4 history: {data['pods']:,} Pods, {data['attempts']:,} attempt rows (scale {data['scale']:g}; "
        f"generated in {data['generated_seconds']:.0f}s, cached)"
    )
    stored = sum(data["bytes"].values())
    print(
        f"B4 storage: {stored / 2**30:.2f} GiB in pods_* tables with their indexes "
        f"({stored / data['pods'] / 1024:.1f} KiB a Pod, "
        f"{stored / data['attempts']:.0f} bytes an attempt row): "
        + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in list(data["bytes"].items())[:5])
    )
    skipped = {name: f["skipped"] for name, f in result["figures"].items() if "skipped" in f}
    for name, why in skipped.items():
        print(f"  {LABELS[name]}: skipped ({why})")
    if ctx.args.explain:
        print(f"  plans: {plans}")
    return Result(
        "B4",
        "queries over a large history",
        figures(result),
        details={"data": data, **({"skipped": skipped} if skipped else {})},
    )


if __name__ == "__main__":
    main(sys.argv[1:])
