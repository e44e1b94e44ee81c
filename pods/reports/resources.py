"""The resources report: per workload × init container (and sidecar), its requests and limits, the Pod's
effective request and whether this container sets it, and its OOM kills over a period (docs/reports.md
"Resources").

The Pods of a row are those with an attempt of the container in the period (the attempts' period rule of
`pods.reports.definitions`, as in the init-containers report). What is read, to stay fast with many Pods:

- counts in SQL over Attempt rows: `pods`, `attempts`, `oom_killed` (known attempts terminated with reason
  `OOMKilled`), one grouped query;
- the last OOM-killed Pods: the newest five OOMKilled attempts per row (a window in SQL);
- requests and limits: the stored describe facts (`Pod.folded_state.spec_facts`) of two Pods per row only,
  the latest one created (what the row shows) and the first one of the period (`varied`: the two differ);
  the effective request and the dominating container come from the one rule of `pods.timeline.resources`.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from django.db.models import Case, Count, F, Q, Sum, Value, When, Window
from django.db.models.functions import RowNumber

from pods.models import Container, Pod
from pods.reports import definitions as d
from pods.reports import queries
from pods.reports.documents import RAW, csv_cell
from pods.reports.period import Period, parse_period
from pods.timeline.resources import LIMITS, REQUESTS, container_resources, effective, format_quantity
from pods.timeline.times import format_time

RESOURCES = "resources"
OOM_KILLED = "OOMKilled"
LAST_OOM = 5
KEYS = queries.KEYS[queries.INIT_CONTAINERS]
FIELDS: tuple[str, ...] = (
    *KEYS,
    "pods", "latest_pod", "spec_known", "requests", "limits", "varied",
    "effective_requests", "set_by", "dominates",
    "attempts", "oom_killed", "oom_rate", "memory_limit", "last_oom_pods",
)  # fmt: skip


def resources_document(params: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The report for the query parameters `params` (`cluster`, `namespace`, `workload`, `container`,
    `since`, `until` as text), as the other reports' document: what the API answers and
    `manage.py report resources --format json` prints. A bad period raises `PeriodError`."""
    period = parse_period(params.get("since"), params.get("until"), now or datetime.now(UTC))
    filters = queries.filters_of(params)
    return {
        "since": format_time(period.since),
        "until": format_time(period.until),
        "source": RAW,
        "rows": rows(filters, period),
    }


def csv_text(document: dict[str, Any]) -> str:
    """The rows as CSV: a header of `FIELDS`, null empty, quantities and lists as compact JSON."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in document["rows"]:
        writer.writerow([csv_cell(row[f]) for f in FIELDS])
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ reads


def _key(values: dict[str, Any]) -> tuple:
    return tuple(values[f"k_{k}"] for k in KEYS)


def _counts(filters: queries.ReportFilters, period: Period) -> dict[tuple, dict[str, Any]]:
    oom = Q(known=True, reason=OOM_KILLED)
    groups = (
        queries.in_period_sql(filters, period)
        .values(**queries.key_columns(queries.INIT_CONTAINERS, "pod__", "container__"))
        .annotate(
            pods=Count("pod_id", distinct=True),
            attempts=Sum("count"),
            oom_killed=Sum(Case(When(oom, then=F("count")), default=Value(0))),
        )
    )
    return {_key(g): g for g in cast(Iterable[dict[str, Any]], groups)}


def _last_oom(filters: queries.ReportFilters, period: Period) -> dict[tuple, list[dict[str, Any]]]:
    """The newest OOMKilled attempts per row (by end, else start), with their Pods."""
    keys = queries.key_columns(queries.INIT_CONTAINERS, "pod__", "container__")
    partition = list(keys.values())
    order = [F("finished_at").desc(nulls_last=True), F("started_at").desc(nulls_last=True), F("id").desc()]
    found = (
        queries.in_period_sql(filters, period)
        .filter(known=True, reason=OOM_KILLED)
        .annotate(**keys)
        .annotate(rank=Window(RowNumber(), partition_by=partition, order_by=order))
        .filter(rank__lte=LAST_OOM)
        .values(*keys, "rank", "finished_at", "exit_code", uid=F("pod__uid"), name=F("pod__name"))
    )
    out: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for v in sorted(cast(Iterable[dict[str, Any]], found), key=lambda v: v["rank"]):
        out[_key(v)].append(
            {
                "uid": v["uid"],
                "name": v["name"],
                "finished_at": format_time(v["finished_at"]) if v["finished_at"] else None,
                "exit_code": v["exit_code"],
            }
        )
    return out


def _pods_read(filters: queries.ReportFilters, period: Period) -> dict[tuple, dict[str, int]]:
    """Per row, the Pod ids to read the spec of: the latest created (`latest`) and the first (`first`) of
    the Pods with an attempt of that container in the period."""
    in_period = queries.in_period_sql(filters, period).values("container_id")
    keys = queries.key_columns(queries.INIT_CONTAINERS, "pod__", "")
    partition = list(keys.values())
    newest = [F("pod__created_at").desc(nulls_last=True), F("pod_id").desc()]
    oldest = [F("pod__created_at").asc(nulls_last=True), F("pod_id").asc()]
    found = (
        Container.objects.filter(id__in=in_period)
        .annotate(
            **keys,
            newest=Window(RowNumber(), partition_by=partition, order_by=newest),
            oldest=Window(RowNumber(), partition_by=partition, order_by=oldest),
        )
        .filter(Q(newest=1) | Q(oldest=1))
        .values(*keys, "pod_id", "newest", "oldest")
    )
    out: dict[tuple, dict[str, int]] = defaultdict(dict)
    for v in cast(Iterable[dict[str, Any]], found):
        if v["newest"] == 1:
            out[_key(v)]["latest"] = v["pod_id"]
        if v["oldest"] == 1:
            out[_key(v)]["first"] = v["pod_id"]
    return out


# ------------------------------------------------------------------------------------------------ rows


def _quantities(values: dict[str, Any]) -> dict[str, str]:
    return {name: format_quantity(name, e.value) for name, e in values.items()}


def _facts(pod: Pod | None) -> dict[str, Any]:
    """The Pod's stored describe facts (empty: no Pod, or a Pod stored without a state)."""
    return pod.folded_state.spec_facts if pod is not None and len(pod.state) else {}


