"""`import_watch` and ingest against PostgreSQL, proven on the bundled sample recordings."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from django.core.management import CommandError, call_command

from pods import selectors
from pods.ingest import WatchItem, change_summary, cluster_get_or_create, ingest_batch
from pods.ingest.rows import POD_COLUMNS
from pods.live.subscriptions import summary_is_stuck
from pods.models import Attempt, Cluster, Container, Event, Pod
from pods.timeline import diagnose, is_stuck
from tests import builders
from tests.samples import SAMPLES, import_files

pytestmark = pytest.mark.django_db

EXPECTED = sorted((SAMPLES / "expected").glob("*.json"))


def _recording_for(expected: Path) -> Path:
    candidates = list(SAMPLES.glob(expected.stem + ".*"))
    assert len(candidates) == 1, f"one recording for {expected.name}, found {candidates}"
    return candidates[0]


def test_there_are_at_least_ten_sample_recordings():
    assert len(EXPECTED) >= 10


@pytest.mark.parametrize("expected_path", EXPECTED, ids=lambda p: p.stem)
def test_sample_imports_into_the_expected_timeline(expected_path: Path):
    expected = json.loads(expected_path.read_text())
    records, rejected = import_files("samples", _recording_for(expected_path))
    assert records > 0
    assert rejected == []
    for want in expected["pods"]:
        pod = Pod.objects.get(uid=want["uid"])
        document = selectors.pod_document(pod)
        ended = datetime.fromisoformat(expected["evaluated_at"].replace("Z", "+00:00"))
        state = selectors.pod_state(pod)
        assert (pod.namespace, pod.name) == (want["namespace"], want["name"])
        assert document["status"] == want["status"], "kubectl STATUS"
        assert document["restarts"] == want["restarts"], "kubectl RESTARTS"
        assert document["phase"] == want["phase"]
        assert (document["deleted_at"] is not None) == want["deleted"]
        if "owner" in want:
            assert document["owner"] == want["owner"]
        diagnosis = diagnose(state, now=ended, threshold=timedelta(minutes=5))
        assert (diagnosis.code if diagnosis else None) == want["diagnosis_code"]
        if diagnosis and want.get("diagnosis_container") is not None:
            assert diagnosis.container == want["diagnosis_container"]
        got = {c["name"]: c for c in document["containers"]}
        assert list(got) == [c["name"] for c in want["containers"]], "containers in start order"
        for want_container in want["containers"]:
            container = got[want_container["name"]]
            assert container["kind"] == want_container["kind"]
            attempts = [
                {k: a[k] for k in ("number", "generation", "exit_code", "reason", "known")}
                for a in container["attempts"]
            ]
            wanted = [
                {"generation": 0, "known": True, "exit_code": None, "reason": ""} | a
                for a in want_container["attempts"]
            ]
            assert attempts == wanted, f"attempts of {want_container['name']}"


@pytest.mark.parametrize("watched", [False, True], ids=["recording", "watched"])
def test_stuck_in_sql_agrees_with_the_engine_on_every_sample(imported_samples, watched):
    Cluster.objects.update(watched=watched)
    now = datetime.now(UTC)
    threshold = selectors.stuck_threshold()
    in_sql = set(
        Pod.objects.filter(selectors.stuck_q(now=now, threshold=threshold)).values_list("uid", flat=True)
    )
    pods = Pod.objects.filter(seen=True).select_related("cluster")
    by_engine = {
        pod.uid
        for pod in pods
        if is_stuck(
            selectors.pod_state(pod), now=selectors.cluster_now(pod.cluster, now), threshold=threshold
        )
    }
    assert in_sql == by_engine
    assert by_engine, "the samples include stuck Pods"


def _moments(clusters) -> list[datetime]:
    """Moments around the data's end, so Pods cross the threshold between them (and the wall clock)."""
    ends = [c.observed_until for c in clusters if c.observed_until]
    out = [datetime.now(UTC)]
    for end in ends:
        out += [end - timedelta(minutes=3), end + timedelta(seconds=1), end + timedelta(minutes=4)]
    return out


@pytest.mark.parametrize("watched", [False, True], ids=["recording", "watched"])
def test_stuck_has_one_verdict_in_sql_the_engine_and_the_live_overview(imported_samples, watched):
    """`stuck_q` (lists), `is_stuck` (documents) and the overview's reading of change summaries agree on
    every sample Pod, at moments on both sides of the threshold and of a recording's end."""
    Cluster.objects.update(watched=watched)
    threshold = selectors.stuck_threshold()
    pods = list(Pod.objects.filter(seen=True).select_related("cluster"))
    verdicts = set()
    for now in _moments({p.cluster for p in pods}):
        in_sql = set(
            Pod.objects.filter(selectors.stuck_q(now=now, threshold=threshold)).values_list("uid", flat=True)
        )
        for pod in pods:
            state = selectors.pod_state(pod)
            judged_at = selectors.cluster_now(pod.cluster, now)
            by_engine = is_stuck(state, now=judged_at, threshold=threshold)
            summary = change_summary(pod.cluster.name, {c: getattr(pod, c) for c in POD_COLUMNS}, state)
            live = summary_is_stuck(summary, now=judged_at, threshold=threshold)
            assert (pod.uid in in_sql) == by_engine == live, (pod.name, now)
            verdicts.add(by_engine)
    assert verdicts == {True, False}, "the samples hold stuck and healthy Pods"


