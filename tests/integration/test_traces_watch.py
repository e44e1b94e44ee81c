"""A real Celery worker watching kubesim sends each Pod startup as one trace to a local OTLP/HTTP
receiver, and the spans hold the API's own times and kubesim's ground truth: every finished attempt with
its number, exit code and reason, the back-off between attempts, the image pull as its Pulled Event says,
placeholders (attempts a watch gap hid) marked as such, the Kubernetes resource attributes; the trace id
is the same when the startup is exported again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from pods.models import Attempt
from pods.signals import export
from pods.signals.traces import trace_id
from pods.timeline import parse_time
from tests.otlp import ReceivedSpan
from tests.otlp import otlp_receiver as otlp_receiver  # a fixture
from tests.services import unknown_attempts, wait_until, watching

pytestmark = [pytest.mark.integration, pytest.mark.redis]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

APP = {"name": "app", "image": "acme/web:1.4.2", "behavior": {"pull_time": 2.5, "ready_delay": 2}}
CACHE_APP = {**APP, "image": "acme/cache-web:1.0"}  # no other Pod pulls it: never already present
SCENARIO = {
    "workloads": [
        {  # Ready after two OOM kills, behind a sidecar
            "kind": "Deployment",
            "name": "cache",
            "initContainers": [
                {
                    "name": "proxy",
                    "image": "envoyproxy/envoy:v1.31.0",
                    "sidecar": True,
                    "behavior": {"startup_delay": 3},
                },
                {
                    "name": "warm-cache",
                    "image": "acme/warm:1.0",
                    "behavior": {"durations": [4, 4, 3], "exit_codes": [137, 137, 0], "oom": True},
                },
            ],
            "containers": [CACHE_APP],
        },
        {  # an init container that fails for good
            "kind": "Pod",
            "name": "migrate-once",
            "restartPolicy": "Never",
            "initContainers": [
                {
                    "name": "wait-for-db",
                    "image": "busybox:1.36",
                    "behavior": {"duration": 2, "pull_time": 1.2},
                },
                {"name": "migrate", "image": "acme/migrate:2.0", "behavior": {"duration": 3, "exit_code": 2}},
            ],
            "containers": [APP],
        },
        {  # deleted before it could start
            "kind": "Pod",
            "name": "doomed",
            "delete_after": 10,
            "initContainers": [
                {"name": "wait-for-db", "image": "busybox:1.36", "behavior": {"duration": 120}}
            ],
            "containers": [APP],
        },
    ]
}
# Fails six times, 1 s, 2 s, 4 s … apart (the kubelet's fast back-off), then succeeds.
FLAKY = {
    "kubelet": {
        "featureGates": {"ReduceDefaultCrashLoopBackOffDecay": True},
        "crashLoopBackOff": {"maxContainerRestartPeriod": "30s"},
    },
    "workloads": [
        {
            "kind": "Deployment",
            "name": "flaky",
            "initContainers": [
                {
                    "name": "migrate",
                    "image": "acme/migrate:2.0",
                    "behavior": {"durations": [2], "exit_codes": [1, 1, 1, 1, 1, 1, 0]},
                }
            ],
            "containers": [APP],
        }
    ],
}


def unseen_ends(cluster: str, uid: str) -> Counter:
    """The Pod's stored known attempts whose end no object showed (`ended_unseen`), as (uid, container,
    number): seen running, then a watch gap, then only later attempts."""
    from pods.ingest.rows import load_states
    from pods.models import Cluster
    from pods.timeline.attempts import ended_unseen

    (state,) = load_states(Cluster.objects.get(name=cluster), {uid}).values()
    return Counter(
        (uid, c.name, a.number) for c in state.containers for a in c.attempts if ended_unseen(c, a)
    )


def ns(text: str) -> int:
    """An API time as OTLP's nanoseconds since the epoch."""
    return (parse_time(text) - EPOCH) // timedelta(microseconds=1) * 1000


def traced_env(sim, receiver) -> dict[str, str]:
    return sim.env | {"INITSCOPE_TRACES": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}


def root_of(spans: list[ReceivedSpan]) -> ReceivedSpan:
    (root,) = [s for s in spans if s.parent_id == ""]
    return root


def attempts_of(spans: list[ReceivedSpan]) -> set[tuple]:
    """(container, number, exit code, reason, start, end) of the finished attempts in a trace."""
    return {
        (
            s.attributes["k8s.container.name"],
            s.attributes["initscope.attempt.number"],
            s.attributes.get("initscope.attempt.exit_code"),
            s.attributes.get("k8s.container.status.reason", ""),
            s.start,
            s.end,
        )
        for s in spans
        if s.name == "attempt" and not s.attributes["initscope.attempt.running"]
    }