def _spec_part(facts: dict[str, Any], container: str) -> dict[str, Any]:
    """What a row shows of one Pod's spec for one of its init containers."""
    own = container_resources(facts, container)
    if not facts or own is None:
        return {"spec_known": False, "requests": {}, "limits": {}, "effective_requests": {}}
    requests, _ = effective(facts, REQUESTS)
    set_by: dict[str, str] = {}
    dominates = []
    for name, e in requests.items():
        set_by[name] = e.set_by
        if container in e.dominating:
            dominates.append(
                {
                    "resource": name,
                    "request": format_quantity(name, e.init_peak),
                    "app": format_quantity(name, e.app),
                    "margin": format_quantity(name, e.margin),
                }
            )
    return {
        "spec_known": True,
        "requests": own[REQUESTS],
        "limits": own[LIMITS],
        "effective_requests": _quantities(requests),
        "set_by": set_by,
        "dominates": dominates,
    }


def rows(filters: queries.ReportFilters, period: Period) -> list[dict[str, Any]]:
    """The rows, sorted by key (cluster, namespace, workload kind and name, container, kind)."""
    counts = _counts(filters, period)
    last_oom = _last_oom(filters, period)
    read = _pods_read(filters, period)
    ids = {pod_id for pair in read.values() for pod_id in pair.values()}
    pods = {p.id: p for p in Pod.objects.filter(id__in=ids).only("id", "uid", "name", "state")}
    out = []
    for key in sorted(counts, key=lambda k: tuple("" if part is None else str(part) for part in k)):
        group = counts[key]
        container = key[KEYS.index("container")]
        latest = pods.get(read.get(key, {}).get("latest", -1))
        first = pods.get(read.get(key, {}).get("first", -1))
        spec = _spec_part(_facts(latest), container)
        earlier = _spec_part(_facts(first), container)
        varied = bool(
            spec["spec_known"]
            and earlier["spec_known"]
            and (spec["requests"], spec["limits"]) != (earlier["requests"], earlier["limits"])
        )
        row: dict[str, Any] = {
            **dict(zip(KEYS, key, strict=True)),
            "pods": group["pods"],
            "latest_pod": {"uid": latest.uid, "name": latest.name} if latest else None,
            "set_by": {},
            "dominates": [],
            **spec,
            "varied": varied,
            "attempts": group["attempts"],
            "oom_killed": group["oom_killed"],
            "oom_rate": d.rate(group["oom_killed"], group["attempts"]),
            "memory_limit": spec["limits"].get("memory"),
            "last_oom_pods": last_oom.get(key, []),
        }
        out.append({name: row[name] for name in FIELDS})
    return out


__all__ = ["FIELDS", "OOM_KILLED", "RESOURCES", "csv_text", "resources_document", "rows"]
