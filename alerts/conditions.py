"""What holds now for each rule: the findings an evaluation turns into alerts (docs/signals.md "Alerts").

Nothing here restates a rule of the engine or of the reports. Pod rules read the engine's verdicts: the
stuck rule (`pods.selectors.stuck_q`, the engine's `stuck_rule` in SQL) picks the candidates, `diagnose`
(with the Events about the Pod's node and claims) names the cause and when it began, `attempt_count` counts
a crash loop's attempts. Workload rules read the init-containers report (`pods.reports.report`, raw rows or
the rollups) and its row's failure rate; the p95 rule is the compare page's regression
(`pods.reports.compare.is_regression_p95`) of the window (raw rows) against the 7 days before it (the
hourly rollups). Only watched
clusters alert: a recording's stuck Pods are history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from alerts.models import Rule
from pods import selectors
from pods.models import Cluster, Pod
from pods.reports import INIT_CONTAINERS, Period, ReportFilters, report
from pods.reports.compare import Thresholds, is_regression_p95
from pods.reports.documents import ROLLUP
from pods.selectors.related import related_for_pods
from pods.timeline import diagnose, human_duration
from pods.timeline.diagnosis import attempt_count
from pods.timeline.related import with_related

BASELINE = timedelta(days=7)
CRASH_CAUSES = ("crash-loop", "oom-killed")


@dataclass(frozen=True, slots=True)
class Finding:
    """One subject a rule's condition holds for now."""

    subject: str  # the dedup key: `pod:<cluster>/<uid>` or `workload:<cluster>/<namespace>/<Kind>/<name>`
    group_key: str  # what one notification groups: the same workload, cause and container
    cluster: str
    namespace: str
    workload_kind: str
    workload: str
    cause: str
    summary: str  # plain words, untrusted cluster strings inside (escape where shown)
    since: datetime
    pod_uid: str = ""
    pod_name: str = ""
    container: str = ""


@dataclass(frozen=True, slots=True)
class StuckPod:
    """A stuck Pod of a watched cluster with the engine's diagnosis of it."""

    cluster: str
    namespace: str
    uid: str
    name: str
    workload_kind: str
    workload: str
    cause: str
    container: str
    summary: str
    stuck_since: datetime  # when it became stuck: the cause's start, or (`slow`) its step's start + threshold
    attempts: int  # the failing container's attempts (current generation), 0 without a container


def watched_clusters(rule: Rule) -> list[Cluster]:
    clusters = Cluster.objects.filter(watched=True)
    if rule.cluster:
        clusters = clusters.filter(name=rule.cluster)
    return list(clusters)


def stuck_pods(now: datetime) -> list[StuckPod]:
    """Every stuck Pod of the watched clusters, judged at its cluster's "now"."""
    threshold = selectors.stuck_threshold()
    out: list[StuckPod] = []
    for cluster in Cluster.objects.filter(watched=True):
        at = selectors.cluster_now(cluster, now)
        pods = list(
            Pod.objects.select_related("cluster")
            .filter(cluster=cluster)
            .filter(selectors.stuck_q(now=at, threshold=threshold))
        )
        related = related_for_pods(pods)
        for pod in pods:
            state = selectors.pod_state(pod)
            found = diagnose(state, now=at, threshold=threshold)
            diagnosis = with_related(found, state, related.get((pod.cluster_id, pod.uid), []))
            if diagnosis is None:
                continue
            if diagnosis.code == "slow":
                since = (diagnosis.since or pod.step_since or at) + threshold
            else:
                since = diagnosis.since or pod.step_since or at
            container = state.container(diagnosis.container) if diagnosis.container else None
            out.append(
                StuckPod(
                    cluster=cluster.name,
                    namespace=pod.namespace,
                    uid=pod.uid,
                    name=pod.name,
                    workload_kind=pod.owner_kind if pod.owner_name else "Pod",
                    workload=pod.owner_name or pod.name,
                    cause=diagnosis.code,
                    container=diagnosis.container,
                    summary=diagnosis.summary,
                    stuck_since=min(since, at),
                    attempts=attempt_count(container) if container is not None else 0,
                )
            )
    return out


