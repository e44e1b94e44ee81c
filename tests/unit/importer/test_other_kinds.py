"""Events about other kinds than Pods (ReplicaSets, StatefulSets, Jobs, Deployments, DaemonSets, Nodes,
PersistentVolumeClaims, Services), as a cluster-wide `kubectl get events -A -w --output-watch-events -o
json` records them (lines recorded from kubesim's controllers, docs/kubernetes.md §5): the reader hands
every one on, the engine sorts them (`pods.timeline.related.about`) and ingest keeps what explains Pod
startup and counts the rest, rejecting none."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest

from pods.importer.reader import Record, iter_records
from pods.timeline import event_record
from pods.timeline.related import about, workload_of

RECORDED = Path(__file__).parent / "fixtures" / "other-kinds.jsonl"


def _lines() -> list[bytes]:
    return RECORDED.read_bytes().splitlines()


def _involved(line: bytes) -> tuple[str, str]:
    event = orjson.loads(line)["object"]
    return event["involvedObject"]["kind"], event["reason"]


def test_the_reader_hands_on_every_event_whatever_it_is_about():
    items = list(iter_records(io.BytesIO(RECORDED.read_bytes()), source="events.json"))
    assert all(isinstance(item, Record) and item.kind == "event" for item in items), items
    kinds = {item.object["involvedObject"]["kind"] for item in items}  # type: ignore[typeddict-item]
    assert kinds == {
        "ReplicaSet", "StatefulSet", "Job", "Deployment", "DaemonSet", "Node", "PersistentVolumeClaim",
        "Service",
    }  # fmt: skip


@pytest.mark.parametrize("line", _lines(), ids=lambda line: "-".join(_involved(line)))
def test_each_recorded_kind_is_kept_or_skipped_by_reason(line):
    kind, reason = _involved(line)
    record = event_record(orjson.loads(line)["object"])
    expected = {
        ("ReplicaSet", "FailedCreate"): "workload",
        ("ReplicaSet", "SuccessfulCreate"): "workload",
        ("StatefulSet", "FailedCreate"): "workload",
        ("StatefulSet", "SuccessfulCreate"): "workload",
        ("Job", "FailedCreate"): "workload",
        ("DaemonSet", "FailedCreate"): "workload",
        ("Deployment", "ScalingReplicaSet"): None,
        ("Node", "NodeNotReady"): "node",
        ("Node", "NodeHasDiskPressure"): "node",
        ("Node", "FreeDiskSpaceFailed"): "node",
        ("PersistentVolumeClaim", "ProvisioningFailed"): "pvc",
        ("PersistentVolumeClaim", "WaitForFirstConsumer"): "pvc",
        ("Service", "EnsuringLoadBalancer"): None,
    }
    assert record.involved_kind == kind
    assert about(record) == expected[(kind, reason)]


def test_an_events_k8s_io_event_about_a_node_is_sorted_the_same():
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "n.1", "namespace": "default", "uid": "ev-n-1"},
        "regarding": {"kind": "Node", "name": "node-2", "uid": "node-2"},
        "reason": "NodeNotReady",
        "note": "Node node-2 status is now: NodeNotReady",
        "type": "Normal",
        "eventTime": "2025-06-02T09:00:00.000000Z",
        "reportingController": "node-controller",
        "reportingInstance": "",
        "action": "NodeNotReady",
    }
    record = event_record(event)
    assert (about(record), record.pod_name, record.message) == ("node", "node-2", event["note"])


@pytest.mark.parametrize(
    ("kind", "name", "workload"),
    [
        ("ReplicaSet", "web-k2f88m2qmg", ("Deployment", "web")),
        ("ReplicaSet", "api-v2-7d9f5c6b8", ("Deployment", "api-v2")),
        ("ReplicaSet", "frontend", ("ReplicaSet", "frontend")),
        ("ReplicaSet", "my-rs", ("ReplicaSet", "my-rs")),
        ("Job", "report-28945620", ("CronJob", "report")),
        ("Job", "backfill", ("Job", "backfill")),
        ("Job", "migrate-2", ("Job", "migrate-2")),
        ("StatefulSet", "db", ("StatefulSet", "db")),
    ],
)
def test_a_controller_belongs_to_the_workload_its_name_shows(kind, name, workload):
    owner = workload_of(kind, name)
    assert (owner.kind, owner.name) == workload


@pytest.mark.django_db
def test_ingest_keeps_what_explains_startup_and_counts_the_rest_without_rejecting(cluster):
    from pods.ingest import WatchItem, ingest_batch
    from pods.models import Event, RelatedEvent, Workload

    items = [
        WatchItem(
            kind="event",
            type=orjson.loads(line)["type"],
            object=orjson.loads(line)["object"],
            position=f"l{i}",
        )
        for i, line in enumerate(_lines(), 1)
    ]
    result = ingest_batch(cluster=cluster, items=items)
    assert result.rejected == []
    assert dict(result.skipped) == {"Deployment": 1, "Service": 1}
    assert not Event.objects.exists(), "no Event about another kind is taken for a Pod's"
    assert set(RelatedEvent.objects.values_list("involved_kind", flat=True)) == {
        "ReplicaSet", "StatefulSet", "Job", "DaemonSet", "Node", "PersistentVolumeClaim",
    }  # fmt: skip
    assert set(Workload.objects.values_list("kind", "name")) >= {
        ("Deployment", "web"), ("StatefulSet", "db"), ("Job", "report"), ("DaemonSet", "fluentd"),
    }  # fmt: skip
    assert ingest_batch(cluster=cluster, items=items).related_kept == 0, "a replay writes nothing"
