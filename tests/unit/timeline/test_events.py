"""Events: both API shapes, image pulls, Pod-level signals, idempotency, Events before the Pod."""

from __future__ import annotations

import pytest

from pods.timeline import MalformedObject, apply_event, build_state, event_record, parse_go_duration
from tests.builders import UID, at, event, events_k8s_io, pending_conditions, pod, running, waiting


def test_core_v1_kubelet_event_is_normalised():
    e = event_record(event("Pulling", 'Pulling image "acme/db:1.4"', when=3, container="db"))
    assert (e.pod_uid, e.namespace, e.container, e.reason, e.type, e.count) == (
        UID,
        "shop",
        "db",
        "Pulling",
        "Normal",
        1,
    )
    assert (e.first_at, e.last_at, e.source, e.involved_kind) == (at(3), at(3), "kubelet", "Pod")
    assert e.field_path == "spec.initContainers{db}"


def test_events_k8s_io_event_with_series_is_normalised():
    e = event_record(
        events_k8s_io(
            "FailedScheduling",
            "0/3 nodes are available: 3 Insufficient cpu.",
            when=2,
            uid="ev-sched",
            series_count=7,
            last_when=100,
        )
    )
    assert (e.uid, e.pod_uid, e.message, e.count, e.source, e.type) == (
        "ev-sched",
        UID,
        "0/3 nodes are available: 3 Insufficient cpu.",
        7,
        "default-scheduler",
        "Warning",
    )
    assert e.first_at.replace(microsecond=0) == at(2) and e.last_at.replace(microsecond=0) == at(100)


def test_app_and_ephemeral_container_field_paths():
    assert event_record(event("Pulled", "x", when=1, container="app", init=False)).container == "app"
    raw = event("Pulled", "x", when=1)
    raw["involvedObject"]["fieldPath"] = "spec.ephemeralContainers{debugger}"
    assert event_record(raw).container == "debugger"


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        {"kind": "Pod"},
        {"metadata": {}},
        {"metadata": {"uid": "e"}},
        {"metadata": {"uid": "e"}, "involvedObject": {"name": "x"}},
    ],
)
def test_unusable_events_raise_malformed_object(raw):
    with pytest.raises(MalformedObject):
        event_record(raw)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("796ms", 0.796),
        ("1.594s", 1.594),
        ("1m2.5s", 62.5),
        ("2m0s", 120.0),
        ("1h0m0s", 3600.0),
        ("0s", 0.0),
        ("250us", 0.00025),
        ("nope", None),
        ("", None),
        ("1x", None),
    ],
)
def test_go_durations(text, seconds):
    assert parse_go_duration(text) == (pytest.approx(seconds) if seconds is not None else None)


def pulls_state(*messages):
    state = None
    for n, (reason, message) in enumerate(messages):
        state, _ = apply_event(state, event_record(event(reason, message, when=2 + n, container="db")))
    return state


def test_pulled_with_waiting_time_and_size():
    state = pulls_state(
        ("Pulling", 'Pulling image "acme/db:1.4"'),
        (
            "Pulled",
            'Successfully pulled image "acme/db:1.4" in 1.2s (3.4s including waiting). '
            "Image size: 52428800 bytes.",
        ),
    )
    pull = state.container("db").pull
    assert (pull.image, pull.started_at, pull.finished_at) == ("acme/db:1.4", at(2), at(3))
    assert (pull.pull_seconds, pull.wait_seconds, pull.image_bytes, pull.already_present) == (
        1.2,
        2.2,
        52428800,
        False,
    )


def test_pulled_in_the_older_form_has_no_waiting_time():
    state = pulls_state(("Pulled", 'Successfully pulled image "acme/db:1.4" in 1m2.5s'))
    pull = state.container("db").pull
    assert (pull.pull_seconds, pull.wait_seconds, pull.image_bytes) == (62.5, None, None)


@pytest.mark.parametrize("suffix", ["", " and can be accessed by the pod"])
def test_image_already_present(suffix):
    state = pulls_state(("Pulled", f'Container image "acme/db:1.4" already present on machine{suffix}'))
    pull = state.container("db").pull
    assert pull.already_present and pull.finished_at == at(2) and pull.pull_seconds is None


def test_the_first_successful_pull_is_kept():
    state = pulls_state(
        (
            "Pulled",
            'Successfully pulled image "acme/db:1.4" in 796ms (796ms including waiting). '
            "Image size: 10 bytes.",
        ),
        ("Pulled", 'Container image "acme/db:1.4" already present on machine'),
    )
    pull = state.container("db").pull
    assert (pull.pull_seconds, pull.already_present, pull.finished_at) == (0.796, False, at(2))


