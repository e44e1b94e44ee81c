"""The hand-computed table of the reports (docs/reports.md): stored rows, and what each report must say
about the period 2025-06-01T00:00Z ≤ t < 2025-06-02T00:00Z.

- Deployment/api, Pod `api-1` (uid a): init `migrate` failed once (10 s), then a run of 3 placeholders,
  then completed (20 s); sidecar `proxy` started at 10:00:51, the app container at 10:00:55 (4 s).
- Pod `api-2` (uid b, deleted): `migrate` started at 23:59:50 and finished after midnight (40 s, in the
  period it started); a later generation's attempt the next day is outside.
- Pod `api-1` again (uid c: the name reused by a new Pod): `migrate` StartError with the runtime's epoch
  start (failed, no duration, placed by its end), an Error (30 s), a success (20 s); `proxy` 2 placeholders
  (restarts, not failures) then started in 4 s; `migrate`'s image already present.
- Pod `debug` without an owner: init `wait` 2 s.
- Deployment/worker, Pod `worker-1` created the day before: a run of 2 placeholders (outside: placed by the
  Pod's creation) — until late details show the second one started in the period.
- Deployment/api, Pod `api-0` the day before: outside.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pods.models import Attempt, Cluster, Container, ImagePull, Pod
from pods.reports.period import Period

SINCE = datetime(2025, 6, 1, tzinfo=UTC)
UNTIL = datetime(2025, 6, 2, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def t(text: str) -> datetime:
    day = "2025-06-01" if len(text) == 8 else ""
    return datetime.fromisoformat(f"{day}T{text}" if day else text).replace(tzinfo=UTC)


def _pod(
    cluster, uid, name, created, *, owner=("Deployment", "api"), node="n1", steps=(None,) * 3, deleted=None
):
    scheduled, initialized, ready = (None if s is None else created + timedelta(seconds=s) for s in steps)
    return Pod.objects.create(
        cluster=cluster, uid=uid, namespace="shop", name=name, seen=True, node=node,
        owner_kind=owner[0] if owner else "", owner_name=owner[1] if owner else "",
        created_at=created, scheduled_at=scheduled, initialized_at=initialized, ready_at=ready,
        deleted_at=deleted, updated_at=created,
    )  # fmt: skip


def _container(pod, name, kind, index, pull=None):
    container = Container.objects.create(pod=pod, name=name, kind=kind, index=index)
    if pull == "present":
        ImagePull.objects.create(container=container, already_present=True)
    elif pull:
        ImagePull.objects.create(container=container, pull_seconds=pull[0], wait_seconds=pull[1])
    return container


def _attempt(container, number, started=None, finished=None, code=None, reason="", *, generation=0):
    return Attempt.objects.create(
        pod=container.pod, container=container, generation=generation, number=number, started_at=started,
        finished_at=finished, exit_code=code, reason=reason,
    )  # fmt: skip


def placeholders(container, number, count, generation=0):
    return Attempt.objects.create(
        pod=container.pod, container=container, generation=generation, number=number, known=False, count=count
    )


def build() -> Cluster:
    cluster = Cluster.objects.create(name="c1")
    a = _pod(cluster, "a", "api-1", t("10:00:00"), steps=(2, 60, 70))
    m = _container(a, "migrate", "init", 0, pull=(4.0, 1.0))
    _attempt(m, 0, t("10:00:05"), t("10:00:15"), 1, "Error")
    placeholders(m, 1, 3)
    _attempt(m, 4, t("10:00:30"), t("10:00:50"), 0, "Completed")
    p = _container(a, "proxy", "sidecar", 1, pull="present")
    _attempt(p, 0, t("10:00:51"))
    app = _container(a, "app", "app", 2)
    _attempt(app, 0, t("10:00:55"))

    b = _pod(
        cluster, "b", "api-2", t("23:59:00"), node="n2", steps=(5, 91, None), deleted=t("2025-06-02T00:10:00")
    )
    m = _container(b, "migrate", "init", 0, pull=(10.0, 3.0))
    _attempt(m, 0, t("23:59:50"), t("2025-06-02T00:00:30"), 0, "Completed")
    _attempt(m, 0, t("2025-06-02T00:05:00"), t("2025-06-02T00:05:10"), 137, "OOMKilled", generation=1)

    c = _pod(cluster, "c", "api-1", t("12:00:00"), steps=(3, 85, 100))
    m = _container(c, "migrate", "init", 0, pull="present")
    _attempt(m, 0, EPOCH, t("12:00:10"), 128, "StartError")
    _attempt(m, 1, t("12:00:20"), t("12:00:50"), 1, "Error")
    _attempt(m, 2, t("12:01:00"), t("12:01:20"), 0, "Completed")
    p = _container(c, "proxy", "sidecar", 1, pull=(2.0, 0.5))
    placeholders(p, 0, 2)
    _attempt(p, 2, t("12:01:21"))
    app = _container(c, "app", "app", 2)
    _attempt(app, 0, t("12:01:25"))

    g = _pod(cluster, "g", "debug", t("08:00:00"), owner=None, node="n2", steps=(1, 4, 5))
    w = _container(g, "wait", "init", 0)
    _attempt(w, 0, t("08:00:01"), t("08:00:03"), 0, "Completed")

    e = _pod(cluster, "e", "worker-1", t("2025-05-31T23:00:00"), owner=("Deployment", "worker"))
    s = _container(e, "setup", "init", 0)
    placeholders(s, 0, 2)

    f = _pod(cluster, "f", "api-0", t("2025-05-31T10:00:00"), steps=(1, 20, 30))
    m = _container(f, "migrate", "init", 0, pull=(1.0, 0.0))
    _attempt(m, 0, t("2025-05-31T10:00:05"), t("2025-05-31T10:00:15"), 0, "Completed")
    return cluster


def late_details() -> None:
    """The second of `worker-1`'s placeholders gets its details: it started in the period (10 s)."""
    run = Attempt.objects.get(pod__uid="e", known=False)
    run.count = 1
    run.save()
    _attempt(run.container, 1, t("00:00:10"), t("00:00:20"), 0, "Completed")


