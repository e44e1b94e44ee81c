"""The raw init-containers report read from the report samples (docs/reports.md "Reports over raw rows,
fast"): on the hand-computed table (sidecars, placeholders, late details, an attempt across midnight, a
reused name, a deleted Pod) it answers exactly what `queries.sql_rows` answers — whole hours and days from
the samples, the partial hours at the ends and the marked hours from raw rows; a late detail re-marks its
hours and the answer stays exact before and after the rollup task; retention prunes the samples with the
attempts."""

from __future__ import annotations

import io
import random

import pytest
from django.core.management import call_command

from pods import reports
from pods.history.retention import Retention, maintain
from pods.ingest import rollup_marks
from pods.models import ReportSample, ReportSampleCover, RollupMark
from pods.reports import definitions, queries, rollup_build, sample_rows, samples
from pods.reports.period import Period
from tests.integration import report_table as table

pytestmark = pytest.mark.django_db

t = table.t
# Periods cut inside hours at one or both ends, besides the rollups' whole-hour periods.
PARTIAL = [
    Period(t("10:00:20"), t("2025-06-02T00:05:05")),
    Period(t("2025-05-31T23:30:00"), t("12:00:30")),
    Period(t("2025-05-31T09:59:00"), t("2025-06-02T02:00:00")),
    Period(t("12:00:15"), t("12:01:10")),
]
FILTERS = [
    {},
    {"cluster": "c1"},
    {"container": "migrate"},
    {"workload": "Deployment/api", "namespace": "shop"},
    {"workload": "api"},
    {"workload": "Pod/debug"},
    {"container": "proxy", "workload": "deployment/api"},
]


@pytest.fixture
def everything_recent(settings):
    settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS = 365 * 100  # the table's hours are within the raw horizon


@pytest.fixture
def sampled(everything_recent):
    """The table with the late details, its samples started by the rollup task and computed by it."""
    cluster = table.build()
    table.late_details()
    _task()
    assert not RollupMark.objects.exists()
    assert ReportSampleCover.objects.get(cluster=cluster).version == sample_rows.VERSION
    return cluster


def _task():
    """The beat task once (`pods.tasks.rollup_hours`): the samples started, the marked hours computed."""
    assert rollup_build.cover_samples() > 5
    assert rollup_build.run_marks(limit=10**6).recomputed > 5


def _exact(period, **filters):
    """The cached report (it must answer) and `sql_rows`, equal."""
    f = reports.ReportFilters(**filters)
    cached = sample_rows.cached_rows(f, period)
    assert cached is not None, "the samples answer"
    assert cached == queries.sql_rows(reports.INIT_CONTAINERS, f, period)
    return cached


def test_the_samples_answer_what_sql_answers(sampled):
    for period in table.PERIODS + PARTIAL:
        for filters in FILTERS:
            _exact(period, **filters)


def test_whole_days_and_hours_come_from_samples_and_the_ends_from_raw_rows(sampled):
    period = Period(t("2025-05-31T22:30:00"), t("2025-06-02T01:10:00"))
    days, hours, raw = sample_rows.plan(t("2025-05-01T00:00:00"), set(), period)
    assert days == [table.SINCE]
    assert hours == [t("2025-05-31T23:00:00"), t("2025-06-02T00:00:00")]
    assert raw == [
        Period(period.since, t("2025-05-31T23:00:00")),
        Period(t("2025-06-02T01:00:00"), period.until),
    ]
    rows = _exact(period)
    assert [r for r in rows if r["container"] == "migrate"][0]["pods"] == 3  # api-0 is outside
    # The table's day, read from its day row alone, is the hand-computed table.
    day = _exact(Period(table.SINCE, table.UNTIL))
    worker = [r for r in day if r["workload"] == "worker"]
    assert worker == [table.WORKER_AFTER_LATE_DETAILS]
    assert [r for r in day if r["workload"] != "worker"] == [
        r for r in table.INIT_CONTAINERS if r["workload"] != "worker"
    ]


def test_a_late_detail_re_marks_its_hours_and_the_report_stays_exact(everything_recent):
    cluster = table.build()
    _task()
    period = Period(t("2025-05-31T20:00:00"), t("2025-06-02T03:00:00"))
    before = _exact(period)
    table.late_details()  # the placeholder's second run started at 00:00:10 on the table's day
    stale = sample_rows.cached_rows(reports.ReportFilters(), period)
    assert stale == before != queries.sql_rows(reports.INIT_CONTAINERS, reports.ReportFilters(), period)
    # What ingest marks for it: the Pod's creation (the placeholder's place) and the new attempt's hours.
    rollup_marks.mark(cluster, [t("2025-05-31T23:00:00"), t("00:00:00")])
    days, _, raw = sample_rows.plan(t("2025-05-01T00:00:00"), {t("00:00:00")}, period)
    assert table.SINCE not in days and Period(t("00:00:00"), t("01:00:00")) in raw
    after = _exact(period)  # the marked hours from raw rows
    assert after != before
    rollup_build.run_marks()
    assert not RollupMark.objects.exists()
    assert _exact(period) == after  # and from the recomputed samples


