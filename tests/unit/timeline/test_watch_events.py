"""One rule for what a watch event is (pods.timeline.watch_events), as the watcher, the importer and
build_state use it."""

from __future__ import annotations

import pytest

from pods.timeline.watch_events import classify, is_watch_event, object_kind

POD = {"kind": "Pod", "apiVersion": "v1", "metadata": {"uid": "p", "resourceVersion": "7"}}
CORE_EVENT = {"kind": "Event", "apiVersion": "v1", "involvedObject": {"kind": "Pod"}}
NEW_EVENT = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "regarding": {"kind": "Pod"}}
GONE = {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old resource version: 1 (9)"}


@pytest.mark.parametrize(
    ("event", "kind", "reason"),
    [
        ({"type": "ADDED", "object": POD}, "pod", ""),
        ({"type": "DELETED", "object": CORE_EVENT}, "event", ""),
        ({"type": "MODIFIED", "object": NEW_EVENT}, "event", ""),
        (
            {"type": "BOOKMARK", "object": {"kind": "Pod", "metadata": {"resourceVersion": "9"}}},
            "bookmark",
            "",
        ),
        ({"type": "ERROR", "object": GONE}, "error", "too old resource version: 1 (9) (code 410)"),
        ({"type": "SURPRISE", "object": POD}, "unknown", "unknown watch event type 'SURPRISE'"),
        ({"type": "ADDED", "object": None}, "unknown", "ADDED watch event without an object"),
        ({"type": "ADDED", "object": {"kind": "ReplicaSet"}}, "unknown", "unsupported kind ReplicaSet"),
        (
            {"type": "ADDED", "object": {**POD, "apiVersion": "v2"}},
            "unknown",
            "unsupported apiVersion v2 for Pod",
        ),
    ],
)
def test_a_watch_event_is_a_pod_an_event_a_bookmark_an_error_or_unknown(event, kind, reason):
    classified = classify(event)
    assert (classified.kind, classified.reason) == (kind, reason)


def test_the_stream_a_line_came_from_decides_its_kind_when_the_caller_knows_it():
    assert classify({"type": "ADDED", "object": {"metadata": {}}}, resource="event").kind == "event"


def test_an_error_carries_its_status_code_and_a_bookmark_its_version():
    assert classify({"type": "ERROR", "object": GONE}).code == 410
    assert classify({"type": "BOOKMARK", "object": POD}).resource_version == "7"


def test_objects_without_kind_are_told_apart_by_shape_only_when_asked():
    assert object_kind({"involvedObject": {}}) is None
    assert object_kind({"involvedObject": {}}, by_shape=True) == "event"
    assert object_kind({"regarding": {}}, by_shape=True) == "event"
    assert object_kind({"spec": {}}, by_shape=True) == "pod"


def test_a_watch_event_has_a_type_and_an_object_and_no_kind():
    assert is_watch_event({"type": "ADDED", "object": POD})
    assert not is_watch_event(POD)
    assert not is_watch_event({"kind": "List", "type": "x", "object": {}})