def _reasons(*items):
    return [{"reason": r, "exit_code": c, "count": n} for r, c, n in items]


INIT_CONTAINERS = [
    {
        "cluster": "c1", "namespace": "shop", "workload_kind": "Deployment", "workload": "api",
        "container": "migrate", "kind": "init", "pods": 3, "attempts": 9, "failed": 6, "failure_rate": 0.6667,
        "duration_p50": 20.0, "duration_p95": 38.0, "duration_p99": 39.6, "duration_max": 40.0,
        "pull_count": 2, "pull_p50": 7.0, "pull_p95": 9.7, "queue_wait_p50": 2.0, "already_present": 1,
        "top_reasons": _reasons(("Error", 1, 2), ("StartError", 128, 1)),
    },
    {
        "cluster": "c1", "namespace": "shop", "workload_kind": "Deployment", "workload": "api",
        "container": "proxy", "kind": "sidecar", "pods": 2, "attempts": 4, "failed": 0, "failure_rate": 0.0,
        "duration_p50": 4.0, "duration_p95": 4.0, "duration_p99": 4.0, "duration_max": 4.0,
        "pull_count": 1, "pull_p50": 2.0, "pull_p95": 2.0, "queue_wait_p50": 0.5, "already_present": 1,
        "top_reasons": [],
    },
    {
        "cluster": "c1", "namespace": "shop", "workload_kind": "Pod", "workload": "debug",
        "container": "wait", "kind": "init", "pods": 1, "attempts": 1, "failed": 0, "failure_rate": 0.0,
        "duration_p50": 2.0, "duration_p95": 2.0, "duration_p99": 2.0, "duration_max": 2.0,
        "pull_count": 0, "pull_p50": None, "pull_p95": None, "queue_wait_p50": None, "already_present": 0,
        "top_reasons": [],
    },
]  # fmt: skip

