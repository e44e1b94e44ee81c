"""The waterfall and the Kubernetes 1.33–1.36 kubelet features: the sandbox-ready milestone, the boundary
of an init generation begun by RestartAllContainers, and the attempts it stopped drawn as killed."""

from __future__ import annotations

from datetime import timedelta

from kubesim.recorder import record
from pods.timeline import apply_event, apply_pod, event_record, timeline_document
from pods.web.waterfall import waterfall_layout

START = 1_748_854_800.0


def _trainer_document():
    rec = record("restart-all", seconds=45, start=START)
    state = None
    for item in rec.items:
        if item.type == "ERROR":
            continue
        if item.resource == "pods":
            state, _ = apply_pod(state, item.object)
        else:
            ev = event_record(item.object)
            if ev.involved_kind == "Pod":
                state, _ = apply_event(state, ev)
    now = state.last_seen_at + timedelta(seconds=1)
    return timeline_document(state, [], cluster="c", now=now, threshold=timedelta(minutes=5)), now


def test_the_sandbox_ready_milestone_and_the_generation_boundaries_are_markers():
    doc, now = _trainer_document()
    layout = waterfall_layout(doc, now=now)
    kinds = [(m.kind, m.label) for m in layout.markers]
    assert ("sandbox-ready", "sandbox ready") in kinds
    boundaries = [m for m in layout.markers if m.kind == "generation"]
    assert [m.label for m in boundaries] == [
        "all containers restarted (gen 1)",
        "all containers restarted (gen 2)",
    ]
    assert [m.at.isoformat() for m in boundaries] == [
        g["started_at"].replace("Z", "+00:00") for g in doc["generations"]
    ]


def test_attempts_stopped_by_restart_all_are_drawn_killed_and_the_trigger_failed():
    doc, now = _trainer_document()
    layout = waterfall_layout(doc, now=now)
    outcomes = {lane.name: [a.outcome for a in lane.attempts] for lane in layout.lanes if lane.container}
    assert outcomes["monitor"][:2] == ["killed", "killed"]
    assert outcomes["proxy"][:2] == ["killed", "killed"]
    assert outcomes["train"][:2] == ["failed", "failed"]
    assert outcomes["fetch-shard"][:2] == ["succeeded", "succeeded"]
    # no back-off gap is drawn across a generation boundary
    gaps = [s for lane in layout.lanes for s in lane.segments if s.kind == "backoff"]
    assert not gaps


def test_the_open_back_off_gap_states_the_kubelets_delay_and_the_next_attempt():
    rec = record("fast-backoff", seconds=40, start=START)
    state = None
    for item in rec.items:
        if item.resource == "pods" and item.type != "ERROR":
            state, _ = apply_pod(state, item.object)
    migrate = state.container("migrate")
    assert migrate.state_reason == "CrashLoopBackOff"
    now = migrate.attempts[-1].finished_at + timedelta(seconds=1)
    doc = timeline_document(state, [], cluster="c", now=now, threshold=timedelta(minutes=5))
    delay = doc["containers"][0]["back_off"]
    assert delay and delay != "10s"
    layout = waterfall_layout(doc, now=now)
    [gap] = [s for lane in layout.lanes for s in lane.segments if s.kind == "backoff" and s.live]
    assert f"the kubelet's back-off: {delay}, next attempt from " in gap.title
