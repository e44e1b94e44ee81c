"""Regression examples of hostile input (issue 15), one per crash or loss the fuzzing found: each small and
explicit, besides the property tests of this directory."""

from __future__ import annotations

import copy
import io

import orjson
import pytest

from pods.importer.reader import Record, Rejected, iter_records
from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch
from pods.kube import OversizedLine, split_lines
from pods.models import Attempt, Event, Pod
from pods.timeline.parse import as_int, without_nul
from pods.timeline.times import parse_time
from pods.watch import Stream, decode_line
from tests.builders import event, last, pending_conditions, pod, waiting

PODS = Stream("pods")
RESTART_COUNT = "status.initContainerStatuses.0.restartCount"


def crashing(uid: str, **changes) -> dict:
    """A Pod whose init container `db` crash-loops (2 restarts), with `changes` set at dotted paths."""
    obj = pod(
        rv=5,
        uid=uid,
        name=uid,
        conditions=pending_conditions(),
        init_statuses=[
            waiting("db", "CrashLoopBackOff", "back-off", rc=2, last=last(1, 10, 12, name="db", n=2))
        ],
        statuses=[waiting("app", "PodInitializing")],
    )
    for path, value in changes.items():
        *parents, key = path.split(".")
        node = obj
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[key] = value
    return obj


def deep(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


# --- the engine's readers ------------------------------------------------------------------------------


def test_a_time_whose_offset_crosses_year_one_or_9999_is_no_time():
    assert parse_time("0001-01-01T00:00:00+01:00") is None  # was OverflowError
    assert parse_time("9999-12-31T23:59:59-01:00") is None
    assert parse_time("9999-12-31T23:59:59Z") is not None


def test_a_number_past_64_bits_is_no_number():
    assert as_int(2**63) is None and as_int(-(2**63) - 1) is None and as_int(1e300) is None
    assert as_int(2**63 - 1) == 2**63 - 1


def test_without_nul_replaces_it_in_strings_and_keys_at_any_depth():
    assert without_nul({"a\x00": ["x\x00", {"b": "c\x00d"}], "n": 1}) == {
        "a\ufffd": ["x\ufffd", {"b": "c\ufffdd"}],
        "n": 1,
    }
    nested = deep(5000)
    without_nul(nested)  # iterative: no RecursionError


# --- the import reader ---------------------------------------------------------------------------------


def read(data: bytes, **kw) -> list:
    return list(iter_records(io.BytesIO(data), source="f.json", **kw))


def test_a_deeply_nested_kind_is_named_by_its_type_not_its_repr():
    # 1000 levels: orjson reads it, Python's repr would exceed the recursion limit.
    line = b'{"type":"ADDED","object":{"kind":' + b"[" * 1000 + b"]" * 1000 + b"}}\n"
    assert read(line) == [Rejected("f.json:line 1", "unsupported kind […]")]


def test_an_api_version_that_is_a_list_is_rejected_not_raised():
    line = b'{"type":"ADDED","object":{"kind":"Event","apiVersion":[1]}}\n'  # was TypeError: unhashable
    assert read(line) == [Rejected("f.json:line 1", "unsupported apiVersion […] for Event")]


def test_a_megabyte_status_message_is_cut_in_the_reason():
    line = orjson.dumps({"kind": "Status", "apiVersion": "v1", "message": "m" * (1 << 20), "code": 500})
    [rejected] = read(line + b"\n")
    assert isinstance(rejected, Rejected) and len(rejected.reason) < 400
    assert rejected.reason.startswith("Status object: mmm") and "…" in rejected.reason


def test_a_line_over_the_limit_is_rejected_at_its_line_and_the_next_lines_are_read():
    good = orjson.dumps({"type": "ADDED", "object": crashing("u-1")}) + b"\n"
    data = good + b'{"x":"' + b"y" * 50000 + b'"}\n' + good + b"z" * 30000  # the last without a newline
    items = read(data, max_line_bytes=20000)
    assert [type(i) for i in items] == [Record, Rejected, Record, Rejected]
    assert items[1].position == "f.json:line 2" and items[1].reason.startswith("line of 50,008 bytes skipped")
    assert items[3].position == "f.json:line 4" and "line of 30,000 bytes" in items[3].reason


def test_a_pretty_object_holding_an_over_long_line_is_rejected_whole():
    pretty = orjson.dumps({"kind": "Pod", "apiVersion": "v1", "metadata": {"uid": "u", "x": "y" * 50000}},
                          option=orjson.OPT_INDENT_2)  # fmt: skip
    good = orjson.dumps(crashing("u-2")) + b"\n"
    items = read(pretty + b"\n" + good, max_line_bytes=20000)
    assert [type(i) for i in items] == [Rejected, Rejected, Record]
    assert items[0].position == "f.json:line 6" and items[1].position == "f.json:line 1"


def test_a_nul_in_a_recorded_string_becomes_a_replacement_character():
    obj = crashing("u-3", **{"status.initContainerStatuses.0.lastState.terminated.message": "boom\x00"})
    [record] = read(orjson.dumps(obj) + b"\n")
    assert isinstance(record, Record)
    assert (
        record.object["status"]["initContainerStatuses"][0]["lastState"]["terminated"]["message"]
        == "boom\ufffd"
    )


# --- the watcher's line reader and decoder -------------------------------------------------------------


def test_the_watch_line_reader_skips_an_over_long_line_in_pieces():
    chunks = [b'{"a":1}\n{"b"', b":2}\n", b"x" * 60, b"y" * 60 + b'\n{"c":3}', b"\n", b"z" * 200]
    lines = list(split_lines(iter(chunks), 100))
    assert lines == [b'{"a":1}', b'{"b":2}', b"x" * 60 + b"y" * 60, b'{"c":3}', b"z" * 200]  # heads
    assert [type(line) is OversizedLine for line in lines] == [False, False, True, False, True]
    assert [getattr(line, "size", None) for line in lines] == [None, None, 120, None, 200]


def test_an_over_long_watch_line_is_skipped_with_its_position():
    decoded = decode_line(PODS, OversizedLine(b'{"type":"ADDED"', 10**8), position="watch pods line 7")
    assert decoded.action == "skip"
    assert decoded.message.startswith("watch pods line 7: watch line of 100,000,000 bytes skipped")


def test_a_watched_object_is_placed_at_its_line_and_resource_version():
    line = orjson.dumps({"type": "MODIFIED", "object": crashing("u-4")})
    decoded = decode_line(PODS, line, position="watch pods line 3")
    assert decoded.item is not None and decoded.item.position == "watch pods line 3 (resourceVersion 5)"


def test_a_nested_resource_version_never_breaks_the_decoder():
    obj = crashing("u-5")
    obj["metadata"]["resourceVersion"] = "SPLICE"  # 900 levels: more than orjson writes, fewer than it reads
    line = orjson.dumps({"type": "MODIFIED", "object": obj}).replace(b'"SPLICE"', b"[" * 900 + b"]" * 900)
    decoded = decode_line(PODS, line, position="watch pods line 1")
    assert decoded.action == "object" and decoded.resource_version == ""


# --- ingest: one bad object never loses its batch ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("what", "bad"),
    [
        ("a uid longer than the column", crashing("u" * 100)),
        (
            "a restartCount past 32 bits",
            crashing("bad", **{"status.initContainerStatuses.0.restartCount": 2**40}),
        ),
        (
            "a restartCount past 64 bits",
            crashing("bad", **{"status.initContainerStatuses.0.restartCount": 2**64 - 1}),
        ),
        ("a creation at year one", crashing("bad", **{"metadata.creationTimestamp": "0001-01-01T00:00:00Z"})),
    ],  # fmt: skip
)
def test_an_object_the_database_refuses_is_rejected_alone(what, bad):
    cluster = cluster_get_or_create(name=f"refused {what}")
    items = [
        WatchItem(kind="pod", object=crashing("good-1"), position="f:line 1"),
        WatchItem(kind="pod", object=bad, position="f:line 2"),
        WatchItem(kind="pod", object=crashing("good-3"), position="f:line 3"),
    ]
    result = ingest_batch(cluster=cluster, items=items)
    assert [position for position, _ in result.rejected] == ["f:line 2"]
    assert result.rejected[0][1].startswith("could not be stored: ") and len(result.rejected[0][1]) < 300
    assert set(Pod.objects.filter(cluster=cluster).values_list("uid", flat=True)) == {"good-1", "good-3"}
    assert result.pods_changed == {"good-1", "good-3"}


