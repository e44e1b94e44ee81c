"""Waiting spans (pods.timeline.waiting): what the waterfall draws while a container waits."""

from __future__ import annotations

from datetime import timedelta

from pods.timeline import apply_event, apply_pod, build_state, event_record, timeline_document
from pods.timeline.codec import decode_state, encode_state
from pods.timeline.event_order import event_sort_key
from pods.timeline.model import ContainerState
from pods.timeline.waiting import MAX_SPANS, observe
from tests.builders import at, crash_loop_sequence, event, pending_conditions, pod, running, waiting

PULL_ERROR = 'Back-off pulling image "acme/db:1.4": ErrImagePull: manifest unknown'


def _pull_pod(rv: int, reason: str, message: str = "") -> dict:
    return pod(
        rv=rv, init=["db"], conditions=pending_conditions(), init_statuses=[waiting("db", reason, message)]
    )


def test_alternating_pull_reasons_are_one_span_ended_by_the_start():
    state, _ = apply_pod(None, _pull_pod(10, "ErrImagePull", "manifest unknown"), observed_at=at(3))
    apply_pod(state, _pull_pod(11, "ImagePullBackOff", PULL_ERROR), observed_at=at(5))
    apply_pod(state, _pull_pod(12, "ErrImagePull", "manifest unknown"), observed_at=at(20))
    apply_pod(state, _pull_pod(13, "ImagePullBackOff", PULL_ERROR), observed_at=at(33))
    started = pod(rv=14, init=["db"], conditions=pending_conditions(), init_statuses=[running("db", 36)])
    apply_pod(state, started, observed_at=at(37))
    db = state.container("db")
    assert db is not None
    [span] = db.waiting_spans
    assert span.reason == "ErrImagePull/ImagePullBackOff"
    assert (span.first_at, span.last_at, span.ended_at) == (at(3), at(33), at(36))
    assert span.message == PULL_ERROR
    # stored and read back as it was; shown in the document
    assert decode_state(encode_state(state)).container("db").waiting_spans == db.waiting_spans
    doc = timeline_document(state, [], cluster="t", now=at(40), threshold=timedelta(minutes=5))
    [shown] = doc["containers"][0]["waiting"]
    assert shown["reason"] == "ErrImagePull/ImagePullBackOff" and shown["ended_at"] is not None
    assert doc["containers"][0]["waiting_dropped"] == 0


def test_events_widen_the_span_with_the_kubelets_times():
    state, _ = apply_pod(None, _pull_pod(10, "ImagePullBackOff", PULL_ERROR), observed_at=at(30))
    failed = event(
        "Failed", "Error: ErrImagePull", when=2, last_when=25, container="db", etype="Warning", count=3
    )
    apply_event(state, event_record(failed))
    backoff = event(
        "BackOff", 'Back-off pulling image "acme/db:1.4"', when=4, last_when=31, container="db", count=4
    )
    apply_event(state, event_record(backoff))
    [span] = state.container("db").waiting_spans
    assert (span.first_at, span.last_at, span.ended_at) == (at(2), at(31), None)
    assert "ErrImagePull" in span.reason.split("/") and "ImagePullBackOff" in span.reason.split("/")
    assert span.message == PULL_ERROR  # the status's waiting message, never an Event's


def test_a_pull_error_event_seen_before_the_status_and_the_status_are_one_span():
    """The watcher can hear of a failing pull from its Event while the status still says
    ContainerCreating/PodInitializing; when the status then shows the same wait, it is the same span."""
    creating = pod(
        rv=10, init=["db"], conditions=pending_conditions(), init_statuses=[waiting("db", "PodInitializing")]
    )
    state, _ = apply_pod(None, creating, observed_at=at(3))
    failed = event(
        "Failed",
        'Failed to pull image "acme/db:1.4": manifest unknown',
        when=4,
        container="db",
        etype="Warning",
    )
    apply_event(state, event_record(failed))
    apply_pod(state, _pull_pod(11, "ImagePullBackOff", PULL_ERROR), observed_at=at(9))
    [span] = state.container("db").waiting_spans
    assert span.reason == "ErrImagePull/ImagePullBackOff"
    assert (span.first_at, span.last_at, span.ended_at) == (at(4), at(9), None)


def test_a_config_error_event_joins_the_config_span():
    message = 'configmap "mounty-config" not found'
    state, _ = apply_pod(None, _pull_pod(10, "CreateContainerConfigError", message), observed_at=at(10))
    apply_event(
        state,
        event_record(
            event("Failed", f"Error: {message}", when=1, last_when=42, container="db", etype="Warning")
        ),
    )
    [span] = state.container("db").waiting_spans
    assert (span.reason, span.first_at, span.last_at) == ("CreateContainerConfigError", at(1), at(42))