def test_the_pod_list_shows_the_verdict_it_sorts_by(imported_samples):
    listed = selectors.pod_list_page(filters=selectors.PodFilters(), size=500)
    stuck = [row["stuck"] for row in listed.rows]
    assert stuck == sorted(stuck, reverse=True), "stuck rows first"
    assert sum(stuck) == listed.stuck_count > 0


def test_a_recording_is_judged_at_its_own_end(imported_samples):
    cluster = Cluster.objects.get(name="samples")
    newest = max(selectors.pod_state(p).last_seen_at for p in Pod.objects.filter(cluster=cluster, seen=True))
    assert cluster.observed_until == newest
    assert selectors.cluster_now(cluster) == newest
    cluster.watched = True
    assert selectors.cluster_now(cluster) > newest


def test_a_recording_lasts_until_its_newest_event():
    """A Pod whose status stopped changing while its Events went on (a sandbox that cannot be created for
    eight minutes) is judged as of its newest Event, as `kubectl describe` shows it: not "1s" in its step."""
    cluster = cluster_get_or_create(name="frozen-status")
    frozen = builders.pod(
        rv=1,
        conditions=builders.pending_conditions(ready_to_start=False),
        init_statuses=[builders.waiting("db"), builders.waiting("migrate")],
        statuses=[builders.waiting("app")],
    )
    failing = builders.event(
        "FailedCreatePodSandBox", "Failed to create pod sandbox: rpc error", when=2, last_when=480, count=40,
        etype="Warning",
    )  # fmt: skip
    ingest_batch(
        cluster=cluster, items=[WatchItem("pod", frozen, "ADDED"), WatchItem("event", failing, "ADDED")]
    )
    cluster.refresh_from_db()
    assert cluster.observed_until == builders.at(480)
    (row,) = selectors.pod_summaries(list(Pod.objects.filter(cluster=cluster).select_related("cluster")))
    assert row["as_of"] == builders.ts(480) and row["stuck"] and row["diagnosis"]["code"] == "sandbox"


def _snapshot() -> dict:
    return {
        "pods": sorted(Pod.objects.values_list("uid", "status", "restarts", "resource_version")),
        "containers": Container.objects.count(),
        "attempts": sorted(
            Attempt.objects.values_list("container_id", "generation", "number", "known", "finished_at")
        ),
        "events": sorted(Event.objects.values_list("uid", "count")),
        "documents": [
            selectors.pod_document(p, now=datetime(2030, 1, 1).astimezone())
            for p in Pod.objects.order_by("uid")
        ],
    }


def test_importing_the_same_recordings_twice_changes_nothing(imported_samples):
    before = _snapshot()
    import_files("samples", *imported_samples)
    assert _snapshot() == before


def test_import_command_reports_bad_records_with_position_and_exits_non_zero(tmp_path, capsys):
    pod = _any_pod_object()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        orjson.dumps({"type": "ADDED", "object": pod})
        + b"\nthis is not json\n"
        + orjson.dumps({"type": "MODIFIED", "object": {"kind": "Pod", "metadata": {}}})
        + b"\n"
    )
    with pytest.raises(CommandError) as failure:
        call_command("import_watch", "--cluster", "bad", str(path))
    assert failure.value.returncode == 2
    err = capsys.readouterr().err
    assert "mixed.jsonl:line 2" in err
    assert "mixed.jsonl:line 3" in err
    assert Pod.objects.filter(cluster__name="bad", uid=pod["metadata"]["uid"]).exists(), (
        "the good record is kept"
    )


def test_import_command_reads_standard_input(monkeypatch, capsys):
    pod = _any_pod_object()
    stream = io.TextIOWrapper(io.BytesIO(orjson.dumps(pod)))
    monkeypatch.setattr("sys.stdin", stream)
    call_command("import_watch", "--cluster", "stdin", "-")
    assert "imported 1 records" in capsys.readouterr().out
    assert Pod.objects.filter(cluster__name="stdin").count() == 1


def test_import_command_names_a_missing_file():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_watch", "--cluster", "x", "/nonexistent/recording.json")


def _any_pod_object() -> dict:
    """The first Pod object of the first sample recording."""
    from pods.importer.reader import Record, iter_records

    for path in sorted(SAMPLES.glob("*.json*")):
        with path.open("rb") as fh:
            for record in iter_records(fh, source=path.name):
                if isinstance(record, Record) and record.kind == "pod":
                    return record.object
    raise AssertionError("no Pod in the samples")


def test_a_gzipped_recording_imports_like_the_plain_one(tmp_path, capsys):
    import gzip

    plain = SAMPLES / "02-init-crashloop.json"
    packed = tmp_path / "02-init-crashloop.json.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    call_command("import_watch", "--cluster", "gz", str(packed))
    assert "0 rejected" in capsys.readouterr().out
    expected = json.loads((SAMPLES / "expected" / "02-init-crashloop.json").read_text())
    assert set(Pod.objects.filter(cluster__name="gz").values_list("uid", flat=True)) == {
        p["uid"] for p in expected["pods"]
    }