def test_without_cover_or_with_too_many_raw_hours_the_report_is_sql(sampled):
    f = reports.ReportFilters()
    long_ago = Period(t("2025-03-01T00:00:00"), t("2025-06-02T00:00:00"))
    ReportSampleCover.objects.update(since=t("2025-05-20T00:00:00"))
    assert sample_rows.cached_rows(f, long_ago) is None  # 80 days before the cover: raw rows
    assert sample_rows.raw_rows(reports.INIT_CONTAINERS, f, long_ago) == queries.sql_rows(
        reports.INIT_CONTAINERS, f, long_ago
    )
    ReportSampleCover.objects.update(version=sample_rows.VERSION - 1)  # computed by another version
    assert sample_rows.cached_rows(f, Period(table.SINCE, table.UNTIL)) is None
    # The document says raw either way.
    assert reports.report(reports.INIT_CONTAINERS, f, Period(table.SINCE, table.UNTIL))["source"] == "raw"


def test_retention_prunes_the_samples_with_the_attempts(sampled):
    now = t("2025-06-02T12:30:00")  # attempts kept 1 day: the cutoff is 2025-06-01T12:30
    dry = maintain(now=now, dry_run=True, retention=Retention(1, 1, 3650))
    planned = [s.rows for s in dry.steps if s.target == ReportSample._meta.db_table]
    old = ReportSample.objects.filter(hour__lt=t("13:00:00"))
    assert planned == [old.count()] and planned[0] > 0
    maintain(now=now, retention=Retention(1, 1, 3650))
    assert not old.exists() and ReportSample.objects.filter(hour__gte=t("13:00:00")).exists()
    assert ReportSampleCover.objects.get(cluster=sampled).since == t("13:00:00")
    for period in (Period(table.SINCE, table.UNTIL), PARTIAL[0], table.PERIODS[1]):
        _exact(period)


def test_exact_percentiles_are_percentile_cont():
    rng = random.Random(12)
    for n in (1, 2, 3, 7, 100, 1001):
        values = [round(rng.lognormvariate(2, 1.5), rng.choice((0, 3, 6))) for _ in range(n)]
        fractions = (0.0, 0.5, 0.95, 0.99, 1.0)
        got = samples.percentiles(samples.np.array(values, dtype=samples.FLOAT), fractions)
        assert got == [definitions.percentile(values, f) for f in fractions]
    assert samples.percentiles(samples.np.empty(0), (0.5,)) == [None]


def test_samples_merge_pods_and_their_pulls_once():
    pull = definitions.PullFacts(3.0, 1.0, False)
    facts = definitions.AttemptFacts("init", True, 1, t("10:00:00"), t("10:00:05"), 1, "Error", t("09:59:00"))
    first, second = samples.Sample(), samples.Sample()
    first.add(7, facts, pull)
    second.add(7, facts, pull)
    second.add(8, facts, definitions.PullFacts(None, None, True))
    merged = samples.merge([first.packed(), second.packed()])
    assert samples.attempt_numbers(merged)["pods"] == 2
    assert samples.attempt_numbers(merged)["attempts"] == 3
    assert samples.pull_numbers(merged) == definitions.pull_numbers(
        [pull, definitions.PullFacts(None, None, True)]
    )
    stored = samples.Packed.from_columns(**merged.fields())
    assert stored.fields() == merged.fields() and list(stored.pods) == [7, 8]
    assert (
        samples.Packed.from_columns(**samples.merge([stored, stored]).fields()).fields()["pods"]
        == (merged.fields()["pods"])
    )


def _dump():
    fields = ("hour", "span_hours", *sample_rows.KEY_FIELDS, "attempts", "finished", "failed", "reasons")
    return sorted(
        (*[v[f] for f in fields], *[bytes(v[f]) for f in ("durations", "pods", "pulls", "waits", "present")])
        for v in ReportSample.objects.values()
    )


def test_the_set_based_fill_writes_the_samples_the_task_writes(sampled):
    by_the_task = _dump()
    ReportSample.objects.all().delete()
    ReportSampleCover.objects.all().delete()
    out = io.StringIO()
    call_command("rollup", "--samples", "--all", stdout=out)
    assert "c1: samples of" in out.getvalue()
    assert _dump() == by_the_task
    assert ReportSampleCover.objects.get(cluster=sampled).version == sample_rows.VERSION
    _exact(PARTIAL[2])
