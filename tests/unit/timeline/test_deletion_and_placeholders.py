"""What a real API server showed (issue 10, defects 2–5): the deletion request is not the deadline, a Pod
gone at a relist was deleted after it was last seen, a StartError's epoch start is no time, and attempts
known only by count are all kept (as runs), however many."""

from __future__ import annotations

from datetime import timedelta

from pods.management.terminal import render_document
from pods.timeline import apply_pod, build_state, mark_vanished, timeline_document
from pods.timeline.attempts import Run, fill_unknown, place, usable_start
from pods.timeline.model import Attempt, ContainerState
from pods.timeline.times import UNIX_EPOCH
from pods.web.waterfall import waterfall_layout
from pods.web.waterfall.model import MIN_GAP
from tests.builders import (
    at,
    cid,
    db_done,
    migrate_crash_looping,
    pending_conditions,
    pod,
    running,
    running_pod,
    start_error_pod,
    terminated,
    ts,
    watch,
)

THRESHOLD = timedelta(minutes=5)
DB = db_done()


def document(state, now):
    return timeline_document(state, [], cluster="c", now=now, threshold=THRESHOLD)


# ------------------------------------------------------------------ defect 2: request, not deadline


def deleting(rv: int, *, grace: int, migrate: dict | None = None) -> dict:
    return pod(
        rv=rv,
        deletion=60,
        grace=grace,
        conditions=pending_conditions(),
        init_statuses=[DB, migrate or running("migrate", 11)],
    )


def test_deleting_since_is_the_request_time_not_the_deadline():
    state = build_state([watch("MODIFIED", deleting(1, grace=300))])
    # deletionTimestamp is 10:06:00 (request 10:01:00 + 300 s of grace): never "deleting since" the future
    assert state.deletion_requested_at == at(60) and state.deletion_deadline_at == at(360)
    assert state.step == "deleting" and state.step_since == at(60)
    doc = document(state, now=at(90))
    assert doc["deletion_requested_at"] == ts(60) and doc["deletion_deadline_at"] == ts(360)
    assert doc["step"]["since"] == ts(60)
    layout = waterfall_layout(doc, now=at(90))
    (marker,) = [m for m in layout.markers if m.kind == "deleting"]
    assert marker.at == at(60)
    assert "deletion requested at " + ts(60) in render_document(doc, now=at(90))


def test_the_kubelets_final_grace_zero_update_keeps_the_request_time():
    killed = terminated("migrate", 143, 11, 62)
    state = build_state(
        [
            watch("MODIFIED", deleting(1, grace=30)),
            watch("MODIFIED", deleting(2, grace=0, migrate=killed)),
        ]
    )
    assert state.deletion_requested_at == at(60) and state.deletion_deadline_at == at(60)
    assert state.step_since == at(60)


def test_a_deleted_pod_is_deleted_at_its_request_or_later_activity_never_at_the_deadline():
    killed = terminated("migrate", 143, 11, 62)
    state = build_state(
        [watch("MODIFIED", deleting(1, grace=300)), watch("DELETED", deleting(2, grace=300, migrate=killed))]
    )
    assert state.deleted_at == at(62)  # the container's end after the request, not 10:06:00


def test_a_pod_gone_at_a_relist_is_not_deleted_at_its_deletion_deadline():
    state = build_state([watch("MODIFIED", deleting(1, grace=300))])
    assert mark_vanished(state, at=at(900), last_seen=at(70))
    assert state.deleted_at == at(70)  # the last sight, after the request; not 10:06:00


# ------------------------------------------------------------------ defect 3: gone at a relist


def test_a_pod_gone_at_a_relist_is_deleted_no_earlier_than_it_was_last_seen():
    state = build_state([watch("ADDED", running_pod())])
    # Its newest activity is 10:00:20 (Ready); the watcher saw it alive at 10:10:00; the relist at 10:20:00.
    assert mark_vanished(state, at=at(1200), last_seen=at(600))
    assert state.deleted_at == at(600) and state.vanished_at == at(1200)
    doc = document(state, now=at(1300))
    assert doc["deleted_at"] == ts(600)
    assert doc["deleted_at_exact"] is False
    assert doc["deleted_between"] == [ts(600), ts(1200)]
    assert state.step == "deleting" and state.step_since == at(600)
    text = render_document(doc, now=at(1300))
    assert f"deleted between {ts(600)} and {ts(1200)}" in text and "exact time unknown" in text
    layout = waterfall_layout(doc, now=at(1300))
    assert any(m.kind == "deleted" and "after" in m.label for m in layout.markers)


def test_a_vanished_pod_is_never_deleted_after_the_relist_that_found_it_gone():
    state = build_state([watch("ADDED", running_pod())])
    assert mark_vanished(state, at=at(300), last_seen=at(301))  # clocks: last sight just past the relist
    assert state.deleted_at == at(300) and state.vanished_at == at(300)
    assert not mark_vanished(state, at=at(400), last_seen=at(350)), "already closed"
    assert state.deleted_at == at(300)


def test_a_deletion_seen_as_it_happened_is_exact():
    state = build_state([watch("ADDED", running_pod()), watch("DELETED", running_pod(2))])
    doc = document(state, now=at(100))
    assert doc["deleted_at_exact"] is True and doc["deleted_between"] is None and doc["deleted_at"]
    assert document(build_state([watch("ADDED", running_pod())]), now=at(100))["deleted_at_exact"] is True


# ------------------------------------------------------------------ defect 4: StartError at the epoch