def truth_of(truth: list[dict], uid: str) -> set[tuple]:
    return {
        (r["container"], r["number"], r["exit_code"], r["reason"], ns(r["started_at"]), ns(r["finished_at"]))
        for r in truth
        if r.get("uid") == uid and "container" in r
    }


def condition_time(pod: dict, kind: str) -> int:
    (cond,) = [c for c in pod["status"]["conditions"] if c["type"] == kind]
    return ns(cond["lastTransitionTime"])


def test_each_startup_is_one_trace_with_the_apis_times(
    kubesim_cluster, celery_worker, otlp_receiver, settings
):
    sim = kubesim_cluster(SCENARIO)
    celery_worker(env=traced_env(sim, otlp_receiver), beat=True)
    watching(sim.name)
    sim.drive(100)
    assert wait_until(lambda: len(otlp_receiver.traces()) >= 3, timeout=60), otlp_receiver.traces().keys()
    sim.drive(30)  # and nothing more is sent for them
    api = {p["metadata"]["name"].split("-")[0]: p for p in sim.pods()}
    truth = sim.truth()
    deleted = {r["uid"]: r for r in truth if "deleted_at" in r}
    assert len(deleted) == 1
    traces = otlp_receiver.traces()
    by_pod = {root_of(spans).resource["k8s.pod.name"]: spans for spans in traces.values()}
    assert len(by_pod) == 3 and len(traces) == 3
    for spans in traces.values():
        assert otlp_receiver.copies(spans[0].trace_id) == 1, "each startup is sent once"

    # Ready: created -> Ready, with the resource of its Pod, workload and node
    cache = api["cache"]
    uid = cache["metadata"]["uid"]
    spans = by_pod[cache["metadata"]["name"]]
    root = root_of(spans)
    assert root.trace_id == trace_id(uid, 0)
    assert (root.name, root.attributes["initscope.outcome"]) == ("pod startup", "ready")
    assert root.start == ns(cache["metadata"]["creationTimestamp"])
    assert root.end == condition_time(cache, "Ready")
    replicaset = cache["metadata"]["ownerReferences"][0]["name"]
    assert {
        key: root.resource[key]
        for key in (
            "service.name", "k8s.cluster.name", "k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid",
            "k8s.node.name", "k8s.deployment.name", "k8s.replicaset.name",
        )
    } == {
        "service.name": "initscope",
        "k8s.cluster.name": sim.name,
        "k8s.namespace.name": cache["metadata"]["namespace"],
        "k8s.pod.name": cache["metadata"]["name"],
        "k8s.pod.uid": uid,
        "k8s.node.name": cache["spec"]["nodeName"],
        "k8s.deployment.name": "cache",
        "k8s.replicaset.name": replicaset,
    }  # fmt: skip
    (scheduling,) = [s for s in spans if s.name == "scheduling"]
    assert (scheduling.parent_id, scheduling.start, scheduling.end) == (
        root.span_id,
        root.start,
        condition_time(cache, "PodScheduled"),
    )
    expected = truth_of(truth, uid)
    assert attempts_of(spans) == expected, "every finished attempt, with the API's times"
    warm = sorted((a for a in expected if a[0] == "warm-cache"), key=lambda a: a[1])
    assert [(a[1], a[2], a[3]) for a in warm] == [
        (0, 137, "OOMKilled"),
        (1, 137, "OOMKilled"),
        (2, 0, "Completed"),
    ]
    backoffs = sorted((s.start, s.end) for s in spans if s.name == "back-off")
    assert backoffs == [(warm[0][5], warm[1][4]), (warm[1][5], warm[2][4])]
    (sidecar,) = [s for s in spans if s.name == "sidecar proxy"]
    assert sidecar.end == warm[0][4], "a sidecar's part ends when the next init container starts"
    (app,) = [s for s in spans if s.name == "container app"]
    assert app.end == condition_time(cache, "ContainersReady")
    pulled = [
        e
        for _, e in sim.ks.call(lambda: list(sim.ks.sim.store.items("events")))
        if e.get("reason") == "Pulled"
        and e["involvedObject"].get("uid") == uid
        and e["involvedObject"].get("fieldPath") == "spec.containers{app}"
    ]
    (pull,) = [
        s
        for s in spans
        if s.name == "image pull" and s.attributes["container.image.name"] == CACHE_APP["image"]
    ]
    assert pull.end == ns(pulled[0]["lastTimestamp"] or pulled[0]["eventTime"]), "the Pulled Event's time"
    assert pull.end - pull.start == 2_500_000_000, "the pull time the Pulled Event states"
    assert "initscope.pull.queue_wait_seconds" in pull.attributes

    # Failed for good: ends at the failed init container's exit, marked as an error
    failed = api["migrate"]
    spans = by_pod[failed["metadata"]["name"]]
    root = root_of(spans)
    expected = truth_of(truth, failed["metadata"]["uid"])
    assert attempts_of(spans) == expected
    (migrate,) = [a for a in expected if a[0] == "migrate"]
    assert (root.attributes["initscope.outcome"], root.status, root.end) == ("failed", 2, migrate[5])
    (failure,) = [s for s in spans if s.name == "attempt" and s.attributes["k8s.container.name"] == "migrate"]
    assert (failure.status, failure.attributes["initscope.attempt.exit_code"]) == (2, 2)

    # Deleted during its init container: ends at the deletion request, the attempt still running then
    ((doomed_uid, gone),) = deleted.items()
    spans = traces[trace_id(doomed_uid, 0)]
    root = root_of(spans)
    assert root.attributes["initscope.outcome"] == "deleted"
    assert root.start < root.end <= ns(gone["deleted_at"])
    # Attempts that ended before the deletion request; the one it stopped (ending at that very moment) may
    # or may not have been seen stopped when the trace was built: checked below.
    assert {a for a in truth_of(truth, doomed_uid) if a[5] < root.end} == {
        a for a in attempts_of(spans) if a[5] < root.end
    }
    (killed,) = [s for s in spans if s.name == "attempt"]
    assert killed.start < root.end, "it ran when the deletion was requested"
    # still running when the trace was built, or already stopped by the deletion, as the truth says
    assert killed.attributes["initscope.attempt.running"] or (
        killed.end >= root.end and attempts_of([killed]) <= truth_of(truth, doomed_uid)
    )

    # Exported again (e.g. after the backend lost it): the same trace and span ids, times and names
    settings.INITSCOPE_TRACES_ENDPOINT = f"{otlp_receiver.url}/v1/traces"
    first = {(s.span_id, s.parent_id, s.name, s.start, s.end) for s in by_pod[cache["metadata"]["name"]]}
    export.export_trace(export.stored_trace(sim.name, uid).to_dict())
    assert otlp_receiver.copies(trace_id(uid, 0)) == 2
    again = otlp_receiver.traces()[trace_id(uid, 0)]
    assert {(s.span_id, s.parent_id, s.name, s.start, s.end) for s in again} == first


