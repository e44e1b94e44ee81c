"""The timeline engine: pure functions from raw Pod and Event JSON to timelines (no Django, no I/O).

Fold objects into a `PodState` with `apply_pod` / `apply_event` (both mutate and return the state they
are given), read the kubectl STATUS with `kubectl_status`, the cause with `diagnose` / `is_stuck`, and the
served document with `timeline_document`. See docs/kubernetes.md for the facts it implements.
"""

from __future__ import annotations

from .build import build_state
from .diagnosis import can_be_stuck, compute_failure, diagnose, is_failed, is_stuck, stuck_rule
from .document import timeline_document
from .errors import MalformedObject
from .fold import apply_pod, mark_vanished
from .fold_events import apply_event
from .model import (
    DIAGNOSIS_CODES,
    TERMINAL_DIAGNOSES,
    TERMINAL_PHASES,
    Attempt,
    Condition,
    ContainerState,
    Diagnosis,
    EventRecord,
    Owner,
    PodSignal,
    PodState,
    Pull,
    newest_events,
)
from .parse import compare_rv, event_record, pod_identity
from .status import kubectl_ready, kubectl_status
from .steps import is_ready, step_label
from .times import format_time, human_duration, parse_go_duration, parse_time

__all__ = [
    "DIAGNOSIS_CODES",
    "TERMINAL_DIAGNOSES",
    "TERMINAL_PHASES",
    "Attempt",
    "Condition",
    "ContainerState",
    "Diagnosis",
    "EventRecord",
    "MalformedObject",
    "Owner",
    "PodSignal",
    "PodState",
    "Pull",
    "apply_event",
    "apply_pod",
    "build_state",
    "can_be_stuck",
    "compare_rv",
    "compute_failure",
    "diagnose",
    "event_record",
    "format_time",
    "human_duration",
    "is_failed",
    "is_ready",
    "is_stuck",
    "kubectl_ready",
    "kubectl_status",
    "mark_vanished",
    "newest_events",
    "parse_go_duration",
    "parse_time",
    "pod_identity",
    "step_label",
    "stuck_rule",
    "timeline_document",
]
