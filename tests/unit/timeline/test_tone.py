"""The colour family of a kubectl STATUS and of a diagnosis (pods/timeline/tone.py)."""

from __future__ import annotations

import pytest

from pods.timeline.tone import diagnosis_tone, status_tone


@pytest.mark.parametrize(
    ("status", "tone"),
    [
        ("Init:CrashLoopBackOff", "bad"),
        ("Init:Error", "bad"),
        ("ImagePullBackOff", "bad"),
        ("OOMKilled", "bad"),
        ("Init:ExitCode:3", "bad"),
        ("Init:Signal:9", "bad"),
        ("CreateContainerConfigError", "bad"),
        ("Evicted", "bad"),
        ("Unknown", "bad"),
        ("Running", "ok"),
        ("Completed", "ok"),
        ("Succeeded", "ok"),
        ("Terminating", "gone"),
        ("Pending", "wait"),
        ("Init:0/2", "wait"),
        ("PodInitializing", "wait"),
        ("ContainerCreating", "wait"),
        ("", "wait"),
        (None, "wait"),
    ],
)
def test_a_status_has_one_tone(status, tone):
    assert status_tone(status) == tone


def test_a_slow_start_waits_and_every_other_diagnosis_is_trouble():
    assert diagnosis_tone("slow") == "wait"
    assert diagnosis_tone("crash-loop") == "bad"
    assert diagnosis_tone("image-pull") == "bad"
