"""The exact definitions of the reports (pure: no Django, no database; docs/reports.md states them).

Every number a report shows is defined here once, over one attempt (`AttemptFacts`), one pull
(`PullFacts`) or one Pod (`PodFacts`), and over a group of them (`init_container_numbers`,
`node_numbers`, `pod_startup_numbers`). `pods.reports.queries` computes them over raw rows: in Python with
these functions (SQLite), or restated in SQL with `percentile_cont` (PostgreSQL), and a test holds both to
the same answers.

- An attempt belongs to the period in which it started (`period_time`): its usable start
  (`pods.timeline.attempts.usable_start`, the one rule: a StartError's epoch start is no start); an
  attempt whose start is unknown belongs to the period of its end (a StartError), else to its Pod's
  creation (a placeholder: it happened after the Pod was created, nothing more is known).
- A placeholder (`known` false, one row standing for `count` attempts) counts `count` times in
  `attempts` and in `finished`; for an init container also in `failed` (a restart within one
  generation); never in durations.
- `duration`: finishedAt − startedAt of a finished attempt with known times (an init container); for a
  sidecar, start → started (`sidecar_started_at`).
- `failed`: a finished attempt with an exit code ≠ 0 or a reason other than `Completed` (an empty reason
  is no reason), plus an init container's placeholders. `failure_rate` = failed / finished.
- Percentiles: linear interpolation between closest ranks, PostgreSQL's `percentile_cont`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pods.timeline.attempts import usable_start
from pods.timeline.model import Attempt

# Seconds are reported to the millisecond, rates to 1/10,000: the same rounding on every path.
SECONDS_DIGITS = 3
RATE_DIGITS = 4
TOP_REASONS = 5
# The reason of a container that exited 0 (the kubelet's word): not a failure.
COMPLETED = "Completed"


@dataclass(frozen=True, slots=True)
class AttemptFacts:
    """What the reports read of one Attempt row (a run of `count` placeholders when not `known`)."""

    kind: str  # "init" | "sidecar"
    known: bool
    count: int
    started_at: datetime | None
    finished_at: datetime | None
    exit_code: int | None
    reason: str
    pod_created_at: datetime | None
    # For a sidecar: when the kubelet moved on to the next container (`sidecar_started_at`), else None.
    started_moment: datetime | None = None


@dataclass(frozen=True, slots=True)
class PullFacts:
    """The image pull of one container of one Pod (`ImagePull`)."""

    pull_seconds: float | None
    wait_seconds: float | None
    already_present: bool


@dataclass(frozen=True, slots=True)
class PodFacts:
    created_at: datetime | None
    scheduled_at: datetime | None
    initialized_at: datetime | None
    ready_at: datetime | None


# ------------------------------------------------------------------------------------------------ one attempt


def start(facts: AttemptFacts) -> datetime | None:
    """The attempt's usable start: the timeline engine's one rule (`usable_start`)."""
    attempt = Attempt(generation=0, number=0, started_at=facts.started_at, known=facts.known)
    return usable_start(attempt, facts.pod_created_at)


def period_time(facts: AttemptFacts) -> datetime | None:
    """The moment that places the attempt in a period: its usable start, else its end, else its Pod's
    creation (a placeholder)."""
    return start(facts) or (facts.finished_at if facts.known else None) or facts.pod_created_at


def in_period(moment: datetime | None, since: datetime, until: datetime) -> bool:
    """A period holds the moments `since` ≤ t < `until`."""
    return moment is not None and since <= moment < until


def is_finished(facts: AttemptFacts) -> bool:
    """It ended: a known attempt with an end time or an exit code, or a placeholder (a later one exists)."""
    if not facts.known:
        return True
    return facts.finished_at is not None or facts.exit_code is not None


def is_failed(facts: AttemptFacts) -> bool:
    """A finished attempt that exited ≠ 0 or with a reason other than `Completed`; an init container's
    placeholder (a restart within one generation; a sidecar's restarts are not necessarily failures)."""
    if not facts.known:
        return facts.kind == "init"
    if not is_finished(facts):
        return False
    return (facts.exit_code is not None and facts.exit_code != 0) or facts.reason not in ("", COMPLETED)


def sidecar_started_at(
    began: datetime | None, finished_at: datetime | None, next_starts: Iterable[datetime | None]
) -> datetime | None:
    """When a sidecar attempt had started (its startup probe passed): the kubelet starts the next
    container of the Pod only then, so it is the first usable start of the next container (same sandbox
    generation), when that lies within this attempt (at or after its start, not after its end). None when
    the kubelet did not move on during this attempt (a restart after the Pod had started, a crash before
    the probe passed)."""
    if began is None:
        return None
    starts = [s for s in next_starts if s is not None]
    if not starts:
        return None
    first = min(starts)
    if first < began or (finished_at is not None and first > finished_at):
        return None
    return first


def duration(facts: AttemptFacts) -> float | None:
    """Seconds; None when not measured (placeholders never are)."""
    began = start(facts)
    if began is None:
        return None
    if facts.kind == "sidecar":
        ended = facts.started_moment
    else:
        ended = facts.finished_at
    return None if ended is None else (ended - began).total_seconds()


# ------------------------------------------------------------------------------------------------ groups


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's `percentile_cont(fraction)`: linear interpolation between the closest ranks of the
    sorted values; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    low, high, weight = percentile_ranks(len(ordered), fraction)
    return interpolate(ordered[low], ordered[high], weight)


def percentile_ranks(n: int, fraction: float) -> tuple[int, int, float]:
    """The closest ranks (0-based, of `n` > 0 sorted values) of percentile `fraction`, and the weight of
    the higher one: PostgreSQL's `percentile_cont` (rank r = fraction · (n − 1))."""
    position = fraction * (n - 1)
    low = math.floor(position)
    return low, math.ceil(position), position - low


def interpolate(low: float, high: float, weight: float) -> float:
    """`percentile_cont`'s value between the values at the closest ranks (its `float8_lerp`)."""
    return low + (high - low) * weight


def seconds(value: float | None) -> float | None:
    return None if value is None else round(value, SECONDS_DIGITS)


def rate(failed: int, finished: int) -> float | None:
    return round(failed / finished, RATE_DIGITS) if finished else None


def top_reasons(failures: Iterable[tuple[str, int | None, int]]) -> list[dict[str, Any]]:
    """Up to five `{reason, exit_code, count}` of (reason, exit code, count) of failed known attempts,
    most frequent first (ties: by reason, then exit code)."""
    counts: Counter[tuple[str, int | None]] = Counter()
    for reason, exit_code, count in failures:
        counts[(reason, exit_code)] += count
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], -1 if kv[0][1] is None else kv[0][1]))
    return [{"reason": r, "exit_code": code, "count": n} for (r, code), n in ordered[:TOP_REASONS]]