@pytest.mark.django_db
def test_nul_characters_from_a_recording_are_stored_as_replacement_characters(tmp_path):
    from pods.ingest.imports import import_paths

    obj = crashing("nul", **{"status.initContainerStatuses.0.lastState.terminated.message": "boom\x00"})
    obj["metadata"]["namespace"] = "ns\x00"
    ev = event("Failed", "bad\x00thing", when=5, container="db", pod_uid="nul", etype="Warning")
    path = tmp_path / "nul.jsonl"
    path.write_bytes(b"".join(orjson.dumps({"type": "ADDED", "object": o}) + b"\n" for o in (obj, ev)))
    report = import_paths(cluster_name="nul", paths=[str(path)])
    assert report.rejected == []
    assert Pod.objects.get(cluster__name="nul", uid="nul").namespace == "ns\ufffd"
    assert Attempt.objects.filter(pod__uid="nul", message="boom\ufffd").exists()
    assert Event.objects.get(cluster__name="nul").message == "bad\ufffdthing"


@pytest.mark.django_db
def test_a_deadline_past_64_bits_no_longer_fails_the_batch():
    cluster = cluster_get_or_create(name="deadline")
    obj = copy.deepcopy(crashing("d-1"))
    obj["spec"]["activeDeadlineSeconds"] = 10**30  # was TypeError at the write: the whole batch lost
    result = ingest_batch(cluster=cluster, items=[WatchItem(kind="pod", object=obj, position="f:line 1")])
    assert result.rejected == [] and Pod.objects.filter(cluster=cluster, uid="d-1").exists()