def test_pod_initializing_is_not_recorded_and_spans_are_bounded():
    c = ContainerState(name="app", kind="app", index=0)
    assert not observe(c, "waiting", "PodInitializing", "", at(1))
    for i in range(MAX_SPANS + 5):
        observe(c, "waiting", "CrashLoopBackOff", "back-off 10s", at(10 * i))
        observe(c, "running", "", "", at(10 * i + 5))
    assert len(c.waiting_spans) == MAX_SPANS and c.waiting_dropped == 5
    assert all(s.ended_at is not None for s in c.waiting_spans)
    # one span per run of one reason, however often it is observed
    observe(c, "waiting", "CrashLoopBackOff", "back-off 20s", at(1000))
    observe(c, "waiting", "CrashLoopBackOff", "back-off 20s", at(1010))
    assert c.waiting_spans[-1].last_at == at(1010) and len(c.waiting_spans) == MAX_SPANS


def test_events_of_one_second_follow_the_kubelets_sequence():
    same_second = at(3)
    with_ms = same_second + timedelta(milliseconds=250)
    keys = {
        "Started": event_sort_key(same_second, "Started", None, "a"),
        "Pulled": event_sort_key(with_ms, "Pulled", None, "b"),
        "Failed": event_sort_key(same_second, "Failed", None, "c"),
        "Created": event_sort_key(with_ms, "Created", None, "d"),
        "Pulling": event_sort_key(at(2) + timedelta(milliseconds=900), "Pulling", None, "e"),
    }
    assert sorted(keys, key=keys.__getitem__) == ["Pulling", "Pulled", "Created", "Started", "Failed"]


def test_a_pull_error_event_before_a_late_pod_initializing_status_is_still_one_span():
    """The watcher can hear the kubelet's Events before the Pod's first status: the Event opens the span
    (no status yet), the late status still says PodInitializing (it tells of no wait, so it ends the span
    at its last sighting, not at the observation), then the status shows the pull failing. No attempt
    started in between: one wait, one span, as when the facts come in the kubelet's order."""
    spec_only = pod(rv=10, init=["db"], conditions=pending_conditions())
    state, _ = apply_pod(None, spec_only, observed_at=at(2))
    assert state.container("db").state == ""
    failed = event("Failed", "Error: ErrImagePull", when=5, container="db", etype="Warning")
    apply_event(state, event_record(failed))
    backoff = event("BackOff", 'Back-off pulling image "acme/db:1.4"', when=6, container="db")
    apply_event(state, event_record(backoff))
    initializing = pod(
        rv=11, init=["db"], conditions=pending_conditions(), init_statuses=[waiting("db", "PodInitializing")]
    )
    apply_pod(state, initializing, observed_at=at(9))
    apply_pod(state, _pull_pod(12, "ImagePullBackOff", PULL_ERROR), observed_at=at(10))
    again = event(
        "Failed", "Error: ErrImagePull", when=5, last_when=16, container="db", etype="Warning", count=2
    )
    apply_event(state, event_record(again))
    apply_pod(state, _pull_pod(13, "ErrImagePull", "manifest unknown"), observed_at=at(17))
    started = pod(rv=14, init=["db"], conditions=pending_conditions(), init_statuses=[running("db", 37)])
    apply_pod(state, started, observed_at=at(38))
    [span] = state.container("db").waiting_spans
    assert span.reason.split("/")[0] == "ErrImagePull" and "ImagePullBackOff" in span.reason.split("/")
    assert (span.first_at, span.last_at, span.ended_at) == (at(5), at(17), at(37))
    assert span.message == "manifest unknown"


def test_a_replayed_crash_loop_dates_each_back_off_after_the_run_it_follows():
    # A recording has no watcher clock and a crash loop changes no condition: each back-off must still
    # start after the failed run it follows, never at the Pod's initialization (sample 02 drew four
    # back-off slivers before the first run).
    state = build_state(crash_loop_sequence())
    migrate = state.container("migrate")
    assert migrate is not None
    spans = [s for s in migrate.waiting_spans if s.reason == "CrashLoopBackOff"]
    finishes = sorted(a.finished_at for a in migrate.attempts if a.finished_at is not None)
    assert len(spans) == 4 and len(finishes) == 4
    for span, finished in zip(spans, finishes, strict=True):
        assert span.first_at is not None and span.first_at >= finished, (span, finished)
