"""The exact samples of the raw init-containers report: one key's attempts of an hour (or a day, or any
set of them) in a layout that merges exactly (pure: no Django, no database; docs/reports.md "Reports over
raw rows, fast").

A sample holds what the report's numbers are computed from, nothing rounded or bucketed:

- the counts `attempts`, `finished`, `failed` (placeholders counted `count` times) and the failures
  `reasons` (reason, exit code, count) of the failed known attempts — they add up;
- every measured duration (float64) — percentiles over the union of samples are exact
  (`percentiles`: `definitions.percentile_ranks` and `interpolate`, PostgreSQL's `percentile_cont`);
- the Pod ids with an attempt (int64) and, aligned to them, that Pod's pull of the container (pull
  seconds, queue wait: NaN when not measured; already present) — `pods` and the pull numbers over a
  union are those of the distinct Pods (a Pod has one container of a key, one pull), whatever hours
  its attempts lie in.

`hour_samples` computes the samples of a whole hour from the facts `rollup_build` reads for the hour's
rollups (the same placement, `hourly.in_hour`, and definitions); `Sample.add` does the same for attempts
read by `queries.python_attempts`. Stored (`Packed.fields`) durations and Pod ids are sorted, so that a
sample's bytes depend only on what it holds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from pods.reports import definitions as d
from pods.reports import hourly

# Little-endian, whatever the machine: the stored bytes.
FLOAT = np.dtype("<f8")
INT = np.dtype("<i8")
FLAG = np.dtype("u1")
NOT_MEASURED = math.nan


def pull_cells(pull: d.PullFacts | None) -> tuple[float, float, int]:
    """A Pod's pull of a container as (pull seconds, queue wait, already present), as
    `definitions.pull_numbers` counts it: an image already present has no pull time nor wait."""
    if pull is None:
        return NOT_MEASURED, NOT_MEASURED, 0
    if pull.already_present:
        return NOT_MEASURED, NOT_MEASURED, 1
    pulled = NOT_MEASURED if pull.pull_seconds is None else float(pull.pull_seconds)
    waited = NOT_MEASURED if pull.wait_seconds is None else float(pull.wait_seconds)
    return pulled, waited, 0


@dataclass(slots=True)
class Sample:
    """One key's attempts being collected (`add`), then packed (`packed`)."""

    attempts: int = 0
    finished: int = 0
    failed: int = 0
    durations: list[float] = field(default_factory=list)
    pods: dict[int, tuple[float, float, int]] = field(default_factory=dict)
    reasons: list[tuple[str, int | None, int]] = field(default_factory=list)

    def add(self, pod: int, facts: d.AttemptFacts, pull: d.PullFacts | None) -> None:
        """One attempt of Pod `pod` (a sidecar's started moment filled in) and that Pod's pull."""
        self.attempts += facts.count
        if d.is_finished(facts):
            self.finished += facts.count
        if d.is_failed(facts):
            self.failed += facts.count
            if facts.known:
                self.reasons.append((facts.reason, facts.exit_code, facts.count))
        seconds = d.duration(facts)
        if seconds is not None:
            self.durations.append(seconds)
        if pod not in self.pods:
            self.pods[pod] = pull_cells(pull)

    def packed(self) -> Packed:
        ids = sorted(self.pods)
        cells = [self.pods[pod] for pod in ids]
        return Packed(
            attempts=self.attempts,
            finished=self.finished,
            failed=self.failed,
            durations=np.sort(np.array(self.durations, dtype=FLOAT)),
            pods=np.array(ids, dtype=INT),
            pulls=np.array([c[0] for c in cells], dtype=FLOAT),
            waits=np.array([c[1] for c in cells], dtype=FLOAT),
            present=np.array([c[2] for c in cells], dtype=FLAG),
            reasons=combined_reasons(self.reasons),
        )


def hour_samples(hour: datetime, containers: Iterable[hourly.ContainerFacts]) -> dict[hourly.InitKey, Sample]:
    """The samples of one whole hour by key (namespace, workload kind, workload, container, kind): the
    attempts `hourly.in_hour` places in it, as the hour's rollups place them."""
    number = hourly.hour_number(hour)
    out: dict[hourly.InitKey, Sample] = {}
    for c in containers:
        placed = hourly.in_hour(c, number)
        if not placed.attempts:
            continue
        sample = out.setdefault((c.namespace, c.workload_kind, c.workload, c.name, c.kind), Sample())
        for _, facts in placed.attempts:
            sample.add(c.pod, facts, c.pull)
    return out


