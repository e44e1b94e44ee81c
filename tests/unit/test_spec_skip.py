"""The fold skips the steps that read the spec alone (`_fold_spec`, the containers' sync with the spec, their
restart policies) while a Pod's spec is the one it folded last (pods/timeline/fold.py, `_same_spec`): most
objects of a Pod change only its status. A state kept in memory (it knows the spec it folded last) and one
read back from its stored bytes before every object (it knows none: every step runs) must store the same."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings

from pods.timeline import apply_pod
from pods.timeline.codec import decode_state, encode_state
from tests.builders import crash_loop_sequence
from tests.strategies import pod_objects


def _kept_and_reread(objects):
    kept = reread = None
    for obj, deleted in objects:
        kept, _ = apply_pod(kept, obj, deleted=deleted)
        fresh = None if reread is None else decode_state(encode_state(reread))
        reread, _ = apply_pod(fresh, copy.deepcopy(obj), deleted=deleted)
        assert encode_state(kept) == encode_state(reread)
    return kept


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pod_objects())
def test_the_spec_only_steps_skipped_on_an_unchanged_spec_change_nothing(objects):
    _kept_and_reread(objects)


def test_a_changed_spec_is_folded_again():
    objects = crash_loop_sequence()
    changed = copy.deepcopy(objects[2])
    for container in changed["spec"]["initContainers"]:
        container["image"] = "acme/migrate:2"
        container["restartPolicyRules"] = [
            {"action": "Restart", "exitCodes": {"operator": "In", "values": [1]}}
        ]
    changed["spec"]["activeDeadlineSeconds"] = 60
    state = _kept_and_reread([(objects[0], False), (objects[1], False), (changed, False)])
    assert state.active_deadline_seconds == 60
    assert {c.image for c in state.containers if c.kind == "init"} == {"acme/migrate:2"}
    # and back: the next object's spec is the one folded
    state = _kept_and_reread(
        [(objects[0], False), (objects[1], False), (changed, False), (objects[3], False)]
    )
    assert state.active_deadline_seconds is None
    assert "acme/migrate:2" not in {c.image for c in state.containers}
