"""The stored form of a PodState (`pods.timeline.codec`): whatever the engine builds from Pod and Event JSON
reads back equal, from the bytes the ingest writes, from a memoryview of them, and from a `to_dict()`."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pods.timeline import PodState, apply_event, apply_pod, build_state, event_record
from pods.timeline.codec import decode_state, encode_state, fingerprint
from tests.builders import crash_loop_sequence, healthy_sequence
from tests.strategies import kube_events, pod_objects


def _fold(objects, events, *, events_first: bool) -> PodState:
    """Pods and Events folded through the engine as the ingest does, in the order a watcher saw them."""
    records = [("pod", obj, deleted) for obj, deleted in objects]
    records = (
        [("event", raw, False) for raw in events] + records
        if events_first
        else records + [("event", raw, False) for raw in events]
    )
    state = None
    for kind, raw, deleted in records:
        if kind == "pod":
            state, _ = apply_pod(state, raw, deleted=deleted)
        else:
            state, _ = apply_event(state, event_record(raw))
    return state


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(pod_objects(), st.lists(kube_events(), max_size=6), st.booleans())
def test_any_state_the_engine_builds_round_trips_through_the_codec(objects, events, events_first):
    state = _fold(objects, events, events_first=events_first)
    data = encode_state(state)
    again = decode_state(data)
    assert again == state
    assert encode_state(again) == data
    assert fingerprint(again) == fingerprint(state)
    assert decode_state(memoryview(data)) == state
    assert decode_state(orjson.dumps(state.to_dict())) == state


def test_the_replayed_sequences_round_trip():
    for records in (healthy_sequence(), crash_loop_sequence()):
        state = build_state(records)
        assert decode_state(encode_state(state)) == state
