"""The reports over raw rows (Attempt, ImagePull, Pod), two ways with the same answers.

On PostgreSQL (`sql_rows`) the grouping, counts and percentiles run in SQL (`percentile_cont`), the
definitions of `pods.reports.definitions` restated as expressions (`usable_start_sql`, `failed_q`, ...).
Elsewhere (SQLite, the demo: `python_rows`) the rows are read with a wider filter and everything is computed
in Python with the pure definitions themselves. A test runs both on the same PostgreSQL data and requires
the same rows.

Rows are grouped by the report's key (`KEYS`); a Pod without an owner is its own workload (`Pod`, its name).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from django.db import connection
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from access.scope import EVERYTHING, Scope
from pods.models import Attempt, Container, ImagePull, Pod
from pods.reports import definitions as d
from pods.reports.period import Period
from pods.timeline.attempts import START_SKEW
from pods.timeline.times import UNIX_EPOCH

KINDS = ("init", "sidecar")
CHUNK = 500

INIT_CONTAINERS, POD_STARTUP, NODES = "init-containers", "pod-startup", "nodes"
REPORTS = (INIT_CONTAINERS, POD_STARTUP, NODES)
KEYS: dict[str, tuple[str, ...]] = {
    INIT_CONTAINERS: ("cluster", "namespace", "workload_kind", "workload", "container", "kind"),
    POD_STARTUP: ("cluster", "namespace", "workload_kind", "workload"),
    NODES: ("cluster", "node"),
}
# Every report's row fields, in the order of the CSV columns (the API's serializers declare the same).
FIELDS: dict[str, tuple[str, ...]] = {
    INIT_CONTAINERS: (
        *KEYS[INIT_CONTAINERS],
        "pods", "attempts", "failed", "failure_rate",
        "duration_p50", "duration_p95", "duration_p99", "duration_max",
        "pull_count", "pull_p50", "pull_p95", "queue_wait_p50", "already_present", "top_reasons",
    ),
    POD_STARTUP: (
        *KEYS[POD_STARTUP],
        "pods",
        "scheduled", "scheduled_p50", "scheduled_p95", "scheduled_max",
        "initialized", "initialized_p50", "initialized_p95", "initialized_max",
        "ready", "ready_p50", "ready_p95", "ready_max",
    ),
    NODES: (
        *KEYS[NODES],
        "pods", "attempts", "failed", "failure_rate", "duration_p50", "duration_p95",
        "pull_count", "pull_p50", "pull_p95", "queue_wait_p50", "already_present",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportFilters:
    cluster: str = ""
    namespace: str = ""
    workload: str = ""  # "name" or "Kind/name" (`Pod/name` for a Pod without an owner)
    container: str = ""
    # What the reader may see (`access.scope`): every row source narrows to it (raw rows in `_pod_q`,
    # hourly rollups and samples by their cluster and namespace).
    scope: Scope = EVERYTHING


def filters_of(params: dict[str, Any]) -> ReportFilters:
    """The filters of a report's query parameters (`cluster`, `namespace`, `workload`, `container` as
    text) and the reader's `scope` (put there by the view, `access.grants.scope_of`; absent: the operator's
    command line, everything)."""
    return ReportFilters(
        cluster=params.get("cluster") or "",
        namespace=params.get("namespace") or "",
        workload=params.get("workload") or "",
        container=params.get("container") or "",
        scope=params.get("scope") or EVERYTHING,
    )


def rows(report: str, filters: ReportFilters, period: Period) -> list[dict[str, Any]]:
    """The report's rows over raw rows, the way this database does it best."""
    return (sql_rows if connection.vendor == "postgresql" else python_rows)(report, filters, period)


# ------------------------------------------------------------------------------------------------ filters


def _pod_q(filters: ReportFilters, pod: str) -> Q:
    """`filters` over Pods reached through the lookup prefix `pod` ("" or "pod__")."""
    q = Q(**{f"{pod}seen": True}) & filters.scope.q(pod)
    if filters.cluster:
        q &= Q(**{f"{pod}cluster__name": filters.cluster})
    if filters.namespace:
        q &= Q(**{f"{pod}namespace": filters.namespace})
    if filters.workload:
        kind, _, name = filters.workload.rpartition("/")
        bare = Q(**{f"{pod}owner_name": "", f"{pod}name": name})
        owned = Q(**{f"{pod}owner_name": name})
        if kind.lower() == "pod":
            q &= bare
        elif kind:
            q &= owned & Q(**{f"{pod}owner_kind__iexact": kind})
        else:
            q &= owned | bare
    return q


