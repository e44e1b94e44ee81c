"""The waterfall's outcome rules: whether a Pod's timeline still moves, and how each attempt ended.

`attempt_outcome` gives an attempt's bar its class (succeeded, failed, oom, running, killed, unknown);
`outcome_text` and `attempt_title` say the same in words for tooltips and screen readers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pods.timeline import TERMINAL_PHASES
from pods.timeline.times import format_duration, format_utc
from pods.web.waterfall.model import AttemptRow

KILL_EXIT_CODES = (137, 143)


def is_live(document: dict) -> bool:
    """A Pod whose timeline still moves: not deleted and not in a terminal phase."""
    return not document.get("deleted_at") and document.get("phase") not in TERMINAL_PHASES


def attempt_outcome(
    attempt: dict, *, kind: str, last: bool, deleting: bool, terminal: bool, deleted: bool = False
) -> str:
    """succeeded | failed | oom | running | killed | unknown, for an attempt of a `kind` container.

    killed: the last attempt ended with 137/143 (or ContainerStatusUnknown) because the Pod was being
    deleted or ran past its deadline (`deleting`), or a sidecar stopped when its finished Pod shut
    down; a running attempt of a deleted Pod whose end was never seen counts as killed too.
    """
    if not attempt.get("known", True):
        return "unknown"
    if not attempt.get("finished_at"):
        return "killed" if deleted else "running"
    code, reason = attempt.get("exit_code"), attempt.get("reason") or ""
    if reason == "OOMKilled":
        return "oom"
    if code == 0 or (code is None and reason == "Completed"):
        return "succeeded"
    if reason == "RestartingAllContainers":
        return "killed"  # stopped by RestartAllContainers (KEP-5532): the whole Pod restarted in place
    stopped = code in KILL_EXIT_CODES or reason == "ContainerStatusUnknown"
    if last and stopped and (deleting or (kind == "sidecar" and terminal)):
        return "killed"
    return "failed"


def attempt_title(name: str, row: AttemptRow, *, utc: Callable[[datetime | None], str] = format_utc) -> str:
    """The attempt's details in words (its tooltip); `utc` formats its times (`format_utc`, or a layout's
    memo of it)."""
    which = (
        f"attempt {row.number}"
        if row.count == 1
        else f"{row.count} attempts #{row.number}–#{row.last_number}"
    )
    lines = [f"{name} · {which}" + (f" (generation {row.generation})" if row.generation else "")]
    if not row.known:
        lines.append("happened, details unknown (the API never showed this attempt)")
        return "\n".join(lines)
    lines.append(outcome_text(row))
    started = utc(row.started_at) or "unknown (the runtime reported no start time)"
    lines.append(f"started  {started}")
    if row.finished_at:
        lines.append(f"finished {utc(row.finished_at)}")
    if row.seconds is None:
        lines.append("duration unknown")
    else:
        lines.append(f"{'running for' if row.outcome == 'running' else 'ran'} {format_duration(row.seconds)}")
    if row.message:
        message = row.message.strip()
        lines.append(message[:400] + ("…" if len(message) > 400 else ""))
    return "\n".join(lines)


def outcome_text(row: AttemptRow) -> str:
    if row.outcome == "running":
        return "running"
    parts = [row.outcome]
    if row.exit_code is not None:
        parts.append(f"exit {row.exit_code}")
    if row.signal:
        parts.append(f"signal {row.signal}")
    if row.reason:
        parts.append(row.reason)
    return " · ".join(parts)
