"""Property tests: random and malformed objects never crash, folding is idempotent, keys are unique,
and the state round-trips through to_dict/from_dict."""

from __future__ import annotations

import contextlib
import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pods.timeline import MalformedObject, PodState, apply_event, apply_pod, event_record
from tests.builders import UID, event
from tests.strategies import json_any, pod_objects


def _corrupt(obj, path, value):
    target = obj
    for key in path[:-1]:
        in_dict = isinstance(target, dict) and key in target
        if in_dict or (isinstance(target, list) and isinstance(key, int) and key < len(target)):
            target = target[key]
        else:
            return obj
    if isinstance(target, dict):
        target[path[-1]] = value
    return obj


PATHS = [
    ("status",),
    ("spec",),
    ("metadata", "labels"),
    ("status", "conditions"),
    ("status", "initContainerStatuses"),
    ("status", "initContainerStatuses", 0, "state"),
    ("status", "initContainerStatuses", 0, "lastState"),
    ("status", "initContainerStatuses", 0, "restartCount"),
    ("status", "initContainerStatuses", 0, "name"),
    ("spec", "initContainers"),
    ("spec", "initContainers", 0, "restartPolicy"),
    ("metadata", "ownerReferences"),
    ("metadata", "resourceVersion"),
    ("metadata", "creationTimestamp"),
    ("metadata", "deletionTimestamp"),
    ("status", "containerStatuses", 0, "state", "terminated"),
]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(pod_objects(), st.lists(st.tuples(st.integers(0, 20), st.sampled_from(PATHS), json_any), max_size=4))
def test_random_and_malformed_pods_never_crash(objs, corruptions):
    objs = [(copy.deepcopy(o), d) for o, d in objs]
    for index, path, value in corruptions:
        if objs:
            _corrupt(objs[index % len(objs)][0], path, value)
    state = None
    for obj, deleted in objs:
        with contextlib.suppress(MalformedObject):
            state, _ = apply_pod(state, obj, deleted=deleted)
    if state is not None:
        PodState.from_dict(state.to_dict())


@settings(max_examples=80)
@given(json_any)
def test_arbitrary_json_is_either_folded_or_refused(raw):
    with contextlib.suppress(MalformedObject):
        apply_pod(None, raw)
    with contextlib.suppress(MalformedObject):
        apply_event(None, event_record(raw))


@settings(max_examples=80)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "count",
                "firstTimestamp",
                "lastTimestamp",
                "eventTime",
                "series",
                "message",
                "note",
                "reason",
                "type",
                "source",
                "deprecatedCount",
            ]
        ),
        json_any,
    )
)
def test_odd_event_fields_never_crash(fields):
    raw = event(
        "Pulled",
        'Successfully pulled image "a" in 1s (2s including waiting). Image size: 3 bytes.',
        when=1,
        container="db",
    )
    raw.update(fields)
    state, _ = apply_event(None, event_record(raw))
    PodState.from_dict(state.to_dict())


def _fold(objs):
    state = None
    for obj, deleted in objs:
        state, _ = apply_pod(state, obj, deleted=deleted)
    return state


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(pod_objects())
def test_folding_the_same_sequence_twice_gives_the_same_state(objs):
    once = _fold(objs).to_dict()
    state = _fold(objs)
    for obj, deleted in objs:
        state, changed = apply_pod(state, obj, deleted=deleted)
    assert state.to_dict()["containers"] == once["containers"]
    twice = _fold(objs + objs)
    assert twice.to_dict() == once


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(pod_objects())
def test_attempt_keys_are_unique_and_sorted_per_container(objs):
    state = _fold(objs)
    for container in state.containers:
        keys = [a.key for a in container.attempts]
        assert len(keys) == len(set(keys))
        assert keys == sorted(keys)
        for a, b in zip(container.attempts, container.attempts[1:], strict=False):
            assert a.generation < b.generation or a.last_number < b.number, "runs never overlap"
            assert a.count >= 1 and (a.count == 1 or not a.known)
        ids = [a.container_id for a in container.attempts if a.container_id]
        assert len(ids) == len(set(ids))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(
    pod_objects(),
    st.lists(st.sampled_from(["Pulling", "Pulled", "Failed", "FailedMount", "FailedScheduling"]), max_size=5),
)
def test_state_round_trips_through_to_dict(objs, reasons):
    state = _fold(objs)
    for n, reason in enumerate(reasons):
        message = {
            "Pulling": 'Pulling image "a"',
            "Failed": 'Failed to pull image "a": x',
            "Pulled": 'Container image "a" already present on machine',
        }.get(reason, "m")
        container = "db" if reason in ("Pulling", "Pulled", "Failed") else None
        state, _ = apply_event(
            state, event_record(event(reason, message, when=n, container=container, pod_uid=UID))
        )
    data = state.to_dict()
    again = PodState.from_dict(data)
    assert again.to_dict() == data
    assert again == state
