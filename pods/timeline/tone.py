"""The colour family ("tone") of a kubectl STATUS text and of a diagnosis: one rule for every reader.

The pages apply it through the `tone` template filter; live change messages carry it as `tone` (see
`pods.ingest`'s change summary), and the browser sets the class it names, so no script holds a copy.
"""

from __future__ import annotations

from typing import Literal

Tone = Literal["bad", "ok", "gone", "wait"]

# A STATUS containing any of these words is trouble (CrashLoopBackOff, Init:Error, OOMKilled, ...).
BAD_WORDS = (
    "Err", "BackOff", "OOM", "Failed", "Invalid", "Error", "Signal", "ExitCode", "Unknown", "Evicted",
)  # fmt: skip
OK_STATUSES = ("Running", "Completed", "Succeeded")
GONE_STATUSES = ("Terminating",)


def status_tone(status: object) -> Tone:
    """bad | ok | gone | wait for a kubectl STATUS text (anything else, None included, waits)."""
    text = str(status or "")
    if text in GONE_STATUSES:
        return "gone"
    if any(word in text for word in BAD_WORDS):
        return "bad"
    if text in OK_STATUSES:
        return "ok"
    return "wait"


def diagnosis_tone(code: object) -> Tone:
    """A diagnosis is trouble, except `slow`, which is still waiting."""
    return "wait" if code == "slow" else "bad"


__all__ = ["BAD_WORDS", "GONE_STATUSES", "OK_STATUSES", "Tone", "diagnosis_tone", "status_tone"]