def key_columns(report: str, pod: str, container: str) -> dict[str, Any]:
    """The report's key columns as expressions, through the prefixes `pod` and `container`."""
    exprs: dict[str, Any] = {
        "cluster": F(f"{pod}cluster__name"),
        "namespace": F(f"{pod}namespace"),
        "workload_kind": Case(
            When(**{f"{pod}owner_name": ""}, then=Value("Pod")), default=F(f"{pod}owner_kind")
        ),
        "workload": Case(
            When(**{f"{pod}owner_name": ""}, then=F(f"{pod}name")), default=F(f"{pod}owner_name")
        ),
        "node": F(f"{pod}node"),
        "container": F(f"{container}name"),
        "kind": F(f"{container}kind"),
    }
    # Aliased: `values()` refuses an alias named like a model field (`container`, `namespace`, ...).
    return {f"k_{key}": exprs[key] for key in KEYS[report]}


def init_attempts(filters: ReportFilters) -> QuerySet[Attempt]:
    """Attempt rows of the init containers and sidecars of the Pods `filters` selects."""
    qs = Attempt.objects.filter(_pod_q(filters, "pod__"), container__kind__in=KINDS)
    if filters.container:
        qs = qs.filter(container__name=filters.container)
    return qs


def selected_pods(filters: ReportFilters) -> QuerySet[Pod]:
    qs = Pod.objects.filter(_pod_q(filters, ""))
    if filters.container:
        qs = qs.filter(Exists(Container.objects.filter(pod=OuterRef("pk"), name=filters.container)))
    return qs


