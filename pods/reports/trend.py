"""The trend of init-container rows over a period: per hour or per day, the attempts that started in it,
how many failed, the failure rate and the p50/p95 durations (docs/reports.md, "Trend and Pods").

The definitions are the report's own (`definitions`): an attempt belongs to the bucket in which it started
(its period time), placeholders count in `attempts` and, for an init container, in `failed`, durations are
finishedAt − startedAt (a sidecar: start → started), percentiles exact over raw rows. Two ways with the same
answers, as `queries`: in SQL on PostgreSQL (`percentile_cont` per `date_trunc` bucket, the expressions of
`queries`), in Python with the definitions elsewhere; a test requires both to agree.

Buckets are whole UTC hours or days; the first one starts at or before `since` and counts only what lies in
the period. Every bucket of the period is listed, empty ones with zero attempts and null durations, so a
chart draws gaps where nothing ran.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Case, DateTimeField, F, Sum, Value, When
from django.db.models.functions import Trunc

from pods.reports import definitions as d
from pods.reports import queries
from pods.reports.documents import RAW
from pods.reports.facts import period_attempts, row_filters
from pods.reports.period import Period, PeriodError, parse_period
from pods.timeline.times import format_time

HOUR, DAY = "hour", "day"
BUCKETS = {HOUR: timedelta(hours=1), DAY: timedelta(days=1)}
# Without `bucket`: hours for a period up to three days (at most 72 points), days beyond.
HOURLY_UP_TO = timedelta(days=3)
MAX_BUCKETS = 1000
NUMBERS = ("attempts", "failed", "failure_rate", "duration_p50", "duration_p95")


def trend_document(params: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The trend for the query parameters (`cluster`, `namespace`, `workload`, `container`, `since`,
    `until`, `bucket` as text): `{"since", "until", "source", "bucket", "buckets"}`. A bad period or bucket
    raises PeriodError."""
    period = parse_period(params.get("since"), params.get("until"), now or datetime.now(UTC))
    bucket = choose_bucket(period, params.get("bucket") or None)
    return {
        "since": format_time(period.since),
        "until": format_time(period.until),
        "source": RAW,
        "bucket": bucket,
        "buckets": trend(row_filters(params), period, bucket),
    }


def choose_bucket(period: Period, asked: str | None = None) -> str:
    """`asked` when given, else hours for a period up to three days and days beyond. Too many buckets
    (more than `MAX_BUCKETS`) raise PeriodError on `bucket`."""
    bucket = asked or (HOUR if period.until - period.since <= HOURLY_UP_TO else DAY)
    if bucket not in BUCKETS:
        raise PeriodError("bucket", f"not a bucket: {bucket[:20]!r}; `hour` or `day`.")
    if len(bucket_starts(period, bucket)) > MAX_BUCKETS:
        raise PeriodError("bucket", f"more than {MAX_BUCKETS} {bucket}s in the period: ask for `day`.")
    return bucket


def floor(moment: datetime, bucket: str) -> datetime:
    """The start of the UTC hour or day that holds `moment`."""
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if bucket == DAY else moment


def bucket_starts(period: Period, bucket: str) -> list[datetime]:
    step, at = BUCKETS[bucket], floor(period.since, bucket)
    out: list[datetime] = []
    while at < period.until and len(out) <= MAX_BUCKETS:
        out.append(at)
        at += step
    return out


def trend(filters: queries.ReportFilters, period: Period, bucket: str) -> list[dict[str, Any]]:
    """One entry per bucket of the period: `start` and `NUMBERS`, the way this database does it best."""
    compute = sql_buckets if connection.vendor == "postgresql" else python_buckets
    found = compute(filters, period, bucket)
    empty = {"attempts": 0, "failed": 0, "failure_rate": None, "duration_p50": None, "duration_p95": None}
    return [
        {"start": format_time(start), **found.get(start, empty)} for start in bucket_starts(period, bucket)
    ]


def python_buckets(
    filters: queries.ReportFilters, period: Period, bucket: str
) -> dict[datetime, dict[str, Any]]:
    """The numbers per bucket computed in Python with the pure definitions (any database)."""
    groups: dict[datetime, list[d.AttemptFacts]] = defaultdict(list)
    for attempt in period_attempts(filters, period):
        groups[floor(attempt.moment, bucket)].append(attempt.facts)
    out = {}
    for start, facts in groups.items():
        numbers = d.attempt_numbers(facts)
        out[start] = {name: numbers[name] for name in NUMBERS}
    return out


def sql_buckets(
    filters: queries.ReportFilters, period: Period, bucket: str
) -> dict[datetime, dict[str, Any]]:
    """The numbers per bucket in SQL (PostgreSQL only: `percentile_cont`), with `queries`' expressions."""
    qs = queries.in_period_sql(filters, period).annotate(
        began=queries.usable_start_sql(),
        moment=Case(When(container__kind="sidecar", then=queries.next_start_sql()), default=None),
    )
    qs = qs.annotate(
        seconds=queries.duration_sql(),
        bucket_start=Trunc("period_time", bucket, output_field=DateTimeField(), tzinfo=UTC),
    )
    groups = qs.values("bucket_start").annotate(
        attempts=Sum("count"),
        failed=Sum(Case(When(queries.FAILED_Q, then=F("count")), default=Value(0))),
        finished=Sum(Case(When(queries.FINISHED_Q, then=F("count")), default=Value(0))),
        duration_p50=queries.PercentileCont(F("seconds"), 0.5),
        duration_p95=queries.PercentileCont(F("seconds"), 0.95),
    )
    out = {}
    for g in groups:
        out[g["bucket_start"].astimezone(UTC)] = {
            "attempts": g["attempts"],
            "failed": g["failed"],
            "failure_rate": d.rate(g["failed"], g["finished"]),
            "duration_p50": d.seconds(g["duration_p50"]),
            "duration_p95": d.seconds(g["duration_p95"]),
        }
    return out