WORKER_AFTER_LATE_DETAILS = {
    "cluster": "c1", "namespace": "shop", "workload_kind": "Deployment", "workload": "worker",
    "container": "setup", "kind": "init", "pods": 1, "attempts": 1, "failed": 0, "failure_rate": 0.0,
    "duration_p50": 10.0, "duration_p95": 10.0, "duration_p99": 10.0, "duration_max": 10.0,
    "pull_count": 0, "pull_p50": None, "pull_p95": None, "queue_wait_p50": None, "already_present": 0,
    "top_reasons": [],
}  # fmt: skip

NODES = [
    {
        "cluster": "c1", "node": "n1", "pods": 2, "attempts": 12, "failed": 6, "failure_rate": 0.6,
        "duration_p50": 15.0, "duration_p95": 27.5, "pull_count": 2, "pull_p50": 3.0, "pull_p95": 3.9,
        "queue_wait_p50": 0.75, "already_present": 2,
    },
    {
        "cluster": "c1", "node": "n2", "pods": 2, "attempts": 2, "failed": 0, "failure_rate": 0.0,
        "duration_p50": 21.0, "duration_p95": 38.1, "pull_count": 1, "pull_p50": 10.0, "pull_p95": 10.0,
        "queue_wait_p50": 3.0, "already_present": 0,
    },
]  # fmt: skip

POD_STARTUP = [
    {
        "cluster": "c1", "namespace": "shop", "workload_kind": "Deployment", "workload": "api", "pods": 3,
        "scheduled": 3, "scheduled_p50": 3.0, "scheduled_p95": 4.8, "scheduled_max": 5.0,
        "initialized": 3, "initialized_p50": 85.0, "initialized_p95": 90.4, "initialized_max": 91.0,
        "ready": 2, "ready_p50": 85.0, "ready_p95": 98.5, "ready_max": 100.0,
    },
    {
        "cluster": "c1", "namespace": "shop", "workload_kind": "Pod", "workload": "debug", "pods": 1,
        "scheduled": 1, "scheduled_p50": 1.0, "scheduled_p95": 1.0, "scheduled_max": 1.0,
        "initialized": 1, "initialized_p50": 4.0, "initialized_p95": 4.0, "initialized_max": 4.0,
        "ready": 1, "ready_p50": 5.0, "ready_p95": 5.0, "ready_max": 5.0,
    },
]  # fmt: skip


# Periods that cut the table's hours, days and months every way the rollups and samples read them.
PERIODS = [
    Period(SINCE, UNTIL),  # the table's day
    Period(datetime(2025, 5, 31, tzinfo=UTC), datetime(2025, 6, 3, tzinfo=UTC)),  # everything
    Period(UNTIL, datetime(2025, 6, 3, tzinfo=UTC)),  # the next day: api-2's later attempt
    Period(datetime(2025, 6, 1, 10, tzinfo=UTC), datetime(2025, 6, 1, 11, tzinfo=UTC)),  # one hour
    Period(datetime(2025, 6, 1, 12, tzinfo=UTC), datetime(2025, 6, 2, 1, tzinfo=UTC)),  # across midnight
    # Hours of the day before, the whole day from its day rows, hours of the day after.
    Period(datetime(2025, 5, 31, 20, tzinfo=UTC), datetime(2025, 6, 2, 3, tzinfo=UTC)),
    # Whole months: month rows.
    Period(datetime(2025, 5, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC)),
    # Hours, May's last days in one row (from a day to the month's end), June's first day.
    Period(datetime(2025, 5, 15, 7, tzinfo=UTC), datetime(2025, 6, 2, 5, tzinfo=UTC)),
    # June from its second day to its end in one row (the Pod carried from June 1), two months, an hour.
    Period(datetime(2025, 6, 2, tzinfo=UTC), datetime(2025, 9, 1, 1, tzinfo=UTC)),
    # May's days from the 20th to its end in one row, June's first two days in one row.
    Period(datetime(2025, 5, 20, tzinfo=UTC), datetime(2025, 6, 3, tzinfo=UTC)),
]
