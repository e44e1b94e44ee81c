"""The timeline document: its content, times in RFC 3339 UTC with Z, events deduplicated and ordered."""

from __future__ import annotations

import json
from datetime import timedelta

from pods.timeline import build_state, event_record, step_label, timeline_document
from tests.builders import at, crash_loop_sequence, event, healthy_sequence


def test_document_holds_the_folded_timeline():
    # Its shape (every field, none more) is the API schema's: tests/integration/test_api_schema.py.
    state = build_state(crash_loop_sequence())
    pulled = event(
        "Pulled",
        'Successfully pulled image "acme/migrate:1.4" in 1.2s (3.4s including waiting). Image size: 9 bytes.',
        when=15,
        container="migrate",
    )
    later = event(
        "BackOff",
        "Back-off restarting failed container migrate",
        when=30,
        container="migrate",
        etype="Warning",
    )
    events = [event_record(later), event_record(pulled), event_record(pulled)]
    doc = timeline_document(state, events, cluster="prod", now=at(600), threshold=timedelta(minutes=5))
    json.dumps(doc)
    assert doc["cluster"] == "prod" and doc["owner"] == {"kind": "Deployment", "name": "api"}
    assert doc["stuck"] is True and doc["diagnosis"]["code"] == "crash-loop"
    assert doc["step"] == {
        "name": "init:migrate",
        "container": "migrate",
        "since": "2025-06-01T10:00:10Z",
        "label": "init 2/2: migrate",
    }
    migrate = doc["containers"][1]
    assert migrate["attempts"][0]["finished_at"] == "2025-06-01T10:00:22Z"
    assert [e["reason"] for e in doc["events"]] == ["Pulled", "BackOff"]


def test_step_labels_read_for_people():
    states = []
    from pods.timeline import apply_pod

    state = None
    for record in healthy_sequence():
        state, _ = apply_pod(state, record["object"])
        states.append(step_label(state))
    assert states == [
        "scheduling",
        "init 1/3: db",
        "init 1/3: db",
        "init 2/3: cache",
        "init 3/3: migrate",
        "starting containers",
        "running",
    ]