def pod_findings(rule: Rule, stuck: list[StuckPod], now: datetime) -> dict[str, Finding]:
    """A Pod rule's findings among the stuck Pods (`stuck_pods`)."""
    out: dict[str, Finding] = {}
    for pod in stuck:
        if (rule.cluster and pod.cluster != rule.cluster) or (
            rule.namespace and pod.namespace != rule.namespace
        ):
            continue
        if rule.kind == Rule.POD_STUCK:
            if rule.cause and pod.cause != rule.cause:
                continue
            if now - pod.stuck_since < timedelta(seconds=rule.for_seconds):
                continue
        elif rule.kind == Rule.CRASH_LOOP:
            if pod.cause not in CRASH_CAUSES or pod.attempts < rule.attempts:
                continue
        else:
            continue
        subject = f"pod:{pod.cluster}/{pod.uid}"
        out[subject] = Finding(
            subject=subject,
            group_key="/".join(
                (pod.cluster, pod.namespace, pod.workload_kind, pod.workload, pod.cause, pod.container)
            ),
            cluster=pod.cluster,
            namespace=pod.namespace,
            workload_kind=pod.workload_kind,
            workload=pod.workload,
            cause=pod.cause,
            summary=pod.summary,
            since=pod.stuck_since,
            pod_uid=pod.uid,
            pod_name=pod.name,
            container=pod.container,
        )
    return out


def _rows(
    cluster: str, namespace: str, period: Period, now: datetime, source: str = ""
) -> list[dict[str, Any]]:
    filters = ReportFilters(cluster=cluster, namespace=namespace)
    document = report(INIT_CONTAINERS, filters, period, source=source, now=now)
    return [row for row in document["rows"] if row["kind"] == "init"]


def _key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["cluster"], row["namespace"], row["workload_kind"], row["workload"])


def _percent(value: float) -> str:
    return f"{Decimal(str(value)) * 100:.1f}%"


def workload_findings(rule: Rule, now: datetime) -> dict[str, Finding]:
    """A workload rule's findings: per workload, its init containers over the threshold (worst first)."""
    window = timedelta(seconds=rule.window_seconds)
    period = Period(now - window, now)
    over: dict[tuple[str, str, str, str], list[tuple[float, str, str]]] = {}
    for cluster in watched_clusters(rule):
        current = _rows(cluster.name, rule.namespace, period, now)
        if rule.kind == Rule.FAILURE_RATE:
            for row in current:
                rate = row["failure_rate"]
                if row["attempts"] < rule.min_attempts or rate is None:
                    continue
                if Decimal(str(rate)) * 100 > Decimal(str(rule.threshold_percent)):
                    text = (
                        f"init container `{row['container']}` failed {row['failed']} of {row['attempts']} "
                        f"attempts ({_percent(rate)}) in the last {human_duration(window)}"
                    )
                    reasons = ", ".join(
                        f"{r['reason'] or 'exit ' + str(r['exit_code'])} ×{r['count']}"
                        for r in row["top_reasons"][:3]
                    )
                    over.setdefault(_key(row), []).append(
                        (rate, row["container"], text + (f"; top reasons: {reasons}" if reasons else ""))
                    )
        elif rule.kind == Rule.P95_REGRESSION:
            # The 7 days before the window from the hourly rollups (whole hours, p95 within their bound):
            # cheap enough for every evaluation, where raw rows would read a week of attempts each time.
            before_window = Period(now - window - BASELINE, now - window)
            baseline = _rows(cluster.name, rule.namespace, before_window, now, source=ROLLUP)
            before = {(*_key(row), row["container"]): row for row in baseline}
            thresholds = Thresholds(p95=rule.threshold_percent, min_attempts=rule.min_attempts)
            for row in current:
                base = before.get((*_key(row), row["container"]))
                if not is_regression_p95(base, row, thresholds):
                    continue
                assert base is not None
                rise = (row["duration_p95"] - base["duration_p95"]) / base["duration_p95"]
                text = (
                    f"init container `{row['container']}` p95 {row['duration_p95']:.1f}s in the "
                    f"last {human_duration(window)}, up {_percent(rise)} from "
                    f"{base['duration_p95']:.1f}s over the 7 days before"
                )
                over.setdefault(_key(row), []).append((rise, row["container"], text))
    out: dict[str, Finding] = {}
    for (cluster_name, namespace, kind, name), found in over.items():
        found.sort(key=lambda item: (-item[0], item[1]))
        subject = f"workload:{cluster_name}/{namespace}/{kind}/{name}"
        out[subject] = Finding(
            subject=subject,
            group_key=subject,
            cluster=cluster_name,
            namespace=namespace,
            workload_kind=kind,
            workload=name,
            cause=rule.kind,
            summary="; ".join(text for _, _, text in found),
            since=now,
            container=found[0][1],
        )
    return out


__all__ = ["Finding", "StuckPod", "pod_findings", "stuck_pods", "workload_findings"]