def test_failed_pulls_are_counted_once_per_occurrence():
    raw = event(
        "Failed", 'Failed to pull image "acme/db:9": not found', when=2, container="db", etype="Warning"
    )
    state, changed = apply_event(None, event_record(raw))
    assert changed and state.container("db").pull.failures == 1
    state, changed = apply_event(state, event_record(raw))
    assert not changed and state.container("db").pull.failures == 1
    raw["count"] = 3
    state, changed = apply_event(state, event_record(raw))
    assert changed and state.container("db").pull.failures == 3
    assert state.container("db").pull.last_error == "not found"
    other = event("Failed", "Error: ImagePullBackOff", when=9, container="db", etype="Warning")
    state, _ = apply_event(state, event_record(other))
    assert state.container("db").pull.failures == 3


def test_events_before_the_pod_make_a_placeholder_the_pod_then_fills():
    pulled = event(
        "Pulled",
        'Successfully pulled image "acme/migrate:1.4" in 2s (2s including waiting). Image size: 5 bytes.',
        when=4,
        container="migrate",
    )
    state = build_state([pulled])
    assert not state.seen and state.name and state.container("migrate").kind == "init"
    state = build_state(
        [
            pulled,
            pod(rv=1, conditions=pending_conditions(), init_statuses=[running("db", 2), waiting("migrate")]),
        ]
    )
    assert state.seen and [c.name for c in state.containers] == ["db", "migrate", "app"]
    assert state.container("migrate").index == 1 and state.container("migrate").pull.pull_seconds == 2.0


def test_pod_level_signals_repeat_by_count():
    raw = event("FailedScheduling", "0/3 nodes are available", when=1, etype="Warning")
    state, _ = apply_event(None, event_record(raw))
    raw["count"], raw["lastTimestamp"], raw["message"] = 5, "2025-06-01T10:01:00Z", "0/4 nodes are available"
    state, changed = apply_event(state, event_record(raw))
    assert changed and len(state.signals) == 1
    s = state.signals[0]
    assert (s.count, s.first_at, s.last_at, s.message) == (5, at(1), at(60), "0/4 nodes are available")
    assert not apply_event(state, event_record(raw))[1]


def test_an_event_of_another_pod_is_refused():
    state = build_state([pod(rv=1)])
    with pytest.raises(MalformedObject):
        apply_event(state, event_record(event("Pulled", "x", when=1, pod_uid="other")))


def test_events_the_engine_does_not_fold_change_nothing():
    state = build_state([pod(rv=1)])
    started = event_record(event("Started", "Container started", when=1, container="db"))
    state, changed = apply_event(state, started)
    assert not changed and state.events_seen == {}


def test_an_unrelated_event_before_the_pod_still_makes_a_placeholder():
    state, changed = apply_event(
        None, event_record(event("Scheduled", "Successfully assigned shop/x", when=1))
    )
    assert changed and not state.seen and state.uid == UID and state.step == "scheduling"


def test_events_k8s_io_pull_events_are_folded():
    raw = events_k8s_io(
        "Pulled",
        'Successfully pulled image "acme/db:1.4" in 1.594s (2.1s including waiting). Image size: 77 bytes.',
        when=3,
        uid="ev-pulled",
        container="db",
        etype="Normal",
    )
    raw["deprecatedCount"] = 1
    state, _ = apply_event(None, event_record(raw))
    pull = state.container("db").pull
    assert (pull.pull_seconds, pull.wait_seconds, pull.image_bytes) == (1.594, 0.506, 77)


def test_failed_attach_volume_is_a_mount_problem():
    p = pod(
        rv=1,
        conditions=pending_conditions(ready_to_start=False),
        init_statuses=[waiting("db"), waiting("migrate")],
    )
    ev = event(
        "FailedAttachVolume",
        'AttachVolume.Attach failed for volume "pvc-1" : rpc error: timed out',
        when=5,
        etype="Warning",
    )
    state = build_state([p, ev])
    assert state.failure.code == "mount" and state.failure.summary.startswith("AttachVolume.Attach failed")


def test_a_new_generation_pulls_again():
    from pods.timeline import apply_pod
    from tests.builders import initialized_conditions, terminated

    first = 'Successfully pulled image "acme/db:1.4" in 1s (1s including waiting). Image size: 5 bytes.'
    state, _ = apply_event(None, event_record(event("Pulled", first, when=2, container="db")))
    done = pod(
        rv=1,
        phase="Running",
        conditions=initialized_conditions(1, 20, 25),
        init_statuses=[terminated("db", 0, 3, 10), terminated("migrate", 0, 11, 20)],
        statuses=[running("app", 21, ready=True)],
    )
    rerun = pod(
        rv=2, conditions=pending_conditions(), init_statuses=[running("db", 100, gen=1), waiting("migrate")]
    )
    state, _ = apply_pod(state, done)
    state, _ = apply_pod(state, rerun)
    assert state.init_generation == 1
    again = 'Successfully pulled image "acme/db:1.4" in 3s (4s including waiting). Image size: 5 bytes.'
    state, _ = apply_event(state, event_record(event("Pulled", again, when=99, container="db")))
    pull = state.container("db").pull
    assert (pull.generation, pull.pull_seconds, pull.finished_at) == (1, 3.0, at(99))
