"""A recorded watch stream (`kubectl get -w --output-watch-events -o json` framing: one compact JSON object
per line, Pods and Events interleaved, a replayed older object and a bookmark) folded end to end."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from pods.timeline import apply_event, apply_pod, build_state, event_record, timeline_document
from pods.timeline.codec import decode_state, encode_state
from tests.builders import at

STREAM = Path(__file__).parent / "fixtures" / "init_crash_loop.jsonl"


def records():
    return [json.loads(line) for line in STREAM.read_text().splitlines() if line.strip()]


def test_recorded_init_crash_loop_stream():
    state = build_state(records())
    assert state.status == "Init:CrashLoopBackOff" and state.restarts == 3
    assert [(a.number, a.exit_code) for a in state.container("migrate").attempts] == [
        (n, 1) for n in range(4)
    ]
    db_pull = state.container("db").pull
    assert (db_pull.pull_seconds, db_pull.wait_seconds, db_pull.image_bytes) == (0.796, 0.798, 4812352)
    assert state.container("migrate").pull.already_present
    assert state.failure.code == "crash-loop" and state.failure.container == "migrate"
    events = [event_record(r["object"]) for r in records() if r["object"].get("kind") == "Event"]
    doc = timeline_document(state, events, cluster="rec", now=at(130), threshold=timedelta(minutes=5))
    assert doc["stuck"] and [e["reason"] for e in doc["events"]][:2] == ["Scheduled", "Pulling"]


def test_folding_the_stream_through_stored_state_gives_the_same_result():
    """Ingest stores the state with `encode_state` and reloads it with `decode_state` between batches:
    same outcome as folding in one go."""
    state = None
    for record in records():
        if record["type"] not in ("ADDED", "MODIFIED", "DELETED"):
            continue
        obj = record["object"]
        if obj.get("kind") == "Event":
            state, _ = apply_event(state, event_record(obj))
        else:
            state, _ = apply_pod(state, obj, deleted=record["type"] == "DELETED")
        state = decode_state(encode_state(state))
    assert state.to_dict() == build_state(records()).to_dict()