def pull_numbers(pulls: Sequence[PullFacts]) -> dict[str, Any]:
    """Pulls measured (a `Pulled` Event with its duration) and those of an image already present, counted
    apart (never as zero)."""
    times = [p.pull_seconds for p in pulls if not p.already_present and p.pull_seconds is not None]
    waits = [p.wait_seconds for p in pulls if not p.already_present and p.wait_seconds is not None]
    return {
        "pull_count": len(times),
        "pull_p50": seconds(percentile(times, 0.5)),
        "pull_p95": seconds(percentile(times, 0.95)),
        "queue_wait_p50": seconds(percentile(waits, 0.5)),
        "already_present": sum(1 for p in pulls if p.already_present),
    }


def attempt_numbers(attempts: Sequence[AttemptFacts]) -> dict[str, Any]:
    """`attempts`, `failed`, `failure_rate` and the duration percentiles of a group of attempts."""
    finished = sum(a.count for a in attempts if is_finished(a))
    failed = sum(a.count for a in attempts if is_failed(a))
    durations = [d for a in attempts if (d := duration(a)) is not None]
    return {
        "attempts": sum(a.count for a in attempts),
        "failed": failed,
        "failure_rate": rate(failed, finished),
        "duration_p50": seconds(percentile(durations, 0.5)),
        "duration_p95": seconds(percentile(durations, 0.95)),
        "duration_p99": seconds(percentile(durations, 0.99)),
        "duration_max": seconds(max(durations, default=None)),
    }


def pod_startup_numbers(pods: Sequence[PodFacts]) -> dict[str, Any]:
    """Per step (created → scheduled, → Initialized, → Ready): how many Pods reached it, p50/p95/max."""
    out: dict[str, Any] = {"pods": len(pods)}
    for step in ("scheduled", "initialized", "ready"):
        values = [
            (moment - p.created_at).total_seconds()
            for p in pods
            if p.created_at is not None and (moment := getattr(p, f"{step}_at")) is not None
        ]
        out[step] = len(values)
        out[f"{step}_p50"] = seconds(percentile(values, 0.5))
        out[f"{step}_p95"] = seconds(percentile(values, 0.95))
        out[f"{step}_max"] = seconds(max(values, default=None))
    return out