def test_attempts_a_watch_gap_hid_are_marked_placeholders(kubesim_cluster, celery_worker, otlp_receiver):
    sim = kubesim_cluster(FLAKY)
    worker = celery_worker(env=traced_env(sim, otlp_receiver), beat=True)
    watching(sim.name)
    sim.drive(8)  # the first attempts are seen
    assert wait_until(
        lambda: Attempt.objects.filter(pod__cluster__name=sim.name, finished_at__isnull=False).exists(),
        timeout=30,
    )
    worker.kill()
    sim.drive(40)  # attempts run while nobody watches; then the history is gone (compaction, restart)
    sim.ks.call(sim.ks.sim.store.compact)
    sim.ks.call(sim.ks.sim.store.reset_watch_cache)
    worker.start()
    sim.drive(60)
    assert wait_until(lambda: otlp_receiver.traces(), timeout=60)
    ((trace, spans),) = otlp_receiver.traces().items()
    (pod,) = sim.pods()
    uid = pod["metadata"]["uid"]
    assert trace == trace_id(uid, 0)
    assert root_of(spans).end == condition_time(pod, "Ready")
    truth = truth_of(sim.truth(), uid)
    known = attempts_of(spans)
    assert known <= truth, "what is known is what happened"
    hidden = Counter(("migrate", a[1]) for a in truth - known)
    assert hidden, "the gap hid attempts"
    unknown = [s for s in spans if s.name == "attempts (details unknown)"]
    marked = Counter(
        ("migrate", n)
        for s in unknown
        for n in range(
            s.attributes["initscope.attempt.number"], s.attributes["initscope.attempt.last_number"] + 1
        )
    )
    assert marked == hidden, "every hidden attempt is marked, none invented"
    # Stored: placeholders, and a known attempt the first worker saw start whose end the gap hid (when the
    # kill came after it started): the trace marks both the same way.
    assert unknown_attempts(sim.name) + unseen_ends(sim.name, uid) == Counter((uid, c, n) for c, n in hidden)
    for span in unknown:
        assert span.attributes["initscope.attempt.known"] is False
        assert span.attributes["initscope.attempt.times_known"] is False
        assert span.attributes["initscope.attempt.count"] == (
            span.attributes["initscope.attempt.last_number"] - span.attributes["initscope.attempt.number"] + 1
        )
        # the window between the known attempts around them, not times of their own
        before = max(a[5] for a in known if a[1] < span.attributes["initscope.attempt.number"])
        after = min(a[4] for a in known if a[1] > span.attributes["initscope.attempt.last_number"])
        assert (span.start, span.end) == (before, after)