# ------------------------------------------------------------------------------------------------ SQL


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)` (nulls ignored)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


class Seconds(Func):
    """An interval in seconds (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
    output_field = FloatField()


def usable_start_sql(prefix: str = "") -> Case:
    """`definitions.start` (the engine's `usable_start`) over an Attempt row reached through `prefix`."""
    created = f"{prefix}pod__created_at"
    usable = Q(**{f"{prefix}known": True, f"{prefix}started_at__gt": UNIX_EPOCH}) & (
        Q(**{f"{created}__isnull": True}) | Q(**{f"{prefix}started_at__gte": F(created) - START_SKEW})
    )
    return Case(When(usable, then=F(f"{prefix}started_at")), default=None, output_field=DateTimeField())


def period_time_sql() -> Coalesce:
    """`definitions.period_time` over an Attempt row."""
    end = Case(When(known=True, then=F("finished_at")), default=None, output_field=DateTimeField())
    return Coalesce(usable_start_sql(), end, F("pod__created_at"), output_field=DateTimeField())


FINISHED_Q = Q(known=False) | Q(finished_at__isnull=False) | Q(exit_code__isnull=False)
# `definitions.is_failed`
FAILED_Q = Q(known=False, container__kind="init") | (
    Q(known=True)
    & (Q(finished_at__isnull=False) | Q(exit_code__isnull=False))
    & (Q(exit_code__gt=0) | Q(exit_code__lt=0) | ~Q(reason__in=["", d.COMPLETED]))
)


def next_start_sql() -> Subquery:
    """The first usable start of the next container of the Pod in the same generation."""
    following = Attempt.objects.annotate(usable=usable_start_sql()).filter(
        pod_id=OuterRef("pod_id"),
        # The same Pod's attempts share its creation: PostgreSQL reads one partition (pods.history).
        pod_created_at=OuterRef("pod_created_at"),
        generation=OuterRef("generation"),
        container__index=OuterRef("container__index") + 1,
        usable__isnull=False,
    )
    return Subquery(following.order_by("usable").values("usable")[:1], output_field=DateTimeField())


def in_period_sql(filters: ReportFilters, period: Period) -> QuerySet[Attempt]:
    return (
        init_attempts(filters)
        .annotate(period_time=period_time_sql())
        .filter(period_time__gte=period.since, period_time__lt=period.until)
    )


def duration_sql() -> Case:
    """`definitions.duration` over an Attempt row annotated with `began` and `moment`."""
    sidecar_started = Q(container__kind="sidecar", began__isnull=False, moment__gte=F("began")) & (
        Q(finished_at__isnull=True) | Q(moment__lte=F("finished_at"))
    )
    return Case(
        When(
            Q(container__kind="init", began__isnull=False, finished_at__isnull=False),
            then=Seconds(F("finished_at") - F("began")),
        ),
        When(sidecar_started, then=Seconds(F("moment") - F("began"))),
        default=None,
        output_field=FloatField(),
    )


def _percentiles(expr: Any, prefix: str, fractions: Iterable[tuple[str, float]]) -> dict[str, Any]:
    return {f"{prefix}_{name}": PercentileCont(expr, fraction) for name, fraction in fractions}


def attempts_sql(filters: ReportFilters, period: Period) -> QuerySet[Attempt]:
    """The attempts of `period` (`in_period_sql`) with their duration in seconds (`seconds`)."""
    qs = in_period_sql(filters, period).annotate(
        began=usable_start_sql(),
        moment=Case(When(container__kind="sidecar", then=next_start_sql()), default=None),
    )
    return qs.annotate(seconds=duration_sql())


def _sql_attempt_groups(report: str, filters: ReportFilters, period: Period) -> list[dict[str, Any]]:
    qs = attempts_sql(filters, period)
    groups = qs.values(**key_columns(report, "pod__", "container__")).annotate(
        pods=Count("pod_id", distinct=True),
        attempts=Sum("count"),
        failed=Sum(Case(When(FAILED_Q, then=F("count")), default=Value(0))),
        finished=Sum(Case(When(FINISHED_Q, then=F("count")), default=Value(0))),
        duration_max=Max("seconds"),
        **_percentiles(F("seconds"), "duration", (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))),
    )
    out = []
    for g in groups:
        g["failure_rate"] = d.rate(g["failed"], g.pop("finished"))
        for name in ("duration_p50", "duration_p95", "duration_p99", "duration_max"):
            g[name] = d.seconds(g[name])
        out.append(g)
    return out


def _sql_pull_groups(report: str, filters: ReportFilters, period: Period) -> list[dict[str, Any]]:
    containers = in_period_sql(filters, period).values("container_id")
    measured = Q(already_present=False)
    pull = Case(When(measured, then=F("pull_seconds")), default=None, output_field=FloatField())
    wait = Case(When(measured, then=F("wait_seconds")), default=None, output_field=FloatField())
    groups = (
        ImagePull.objects.filter(container_id__in=Subquery(containers))
        .values(**key_columns(report, "container__pod__", "container__"))
        .annotate(
            pull_count=Count("id", filter=measured & Q(pull_seconds__isnull=False)),
            pull_p50=PercentileCont(pull, 0.5),
            pull_p95=PercentileCont(pull, 0.95),
            queue_wait_p50=PercentileCont(wait, 0.5),
            already_present=Count("id", filter=Q(already_present=True)),
        )
    )
    out = []
    for g in groups:
        for name in ("pull_p50", "pull_p95", "queue_wait_p50"):
            g[name] = d.seconds(g[name])
        out.append(g)
    return out


def _sql_reasons(report: str, filters: ReportFilters, period: Period) -> list[tuple[tuple, Any]]:
    failed = in_period_sql(filters, period).filter(FAILED_Q, known=True)
    groups = failed.values(**key_columns(report, "pod__", "container__"), r=F("reason"), code=F("exit_code"))
    return [(row_key(report, g), (g["r"], g["code"], g["n"])) for g in groups.annotate(n=Sum("count"))]


def _sql_pod_startup(filters: ReportFilters, period: Period) -> list[dict[str, Any]]:
    qs = selected_pods(filters).filter(created_at__gte=period.since, created_at__lt=period.until)
    numbers: dict[str, Any] = {"pods": Count("id")}
    for step in ("scheduled", "initialized", "ready"):
        span = Seconds(F(f"{step}_at") - F("created_at"))
        numbers[step] = Count(f"{step}_at")
        numbers.update(_percentiles(span, step, (("p50", 0.5), ("p95", 0.95))))
        numbers[f"{step}_max"] = Max(span)
    out = []
    for g in qs.values(**key_columns(POD_STARTUP, "", "")).annotate(**numbers):
        for step in ("scheduled", "initialized", "ready"):
            for name in ("p50", "p95", "max"):
                g[f"{step}_{name}"] = d.seconds(g[f"{step}_{name}"])
        out.append(g)
    return out


def sql_rows(report: str, filters: ReportFilters, period: Period) -> list[dict[str, Any]]:
    """The report computed in SQL (PostgreSQL only: `percentile_cont`)."""
    if report == POD_STARTUP:
        return finish_rows(report, {row_key(report, g): g for g in _sql_pod_startup(filters, period)}, {}, {})
    attempts = {row_key(report, g): g for g in _sql_attempt_groups(report, filters, period)}
    pulls = {row_key(report, g): g for g in _sql_pull_groups(report, filters, period)}
    reasons: dict[tuple, list] = defaultdict(list)
    if report == INIT_CONTAINERS:
        for key, failure in _sql_reasons(report, filters, period):
            reasons[key].append(failure)
    return finish_rows(report, attempts, pulls, reasons)


# ------------------------------------------------------------------------------------------------ Python


def python_rows(report: str, filters: ReportFilters, period: Period) -> list[dict[str, Any]]:
    """The report computed in Python with the pure definitions (any database)."""
    if report == POD_STARTUP:
        return _python_pod_startup(filters, period)
    found = python_attempts(filters, period, report)
    groups: dict[tuple, list[tuple[dict, d.AttemptFacts]]] = defaultdict(list)
    for v, facts, _ in found:
        groups[row_key(report, v)].append((v, facts))
    attempts, reasons = {}, {}
    for key, members in groups.items():
        row: dict[str, Any] = {"pods": len({v["pod_id"] for v, _ in members})}
        row.update(d.attempt_numbers([f for _, f in members]))
        attempts[key] = row
        reasons[key] = [(f.reason, f.exit_code, f.count) for _, f in members if f.known and d.is_failed(f)]
    pulls = python_pulls(report, {v["container_id"]: row_key(report, v) for v, _, _ in found})
    return finish_rows(report, attempts, pulls, reasons if report == INIT_CONTAINERS else {})


def wide_filter(period: Period, *, indexed: bool = False) -> Q:
    """Attempts whose period time may lie in `period`: its start, its end or its Pod's creation does.
    `indexed` (a short period): the Pods created in it, then the Pods of the attempts found, are named by
    id, so that each condition uses an index (the attempts' start, end and Pod; the Pods' key) instead of
    joining every Pod."""
    wide = Q()
    for field in ("started_at", "finished_at"):
        wide |= Q(**{f"{field}__gte": period.since, f"{field}__lt": period.until})
    created = {"created_at__gte": period.since, "created_at__lt": period.until}
    if not indexed:
        return wide | Q(**{f"pod__{name}": value for name, value in created.items()})
    wide |= Q(pod_id__in=list(Pod.objects.filter(**created).values_list("id", flat=True)))
    found = Attempt.objects.filter(wide).order_by().values_list("pod_id", flat=True).distinct()
    return wide & Q(pod_id__in=list(found))


def python_attempts(
    filters: ReportFilters, period: Period, report: str, *fields: str, **expressions: Any
) -> list[tuple[dict[str, Any], d.AttemptFacts, datetime]]:
    """The init-container and sidecar attempts of the Pods `filters` selects that belong to `period`: each
    one's columns (`report`'s key columns, the definitions' columns, `fields` and `expressions`), its facts
    with a sidecar's started moment filled in, and the moment `definitions.period_time` placed it at.

    Read with a filter wider than the period (`wide_filter`: an attempt's period time is its start, its end
    or its Pod's creation); a sidecar's started moment is `definitions.sidecar_started_at` over the next
    container's usable starts (`next_starts`)."""
    return attempts_within(filters, period, report, wide_filter(period), fields, expressions)


def attempts_within(
    filters: ReportFilters,
    period: Period,
    report: str,
    wide: Q,
    fields: Iterable[str],
    expressions: dict[str, Any],
) -> list[tuple[dict[str, Any], d.AttemptFacts, datetime]]:
    """`python_attempts` read with the filter `wide` (`wide_filter`, or its `indexed` form for a short
    period)."""
    values = (
        init_attempts(filters)
        .filter(wide)
        .values(
            "pod_id", "container_id", "generation", "known", "count", "started_at", "finished_at",
            "exit_code", "reason", *fields, created=F("pod__created_at"), index=F("container__index"),
            container_kind=F("container__kind"), **expressions, **key_columns(report, "pod__", "container__"),
        )
    )  # fmt: skip
    found: list[tuple[dict[str, Any], d.AttemptFacts, datetime]] = []
    for v in cast(Iterable[dict[str, Any]], values):
        facts = attempt_facts(v)
        moment = d.period_time(facts)
        if moment is not None and d.in_period(moment, period.since, period.until):
            found.append((v, facts, moment))
    following = next_starts({v["pod_id"] for v, f, _ in found if f.kind == "sidecar"})
    out = []
    for v, facts, moment in found:
        if facts.kind == "sidecar":
            started = d.sidecar_started_at(
                d.start(facts),
                facts.finished_at,
                following.get((v["pod_id"], v["generation"], v["index"] + 1), ()),
            )
            facts = replace(facts, started_moment=started)
        out.append((v, facts, moment))
    return out


def attempt_facts(v: dict[str, Any]) -> d.AttemptFacts:
    return d.AttemptFacts(
        kind=v["container_kind"],
        known=v["known"],
        count=v["count"],
        started_at=v["started_at"],
        finished_at=v["finished_at"],
        exit_code=v["exit_code"],
        reason=v["reason"],
        pod_created_at=v["created"],
    )


def next_starts(pod_ids: set[int]) -> dict[tuple[int, int, int], list]:
    """(Pod, generation, container index) -> the usable starts of that container's attempts."""
    starts: dict[tuple[int, int, int], list] = defaultdict(list)
    ids = sorted(pod_ids)
    for i in range(0, len(ids), CHUNK):
        rows = Attempt.objects.filter(pod_id__in=ids[i : i + CHUNK]).values(
            "pod_id",
            "generation",
            "known",
            "started_at",
            index=F("container__index"),
            created=F("pod__created_at"),
        )
        for r in rows:
            facts = d.AttemptFacts("", r["known"], 1, r["started_at"], None, None, "", r["created"])
            starts[(r["pod_id"], r["generation"], r["index"])].append(d.start(facts))
    return starts


def pull_facts(container_ids: Iterable[int]) -> dict[int, d.PullFacts]:
    """The image pull of each of these containers that has one."""
    out: dict[int, d.PullFacts] = {}
    ids = sorted(container_ids)
    for i in range(0, len(ids), CHUNK):
        rows = ImagePull.objects.filter(container_id__in=ids[i : i + CHUNK]).values(
            "container_id", "pull_seconds", "wait_seconds", "already_present"
        )
        for r in rows:
            out[r["container_id"]] = d.PullFacts(r["pull_seconds"], r["wait_seconds"], r["already_present"])
    return out


def python_pulls(report: str, keys: dict[int, tuple]) -> dict[tuple, dict[str, Any]]:
    pulls: dict[tuple, list[d.PullFacts]] = defaultdict(list)
    for container_id, pull in pull_facts(keys).items():
        pulls[keys[container_id]].append(pull)
    return {key: d.pull_numbers(group) for key, group in pulls.items()}


def _python_pod_startup(filters: ReportFilters, period: Period) -> list[dict[str, Any]]:
    qs = selected_pods(filters).filter(created_at__gte=period.since, created_at__lt=period.until)
    groups: dict[tuple, list[d.PodFacts]] = defaultdict(list)
    values = qs.values(
        "created_at", "scheduled_at", "initialized_at", "ready_at", **key_columns(POD_STARTUP, "", "")
    )
    for v in cast(Iterable[dict[str, Any]], values):
        facts = d.PodFacts(v["created_at"], v["scheduled_at"], v["initialized_at"], v["ready_at"])
        groups[row_key(POD_STARTUP, v)].append(facts)
    numbers = {key: d.pod_startup_numbers(group) for key, group in groups.items()}
    return finish_rows(POD_STARTUP, numbers, {}, {})


# ------------------------------------------------------------------------------------------------ rows


def row_key(report: str, values: dict[str, Any]) -> tuple:
    """The key of a row read with `key_columns`."""
    return tuple(values[f"k_{k}"] for k in KEYS[report])


def finish_rows(
    report: str,
    groups: dict[tuple, dict[str, Any]],
    pulls: dict[tuple, dict[str, Any]],
    reasons: dict[tuple, list],
) -> list[dict[str, Any]]:
    """The rows in the report's field order, sorted by key; pull numbers and top reasons merged in."""
    no_pulls = d.pull_numbers([])
    fields = FIELDS[report]
    out = []
    for key in sorted(groups, key=_sort_key):
        row = {**dict(zip(KEYS[report], key, strict=True)), **groups[key], **pulls.get(key, no_pulls)}
        if report == INIT_CONTAINERS:
            row["top_reasons"] = d.top_reasons(reasons.get(key, ()))
        out.append({name: row[name] for name in fields})
    return out


def _sort_key(key: tuple) -> tuple:
    return tuple("" if part is None else str(part) for part in key)


ROWS: dict[str, Callable[[str, ReportFilters, Period], list[dict[str, Any]]]] = {
    "sql": sql_rows,
    "python": python_rows,
}