def test_an_epoch_start_is_kept_but_never_measured_or_drawn():
    first = start_error_pod(2, 1, 20)
    latest = start_error_pod(3, 2, 40, "back-off 20s restarting failed container=migrate")
    state = build_state([watch("MODIFIED", first), watch("MODIFIED", latest)])
    attempts = state.container("migrate").attempts
    assert [(a.number, a.known, a.started_at) for a in attempts[1:]] == [
        (1, True, UNIX_EPOCH),
        (2, True, UNIX_EPOCH),
    ]
    assert usable_start(attempts[1], state.created_at) is None
    doc = document(state, now=at(50))
    shown = doc["containers"][1]["attempts"][1]
    assert shown["started_at"] == "1970-01-01T00:00:00Z", "the value is kept as the API gave it"
    assert shown["start_known"] is False and shown["seconds"] is None
    assert state.failure is not None and state.failure.code == "crash-loop"
    assert state.failure.since is not None and state.failure.since.year == 2025

    layout = waterfall_layout(doc, now=at(50))
    assert (layout.end - layout.start) < timedelta(hours=1), "not 57 years"
    lane = next(lane for lane in layout.lanes if lane.name == "migrate")
    bars = [s for s in lane.segments if s.kind == "attempt"]
    assert len(bars) == 2 and all(b.seconds is None and b.start is None for b in bars)
    # attempt 1 ends the unknown attempt 0's window; attempt 2 is drawn from attempt 1's end, never 1970
    assert bars[0].end == at(20) and bars[0].w == 2.0
    # from attempt 1's end, never touching its (MIN_BAR-wide) bar: consecutive bars never merge
    assert (bars[1].x, bars[1].end) == (bars[0].x + bars[0].w + MIN_GAP, at(40))
    assert bars[0].x == layout.lanes[0].segments[0].x + 400
    assert not any(s.kind == "backoff" and s.end == at(40) for s in lane.segments), "no gap before it"

    text = render_document(doc, now=at(50))
    assert "20787d" not in text and "d" not in text.split("|")[1]  # the axis spans seconds, not days
    assert "start unknown" in text


def test_usable_start_rules():
    created = at(0)
    assert usable_start(Attempt(0, 0, started_at=at(5)), created) == at(5)
    assert usable_start(Attempt(0, 0, started_at=at(-30)), created) == at(-30), "clock skew stays a time"
    assert usable_start(Attempt(0, 0, started_at=UNIX_EPOCH), created) is None
    assert usable_start(Attempt(0, 0, started_at=UNIX_EPOCH), None) is None
    assert usable_start(Attempt(0, 0, started_at=at(-86400 * 3)), created) is None
    assert usable_start(Attempt(0, 0, known=False), created) is None


# ------------------------------------------------------------------ defect 5: every placeholder kept


def test_a_container_first_seen_at_restart_count_149_keeps_all_150_attempts_in_two_records():
    state = build_state([watch("ADDED", migrate_crash_looping(9, 149, 901))])
    records = state.container("migrate").attempts
    assert [(a.number, a.count, a.known) for a in records] == [(0, 149, False), (149, 1, True)]
    assert sum(a.count for a in records) == 150
    assert state.failure is not None and "150 attempts" in state.failure.summary
    doc = document(state, now=at(950))
    assert [(a["number"], a["count"], a["known"]) for a in doc["containers"][1]["attempts"]] == [
        (0, 149, False),
        (149, 1, True),
    ]
    layout = waterfall_layout(doc, now=at(950))
    lane = next(lane for lane in layout.lanes if lane.name == "migrate")
    (region,) = [s for s in lane.segments if s.kind == "unknown"]
    assert region.attempts == 149 and "#0–#148" in region.title and "149 attempts" in region.title
    assert lane.attempt_count == 150 and layout.attempt_count == 151  # db's one attempt too
    text = render_document(doc, now=at(950))
    assert "migrate #0–#148: 149 attempts happened, details unknown" in text


def test_a_huge_restart_count_is_one_run_and_the_same_object_again_changes_nothing():
    state = build_state([watch("ADDED", migrate_crash_looping(9, 5000, 901))])
    assert [(a.number, a.count) for a in state.container("migrate").attempts] == [(0, 5000), (5000, 1)]
    again = migrate_crash_looping(9, 5000, 901)
    again["metadata"]["resourceVersion"] = "10"
    _, changed = apply_pod(state, again)
    assert not changed


def test_a_later_restart_count_extends_the_run_and_a_revealed_attempt_splits_it():
    c = ContainerState(name="migrate", kind="init", index=1)
    assert fill_unknown(c, 0, 10)
    assert [(a.number, a.count) for a in c.attempts] == [(0, 10)]
    assert not fill_unknown(c, 0, 10)
    keys = {a.key for a in c.attempts}
    seen = Run(cid("migrate", 5), at(50), at(51), 1, "Error", terminated=True)
    assert place(c, 0, 5, seen)
    assert [(a.number, a.count, a.known) for a in c.attempts] == [(0, 5, False), (5, 1, True), (6, 4, False)]
    assert place(c, 0, 0, Run(cid("migrate", 0), at(1), at(2), 1, "Error", terminated=True))
    assert place(c, 0, 9, Run(cid("migrate", 9), at(90), at(91), 1, "Error", terminated=True))
    assert [(a.number, a.count, a.known) for a in c.attempts] == [
        (0, 1, True),
        (1, 4, False),
        (5, 1, True),
        (6, 3, False),
        (9, 1, True),
    ]
    assert keys <= {a.key for a in c.attempts}, "keys only grow: stored rows are never left stale"
    assert fill_unknown(c, 0, 14)
    assert [(a.number, a.count, a.known) for a in c.attempts][-1] == (10, 4, False)
    assert sum(a.count for a in c.attempts) == 14