def combined_reasons(failures: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """(reason, exit code, count) summed per reason and exit code, in a stable order."""
    counts: dict[tuple[str, int | None], int] = {}
    for reason, code, n in failures:
        counts[(reason, code)] = counts.get((reason, code), 0) + n
    ordered = sorted(counts.items(), key=lambda kv: (kv[0][0], -1 if kv[0][1] is None else kv[0][1]))
    return [[reason, code, n] for (reason, code), n in ordered]


@dataclass(frozen=True, slots=True)
class Packed:
    """A sample as arrays: the stored form (`fields`, `from_columns`) and what `merge` and `numbers` read.
    `pods`, `pulls`, `waits` and `present` are aligned; a merged sample may hold a Pod more than once."""

    attempts: int
    finished: int
    failed: int
    durations: np.ndarray
    pods: np.ndarray
    pulls: np.ndarray
    waits: np.ndarray
    present: np.ndarray
    reasons: list[list[Any]]

    def fields(self) -> dict[str, Any]:
        """The `ReportSample` columns (durations and Pods sorted, each Pod once)."""
        unique = self.distinct()
        order = np.argsort(unique.pods, kind="stable")
        return {
            "attempts": self.attempts,
            "finished": self.finished,
            "failed": self.failed,
            "durations": np.sort(self.durations).astype(FLOAT).tobytes(),
            "pods": unique.pods[order].astype(INT).tobytes(),
            "pulls": unique.pulls[order].astype(FLOAT).tobytes(),
            "waits": unique.waits[order].astype(FLOAT).tobytes(),
            "present": unique.present[order].astype(FLAG).tobytes(),
            "reasons": combined_reasons(self.reasons),
        }

    @classmethod
    def from_columns(
        cls,
        attempts: int,
        finished: int,
        failed: int,
        durations: bytes,
        pods: bytes,
        pulls: bytes,
        waits: bytes,
        present: bytes,
        reasons: Iterable[Sequence[Any]],
    ) -> Packed:
        """A sample from stored columns, or from their concatenation over rows (one key's rows summed and
        their bytes joined in the same row order)."""
        return cls(
            attempts=int(attempts),
            finished=int(finished),
            failed=int(failed),
            durations=np.frombuffer(durations, dtype=FLOAT),
            pods=np.frombuffer(pods, dtype=INT),
            pulls=np.frombuffer(pulls, dtype=FLOAT),
            waits=np.frombuffer(waits, dtype=FLOAT),
            present=np.frombuffer(present, dtype=FLAG),
            reasons=[list(r) for r in reasons],
        )

    def distinct(self) -> Packed:
        """The same sample with each Pod once (its pull is the same in every sample that holds it)."""
        ids, first = np.unique(self.pods, return_index=True)
        if len(ids) == len(self.pods):
            return self
        return Packed(
            self.attempts, self.finished, self.failed, self.durations, ids,
            self.pulls[first], self.waits[first], self.present[first], self.reasons,
        )  # fmt: skip


def merge(parts: Iterable[Packed]) -> Packed:
    """The union of samples (of one key): counts add up, arrays are joined."""
    parts = list(parts)
    return Packed(
        attempts=sum(p.attempts for p in parts),
        finished=sum(p.finished for p in parts),
        failed=sum(p.failed for p in parts),
        durations=np.concatenate([p.durations for p in parts]) if parts else np.empty(0, FLOAT),
        pods=np.concatenate([p.pods for p in parts]) if parts else np.empty(0, INT),
        pulls=np.concatenate([p.pulls for p in parts]) if parts else np.empty(0, FLOAT),
        waits=np.concatenate([p.waits for p in parts]) if parts else np.empty(0, FLOAT),
        present=np.concatenate([p.present for p in parts]) if parts else np.empty(0, FLAG),
        reasons=[r for p in parts for r in p.reasons],
    )


def percentiles(values: np.ndarray, fractions: Sequence[float]) -> list[float | None]:
    """Exact percentiles of `values` (any order): the values at the closest ranks, selected without a
    full sort, interpolated as `percentile_cont` does (`definitions.percentile_ranks`, `interpolate`)."""
    n = len(values)
    if not n:
        return [None for _ in fractions]
    ranks = [d.percentile_ranks(n, f) for f in fractions]
    ordered = np.partition(values, sorted({r for low, high, _ in ranks for r in (low, high)}))
    return [d.interpolate(float(ordered[low]), float(ordered[high]), w) for low, high, w in ranks]


def attempt_numbers(sample: Packed) -> dict[str, Any]:
    """`pods`, `attempts`, `failed`, `failure_rate` and the duration percentiles of a (merged) sample: what
    `queries.sql_rows` computes over the same attempts (`definitions.attempt_numbers`)."""
    p50, p95, p99 = percentiles(sample.durations, (0.5, 0.95, 0.99))
    longest = float(sample.durations.max()) if len(sample.durations) else None
    return {
        "pods": len(np.unique(sample.pods)),
        "attempts": sample.attempts,
        "failed": sample.failed,
        "failure_rate": d.rate(sample.failed, sample.finished),
        "duration_p50": d.seconds(p50),
        "duration_p95": d.seconds(p95),
        "duration_p99": d.seconds(p99),
        "duration_max": d.seconds(longest),
    }


def pull_numbers(sample: Packed) -> dict[str, Any]:
    """The pull numbers of a (merged) sample's distinct Pods (`definitions.pull_numbers`)."""
    unique = sample.distinct()
    pulls = unique.pulls[~np.isnan(unique.pulls)]
    waits = unique.waits[~np.isnan(unique.waits)]
    pull_p50, pull_p95 = percentiles(pulls, (0.5, 0.95))
    (wait_p50,) = percentiles(waits, (0.5,))
    return {
        "pull_count": len(pulls),
        "pull_p50": d.seconds(pull_p50),
        "pull_p95": d.seconds(pull_p95),
        "queue_wait_p50": d.seconds(wait_p50),
        "already_present": int(unique.present.sum()),
    }
