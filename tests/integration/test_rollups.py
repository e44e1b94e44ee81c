"""The hourly rollups (docs/reports.md, "Rollups"): they say what raw rows say (counts exact, percentiles
within 2%) on the hand-computed table and the samples; rebuilding is idempotent; a crash loses and doubles
nothing; ingest marks the hours it touches; the source switch, the beat entry and `manage.py rollup`."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.forms.models import model_to_dict

from pods import reports
from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch, rollup_marks
from pods.models import InitContainerRollup, NodeRollup, PodStartupRollup, RollupMark
from pods.reports import hourly, queries, rollup_build, rollups
from pods.reports.period import Period
from tests.builders import migrate_crash_looping
from tests.integration import report_table as table

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
PERIODS = table.PERIODS
PERCENTILES = {
    "duration_p50", "duration_p95", "duration_p99", "pull_p50", "pull_p95", "queue_wait_p50",
    "scheduled_p50", "scheduled_p95", "initialized_p50", "initialized_p95", "ready_p50", "ready_p95",
}  # fmt: skip
TABLES = (InitContainerRollup, NodeRollup, PodStartupRollup)


def _raw(name, period, **filters):
    return queries.python_rows(name, reports.ReportFilters(**filters), period)


def _rollup(name, period, **filters):
    return rollups.rows(name, reports.ReportFilters(**filters), period)


def assert_within_bound(rollup_rows, raw_rows):
    """Same rows, same keys, counts and maxima exact, percentiles within 2% (plus the millisecond)."""
    assert len(rollup_rows) == len(raw_rows), (rollup_rows, raw_rows)
    for got, want in zip(rollup_rows, raw_rows, strict=True):
        assert list(got) == list(want)
        for field, value in want.items():
            if field in PERCENTILES and value is not None and got[field] is not None:
                assert abs(got[field] - value) <= 0.02 * abs(value) + 0.001, (field, got, want)
            else:
                assert got[field] == value, (field, got, want)


def _dump():
    return sorted(
        (model.__name__, sorted((k, str(v)) for k, v in model_to_dict(row).items() if k != "id"))
        for model in TABLES
        for row in model.objects.all()
    )


@pytest.fixture
def stored(db):
    cluster = table.build()
    table.late_details()
    rollup_build.rebuild(None, None)
    return cluster


@pytest.mark.parametrize("name", reports.REPORTS)
@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.since:%d%H}-{p.until:%d%H}")
def test_rollups_say_what_raw_rows_say_on_the_hand_computed_table(stored, name, period):
    assert_within_bound(_rollup(name, period), _raw(name, period))


def test_the_table_read_from_rollups(stored):
    day = Period(table.SINCE, table.UNTIL)
    worker = [r for r in _rollup(reports.INIT_CONTAINERS, day) if r["workload"] == "worker"]
    assert worker == [table.WORKER_AFTER_LATE_DETAILS]  # moved out of the placeholder's hour
    # Placeholders, a StartError placed by its end, the reused name, the deleted Pod: exact counts.
    migrate = _rollup(reports.INIT_CONTAINERS, day, container="migrate", workload="Deployment/api")
    expected = table.INIT_CONTAINERS[0]
    assert [(r["pods"], r["attempts"], r["failed"], r["top_reasons"]) for r in migrate] == [
        (3, 9, 6, expected["top_reasons"])
    ]
    # The attempt across midnight counts on its first day with its whole 40 s; the Pod's next attempt
    # on the second day counts that Pod there too (carried: its earlier attempt is before the period).
    next_day = Period(table.UNTIL, table.UNTIL + timedelta(days=1))
    after = _rollup(reports.INIT_CONTAINERS, next_day, container="migrate")
    assert [(r["pods"], r["attempts"], r["failed"], r["duration_max"]) for r in after] == [(1, 1, 1, 10.0)]
    sidecar = _rollup(reports.INIT_CONTAINERS, day, container="proxy")
    assert [(r["kind"], r["attempts"], r["failed"], r["duration_max"]) for r in sidecar] == [
        ("sidecar", 4, 0, 4.0)
    ]


@pytest.mark.parametrize("name", reports.REPORTS)
def test_rollups_say_what_raw_rows_say_on_the_samples(imported_samples, name):
    rollup_build.rebuild(None, None)
    everything = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    raw = _raw(name, everything)
    assert raw, "the samples have rows for this report"
    assert_within_bound(_rollup(name, everything), raw)


def test_a_day_row_says_what_its_hours_say(stored):
    day = Period(table.SINCE, table.UNTIL)
    days = InitContainerRollup.objects.filter(span_hours=24, hour=table.SINCE)
    assert days.count() == 4  # migrate, proxy, wait, setup (the late details): one row each for the day
    hours_only = Period(table.SINCE, table.SINCE + 23 * H)  # no whole day: hour rows alone
    last_hour = Period(table.SINCE + 23 * H, table.UNTIL)
    for name in reports.REPORTS:
        from_days = _rollup(name, day)
        from_hours = _rollup(name, hours_only)
        assert from_days and from_days != from_hours or name == reports.POD_STARTUP
        assert_within_bound(from_days, _raw(name, day))
        assert_within_bound(_rollup(name, last_hour), _raw(name, last_hour))
    rows = sorted(InitContainerRollup.objects.filter(span_hours=24).values_list("hour", flat=True))
    assert all(h.hour == 0 for h in rows)
    days.update(attempts=0)  # the whole day is read from its day rows, not from its hours
    assert {r["attempts"] for r in _rollup(reports.INIT_CONTAINERS, day)} == {0}


def test_whole_months_are_read_from_blocks_of_months(stored):
    months = Period(datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))
    may, june = datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    rows = InitContainerRollup.objects.filter(Q(hour=may, span_hours=744) | Q(hour=june, span_hours=720))
    # One month row per key with a day row in the month (May 31 has worker's placeholders).
    days = InitContainerRollup.objects.filter(span_hours=24, hour__gte=may, hour__lt=june + 30 * 24 * H)
    keys = ("hour__month", "workload", "container")
    assert sorted(rows.values_list(*keys)) == sorted(set(days.values_list(*keys)))
    assert {month for month, _, _ in rows.values_list(*keys)} == {5, 6}
    # May and June together are one block (two months from January on): that row is what is read.
    both = InitContainerRollup.objects.filter(hour=may, span_hours=61 * 24)
    assert sorted(both.values_list("workload", "container")) == sorted(
        set(days.values_list("workload", "container"))
    )
    # Between hours and months, blocks of 2 … 16 hours and days: a change of June 1, 10:00 rewrites the
    # blocks that hold it, each the sum of the (at most five) smaller blocks that cover it.
    ten = june + 10 * H
    may_june, year = datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)
    assert hourly.blocks_holding(ten) == [
        (ten, 2), (june + 8 * H, 4), (june + 8 * H, 8), (june, 16), (june, 24), (june, 48), (june, 96),
        (june, 192), (june, 384), (june, 720), (may_june, 61 * 24), (may, 123 * 24), (year, 243 * 24),
        (year, 365 * 24),
    ]  # fmt: skip
    assert hourly.cover(june, june + 720 * H, below=720) == [
        (june, 384),
        (june + 384 * H, 192),
        (june + 576 * H, 96),
        (june + 672 * H, 48),
    ]
    assert_within_bound(_rollup(reports.INIT_CONTAINERS, months), _raw(reports.INIT_CONTAINERS, months))
    rows.update(attempts=0)  # not read
    assert_within_bound(_rollup(reports.INIT_CONTAINERS, months), _raw(reports.INIT_CONTAINERS, months))
    both.update(attempts=0)
    assert {r["attempts"] for r in _rollup(reports.INIT_CONTAINERS, months)} == {0}


def test_a_long_crash_loop_is_one_carried_entry_per_row(db):
    """A Pod with an attempt every hour of two days: one carried entry per hour row, and the day and month
    rows keep only what was carried from before their start."""
    cluster = cluster_get_or_create(name="loop")
    objects = [migrate_crash_looping(n, n, 1_000_000 + n * 3600) for n in range(1, 49)]
    for o in objects:  # one batch each: every attempt seen with its times
        ingest_batch(cluster=cluster, items=[WatchItem("pod", o, "MODIFIED")])
    rollup_build.rebuild(None, None)
    migrate = InitContainerRollup.objects.filter(cluster=cluster, container="migrate")
    hours = migrate.filter(span_hours=1).exclude(carried_pods=[])
    assert hours.count() >= 40 and all(len(r.carried_pods) == 1 for r in hours)
    longer = migrate.filter(span_hours__gt=1)
    assert longer.exists()
    for row in longer:
        start = int(row.hour.timestamp() // 3600)
        assert all(hour < start for hour, _ in row.carried_pods), row.carried_pods
        assert len(row.carried_pods) <= 1
    everything = Period(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    for name in reports.REPORTS:
        assert_within_bound(_rollup(name, everything, cluster="loop"), _raw(name, everything, cluster="loop"))


def test_a_year_is_read_as_a_few_dozen_blocks():
    since = datetime(2025, 11, 17, 15, tzinfo=UTC)
    blocks = hourly.cover(since, since + timedelta(days=365))
    assert sum(span for _, span in blocks) == 365 * 24
    assert [span for _, span in blocks].count(1) <= 2 and len(blocks) <= 16, blocks
    # December 2025 alone, then January to August and September to October 2026.
    months = [(start, span // 24) for start, span in blocks if span >= 672]
    assert months == [
        (datetime(2025, 12, 1, tzinfo=UTC), 31), (datetime(2026, 1, 1, tzinfo=UTC), 243),
        (datetime(2026, 9, 1, tzinfo=UTC), 61),
    ]  # fmt: skip
    # Every block is a stored one: a block of hours inside a day, of days inside a month.
    for start, span in blocks:
        assert (start, span) in hourly.blocks_holding(start) or span == 1


def test_blocks_longer_than_a_day_rebuilt_from_the_day_rows_are_the_same(stored):
    reference = _dump()
    for model in TABLES:
        model.objects.filter(span_hours__gt=24).delete()
    assert _dump() != reference
    written = rollup_build.recompute_longer_blocks(
        stored.pk, datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)
    )
    assert written and _dump() == reference


def test_rebuilding_twice_changes_nothing(stored):
    first = _dump()
    assert first
    rollup_build.rebuild(None, None)
    assert _dump() == first


def _mark_every_hour():
    hours = rollup_build.hours_with_data(None, None)
    for cluster_id, hour in hours:
        RollupMark.objects.update_or_create(
            cluster_id=cluster_id, hour=hour, defaults={"token": uuid.uuid4(), "marked_at": hour}
        )
    return len(hours)


@pytest.fixture
def everything_recent(settings):
    settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS = 365 * 100  # the table's hours are within the raw horizon


def test_a_crash_between_recompute_and_clear_loses_nothing_and_doubles_nothing(
    stored, everything_recent, monkeypatch
):
    reference = _dump()
    marked = _mark_every_hour()
    assert marked > 3

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(rollup_build, "clear_mark", crash)
    with pytest.raises(RuntimeError):
        rollup_build.run_marks()
    assert RollupMark.objects.count() == marked  # every mark kept
    assert _dump() == reference  # the recompute was rolled back with it
    monkeypatch.undo()
    # Even rows committed twice (a recompute without its clear) are replaced, not added.
    for mark in RollupMark.objects.all()[:2]:
        rollup_build.recompute_hour(mark.cluster_id, mark.hour)
    result = rollup_build.run_marks()
    assert (result.recomputed, result.remarked) == (marked, 0)
    assert RollupMark.objects.count() == 0
    assert _dump() == reference


def test_an_hour_marked_again_while_it_is_recomputed_keeps_its_mark(stored, everything_recent, monkeypatch):
    hour = datetime(2025, 6, 1, 10, tzinfo=UTC)
    RollupMark.objects.create(cluster=stored, hour=hour, token=uuid.uuid4(), marked_at=hour)
    real = rollup_build.hour_inputs

    def marked_meanwhile(cluster_id, at):
        facts = real(cluster_id, at)
        RollupMark.objects.filter(hour=at).update(token=uuid.uuid4())
        return facts

    monkeypatch.setattr(rollup_build, "hour_inputs", marked_meanwhile)
    result = rollup_build.run_marks()
    assert (result.recomputed, result.remarked) == (0, 1)
    assert RollupMark.objects.filter(hour=hour).exists()
    monkeypatch.undo()
    assert rollup_build.run_marks().recomputed == 1
    assert not RollupMark.objects.exists()


def test_hours_older_than_the_raw_horizon_are_never_recomputed(stored):
    # The default horizon (INITSCOPE_RETAIN_ATTEMPTS_DAYS before now) is long after 2025-06.
    reference = _dump()
    wait = InitContainerRollup.objects.filter(container="wait", span_hours=1)
    wait.update(attempts=99)  # what a recompute would undo
    marked = _mark_every_hour()
    result = rollup_build.run_marks()
    assert (result.expired, result.recomputed) == (marked, 0)
    assert not RollupMark.objects.exists()
    assert wait.get().attempts == 99
    assert _dump() != reference


def test_ingest_marks_the_hours_it_writes_and_the_task_rolls_them_up(everything_recent):
    cluster = cluster_get_or_create(name="marks")
    # `migrate` fails, then restarts twice unseen (a placeholder) and fails again over an hour later.
    objects = [migrate_crash_looping(1, 1, 20), migrate_crash_looping(2, 4, 4000)]
    ingest_batch(cluster=cluster, items=[WatchItem("pod", o, "MODIFIED") for o in objects])
    marks = set(RollupMark.objects.filter(cluster=cluster).values_list("hour", flat=True))
    assert marks and all(h.minute == 0 and h.second == 0 for h in marks)
    first = min(marks)
    result = rollup_build.run_marks()
    assert result.recomputed == len(marks) and not RollupMark.objects.exists()
    period = Period(first - 24 * H, first + 48 * H)
    for name in reports.REPORTS:
        raw = _raw(name, period, cluster="marks")
        assert raw
        assert_within_bound(_rollup(name, period, cluster="marks"), raw)
    # The same objects again change nothing: no Pod written, no hour marked.
    ingest_batch(cluster=cluster, items=[WatchItem("pod", o, "MODIFIED") for o in objects])
    assert not RollupMark.objects.exists()


def test_the_beat_schedule_runs_the_rollup_task():
    from dashboard.celery import app
    from pods import tasks

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "pods.tasks.rollup_hours"]
    assert len(entries) == 1 and entries[0]["schedule"] == settings.INITSCOPE_ROLLUP_EVERY_SECONDS
    assert tasks.rollup_hours.name in app.tasks


def test_the_source_switch(stored, logged_in_client):
    url = "/api/v1/reports/init-containers"
    # 2025 is before the raw horizon: rollups answer, the period rounded out to whole hours.
    document = logged_in_client.get(
        url, {"since": "2025-06-01T00:30:00Z", "until": "2025-06-01T23:10Z"}
    ).json()
    assert document["source"] == "rollup" and "2%" in document["bound"]
    assert (document["since"], document["until"]) == ("2025-06-01T00:00:00Z", "2025-06-02T00:00:00Z")
    assert_within_bound(document["rows"], _raw(reports.INIT_CONTAINERS, PERIODS[0]))
    raw = logged_in_client.get(url, {"since": "2025-06-01", "until": "2025-06-02", "source": "raw"}).json()
    assert raw["source"] == "raw" and "bound" not in raw
    # The last 7 days: raw rows; asked from rollups, none yet: no rows, not an error.
    assert logged_in_client.get(url).json()["source"] == "raw"
    recent = logged_in_client.get(url, {"source": "rollup"}).json()
    assert recent["source"] == "rollup" and recent["rows"] == []
    # CSV: the same rows.
    csv_text = logged_in_client.get(url, {"since": "2025-06-01", "until": "2025-06-02", "format": "csv"})
    assert csv_text.content.decode() == reports.csv_text(reports.INIT_CONTAINERS, document)
    # What rollups do not hold is refused by name.
    bad = logged_in_client.get("/api/v1/reports/nodes", {"since": "2025-06-01", "namespace": "shop"})
    assert bad.status_code == 400 and list(bad.json()) == ["namespace"]
    assert logged_in_client.get(url, {"source": "cache"}).status_code == 400


def test_the_source_switch_follows_the_retention_setting(stored, settings):
    params = {"since": "2025-06-01", "until": "2025-06-02"}
    now = datetime(2025, 6, 10, tzinfo=UTC)
    settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS = 30
    assert reports.report_document(reports.NODES, params, now=now)["source"] == "raw"
    settings.INITSCOPE_RETAIN_ATTEMPTS_DAYS = 5
    document = reports.report_document(reports.NODES, params, now=now)
    assert document["source"] == "rollup"
    assert_within_bound(document["rows"], _raw(reports.NODES, PERIODS[0]))


def test_the_cli_reads_rollups_and_rebuilds_them(stored):
    InitContainerRollup.objects.all().delete()
    out = io.StringIO()
    call_command("rollup", "--since", "2025-06-01T10:20:00Z", "--until", "2025-06-01T11:00Z", stdout=out)
    assert "1 hours recomputed from 2025-06-01T10:00:00Z until 2025-06-01T11:00:00Z" in out.getvalue()
    assert set(InitContainerRollup.objects.values_list("container", flat=True)) == {"migrate", "proxy"}
    call_command("rollup", "--all", stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "report", "init-containers", "--since", "2025-06-01", "--until", "2025-06-02", "--source", "rollup",
        stdout=out,
    )  # fmt: skip
    assert "source: rollup" in out.getvalue() and "worker" in out.getvalue()


def test_late_details_move_an_attempt_to_another_hour_without_double_counting(db, everything_recent):
    cluster = table.build()
    rollup_build.rebuild(None, None)
    day = Period(table.SINCE, table.UNTIL)
    before = Period(table.SINCE - H, table.SINCE)  # worker-1's creation hour: its 2 placeholders
    assert [r["attempts"] for r in _rollup(reports.INIT_CONTAINERS, before)] == [2]
    table.late_details()
    # What ingest marks for worker-1 (pods.ingest.rollup_marks): its creation's hour and the new start's.
    rollup_marks.mark(cluster, [table.SINCE - H, table.SINCE])
    assert rollup_build.run_marks().recomputed == 2
    assert [r["attempts"] for r in _rollup(reports.INIT_CONTAINERS, before)] == [1]
    worker = [r for r in _rollup(reports.INIT_CONTAINERS, day) if r["workload"] == "worker"]
    assert worker == [table.WORKER_AFTER_LATE_DETAILS]
    for period in PERIODS:
        for name in reports.REPORTS:
            assert_within_bound(_rollup(name, period), _raw(name, period))
