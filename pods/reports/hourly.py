"""The rollup rows of one hour of one cluster from the raw facts of that hour (pure: no Django, no database).

`hour_rows` applies the definitions of `pods.reports.definitions` (period membership by `period_time`,
`is_finished`, `is_failed`, `duration`, `sidecar_started_at`, the pull rules of `pull_numbers`) and keeps,
per report key, what can be summed across hours (docs/reports.md, "Rollups"):

- counts: `attempts`, `finished`, `failed` (placeholders counted `count` times, as in raw reports);
- durations, pull times, queue waits and the Pod startup steps as log-bucketed histograms
  (`pods.reports.histogram`) with their count (and the exact maximum of durations and steps);
- `reasons`: `[reason, exit_code, count]` of the failed known attempts, for the top reasons;
- `pods` and the pulls without double counting across hours: a Pod (on a node: a Pod; in an init-container
  row: that container of the Pod) counts in `pods`, and its pull in the pull histograms, in the first hour
  it has an attempt in. In a later hour with attempts it is *carried*, counted by the hour of its previous
  attempt (hours since the epoch): `carried_pods` `[[previous hour, Pods], ...]` and `carried_pulls`
  `[[previous hour, already present, pull histogram, queue-wait histogram], ...]`. A report over
  [since, until) adds the carried entries whose previous hour is before `since` — exactly the Pods with an
  attempt in the period that the period's first hours did not count: `pods` and the pull counts are exact
  over any whole-hour range.

Besides hours, rows hold blocks (`cover`, `blocks_holding`): 2, 4, 8 and 16 hours inside a day, the day,
2, 4, 8 and 16 days inside a calendar month (UTC), the month, 2, 4, 8 and 12 months inside a year (from
January). `span_attempt_fields` /
`span_startup_fields` sum the rows of the smaller blocks that cover a block into its row. A block's row is
read only by a period that covers it whole, so it keeps only the carried entries from before its own
start (the others were counted inside it): a crash-looping Pod is one entry per row, not one per hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pods.reports import definitions as d
from pods.reports import histogram as h

HOUR = timedelta(hours=1)
STEPS = ("scheduled", "initialized", "ready")

InitKey = tuple[str, str, str, str, str]  # namespace, workload_kind, workload, container, kind
WorkloadKey = tuple[str, str, str]  # namespace, workload_kind, workload


@dataclass(frozen=True, slots=True)
class ContainerFacts:
    """One init container (or sidecar) of one Pod: every attempt of it, whatever its hour, with its
    generation; its image pull; and, per generation, the usable starts of the Pod's next container (a
    sidecar's duration ends when the kubelet moved on)."""

    pod: int
    namespace: str
    workload_kind: str
    workload: str
    node: str
    name: str
    kind: str  # init | sidecar
    attempts: tuple[tuple[int, d.AttemptFacts], ...]
    pull: d.PullFacts | None = None
    next_starts: Mapping[int, Sequence[datetime | None]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PodStartupFacts:
    namespace: str
    workload_kind: str
    workload: str
    facts: d.PodFacts


@dataclass(slots=True)
class AttemptRollup:
    """The summable numbers of one key's attempts in one hour (the fields of the rollup models)."""

    pods: int = 0
    attempts: int = 0
    finished: int = 0
    failed: int = 0
    duration_count: int = 0
    duration_sum: float = 0.0
    duration_max: float | None = None
    duration_histogram: dict[str, int] = field(default_factory=dict)
    pull_count: int = 0
    pull_histogram: dict[str, int] = field(default_factory=dict)
    queue_wait_count: int = 0
    queue_wait_histogram: dict[str, int] = field(default_factory=dict)
    already_present: int = 0
    carried_pods: dict[int, int] = field(default_factory=dict)  # previous hour → Pods
    carried_pulls: dict[int, list[Any]] = field(default_factory=dict)  # → [present, pulls, waits]
    reasons: list[list[Any]] = field(default_factory=list)

    def add_attempt(self, facts: d.AttemptFacts) -> None:
        self.attempts += facts.count
        if d.is_finished(facts):
            self.finished += facts.count
        if d.is_failed(facts):
            self.failed += facts.count
        seconds = d.duration(facts)
        if seconds is not None:
            self.duration_count += 1
            self.duration_sum += seconds
            self.duration_max = seconds if self.duration_max is None else max(self.duration_max, seconds)
            h.add(self.duration_histogram, {h.bucket(seconds): 1})

    def add_pull(self, pull: d.PullFacts) -> None:
        """A pull counted in this hour (`definitions.pull_numbers`: measured ones, already present apart)."""
        if pull.already_present:
            self.already_present += 1
            return
        if pull.pull_seconds is not None:
            self.pull_count += 1
            h.add(self.pull_histogram, {h.bucket(pull.pull_seconds): 1})
        if pull.wait_seconds is not None:
            self.queue_wait_count += 1
            h.add(self.queue_wait_histogram, {h.bucket(pull.wait_seconds): 1})

    def carry_pod(self, previous: int) -> None:
        self.carried_pods[previous] = self.carried_pods.get(previous, 0) + 1

    def carry_pull(self, previous: int, pull: d.PullFacts) -> None:
        """A pull counted in an earlier hour (`previous`), as `add_pull` would count it."""
        entry = self.carried_pulls.setdefault(previous, [0, {}, {}])
        if pull.already_present:
            entry[0] += 1
            return
        if pull.pull_seconds is not None:
            h.add(entry[1], {h.bucket(pull.pull_seconds): 1})
        if pull.wait_seconds is not None:
            h.add(entry[2], {h.bucket(pull.wait_seconds): 1})

    def fields(self, *, with_reasons: bool) -> dict[str, Any]:
        out = {
            "pods": self.pods,
            "attempts": self.attempts,
            "finished": self.finished,
            "failed": self.failed,
            "duration_count": self.duration_count,
            "duration_sum": self.duration_sum,
            "duration_max": self.duration_max,
            "duration_histogram": self.duration_histogram,
            "pull_count": self.pull_count,
            "pull_histogram": self.pull_histogram,
            "queue_wait_count": self.queue_wait_count,
            "queue_wait_histogram": self.queue_wait_histogram,
            "already_present": self.already_present,
            **_carried_fields(self.carried_pods, self.carried_pulls),
        }
        if with_reasons:
            out["reasons"] = _reasons(self.reasons)
        return out


@dataclass(frozen=True, slots=True)
class HourRows:
    """The rollup rows of one hour, by key, as model field values (without cluster and hour)."""

    init_containers: dict[InitKey, dict[str, Any]]
    nodes: dict[str, dict[str, Any]]
    pod_startup: dict[WorkloadKey, dict[str, Any]]


def hour_number(moment: datetime) -> int:
    """Whole hours since the epoch (the hour of `moment`)."""
    return int(moment.timestamp() // 3600)


def hour_start(moment: datetime) -> datetime:
    """The whole hour (UTC) that holds `moment`."""
    return datetime.fromtimestamp(hour_number(moment) * 3600, tz=UTC)


def _carried_fields(pods: Mapping[int, int], pulls: Mapping[int, Sequence[Any]]) -> dict[str, Any]:
    """The stored form of carried entries: lists ordered by previous hour, histograms by bucket."""
    return {
        "carried_pods": [[hour, pods[hour]] for hour in sorted(pods)],
        "carried_pulls": [
            [hour, pulls[hour][0], dict(sorted(pulls[hour][1].items())), dict(sorted(pulls[hour][2].items()))]
            for hour in sorted(pulls)
        ],
        "carried_from": min([*pods, *pulls], default=None),
    }


def _reasons(failures: Iterable[list[Any]]) -> list[list[Any]]:
    counts: dict[tuple[str, int | None], int] = {}
    for reason, code, n in failures:
        counts[(reason, code)] = counts.get((reason, code), 0) + n
    ordered = sorted(counts.items(), key=lambda kv: (kv[0][0], -1 if kv[0][1] is None else kv[0][1]))
    return [[reason, code, n] for (reason, code), n in ordered]


def _with_sidecar_moment(c: ContainerFacts, generation: int, facts: d.AttemptFacts) -> d.AttemptFacts:
    if c.kind != "sidecar":
        return facts
    moment = d.sidecar_started_at(d.start(facts), facts.finished_at, c.next_starts.get(generation, ()))
    return replace(facts, started_moment=moment)


def _hours_before(hours: Iterable[int], hour: int) -> int | None:
    earlier = [n for n in hours if n < hour]
    return max(earlier) if earlier else None


@dataclass(frozen=True, slots=True)
class InHour:
    """What one hour holds of one container: its attempts placed in the hour (by `period_time`; a sidecar's
    with its started moment), the hours of all its attempts, and the hour of its latest attempt before
    this one (None: this is its first hour, where its Pod and its pull are counted)."""

    attempts: tuple[tuple[int, d.AttemptFacts], ...]
    hours: tuple[int, ...]
    previous: int | None


def in_hour(c: ContainerFacts, number: int) -> InHour:
    """The attempts of `c` placed in hour `number` (hours since the epoch), the rollups' placement rule."""
    placed = [(g, a, d.period_time(a)) for g, a in c.attempts]
    hours = tuple(hour_number(moment) for _, _, moment in placed if moment is not None)
    here = tuple(
        (g, _with_sidecar_moment(c, g, a))
        for g, a, moment in placed
        if moment is not None and hour_number(moment) == number
    )
    return InHour(here, hours, _hours_before(hours, number))


def step_seconds(facts: d.PodFacts, step: str) -> float | None:
    """Seconds from the Pod's creation to `step` (one of `STEPS`); None until both are known."""
    moment = getattr(facts, f"{step}_at")
    if facts.created_at is None or moment is None:
        return None
    return float((moment - facts.created_at).total_seconds())


def hour_rows(
    hour: datetime, containers: Iterable[ContainerFacts], pods: Iterable[PodStartupFacts]
) -> HourRows:
    """The rollup rows of the hour starting at `hour` (a whole hour): the attempts whose period time lies
    in it (of `containers`, which hold every attempt of each container, in any hour) and the Pods created
    in it (`pods`)."""
    number = hour_number(hour)
    init: dict[InitKey, AttemptRollup] = {}
    nodes: dict[str, AttemptRollup] = {}
    # Per Pod on its node: the hours of all its attempts, and whether it has one in this hour.
    pod_hours: dict[int, tuple[str, list[int]]] = {}
    for c in containers:
        placed = in_hour(c, number)
        node_pod = pod_hours.setdefault(c.pod, (c.node, []))
        node_pod[1].extend(placed.hours)
        if not placed.attempts:
            continue
        row = init.setdefault((c.namespace, c.workload_kind, c.workload, c.name, c.kind), AttemptRollup())
        node = nodes.setdefault(c.node, AttemptRollup())
        for _, facts in placed.attempts:
            row.add_attempt(facts)
            node.add_attempt(facts)
            if facts.known and d.is_failed(facts):
                row.reasons.append([facts.reason, facts.exit_code, facts.count])
        previous = placed.previous
        if previous is None:
            row.pods += 1
            if c.pull is not None:
                row.add_pull(c.pull)
                node.add_pull(c.pull)
        else:
            row.carry_pod(previous)
            if c.pull is not None:
                row.carry_pull(previous, c.pull)
                node.carry_pull(previous, c.pull)
    for node_name, hours in pod_hours.values():
        if number not in hours:
            continue
        previous = _hours_before(hours, number)
        if previous is None:
            nodes[node_name].pods += 1
        else:
            nodes[node_name].carry_pod(previous)
    return HourRows(
        init_containers={key: r.fields(with_reasons=True) for key, r in init.items()},
        nodes={key: r.fields(with_reasons=False) for key, r in nodes.items()},
        pod_startup=_pod_startup(pods),
    )


def _pod_startup(pods: Iterable[PodStartupFacts]) -> dict[WorkloadKey, dict[str, Any]]:
    """Per workload: Pods created in the hour and, per step, how many reached it, the maximum and a
    histogram of created → step (`definitions.pod_startup_numbers` over whole hours)."""
    out: dict[WorkloadKey, dict[str, Any]] = {}
    for p in pods:
        row = out.setdefault((p.namespace, p.workload_kind, p.workload), _empty_startup())
        row["pods"] += 1
        for step in STEPS:
            seconds = step_seconds(p.facts, step)
            if seconds is None:
                continue
            row[step] += 1
            row[f"{step}_max"] = seconds if row[f"{step}_max"] is None else max(row[f"{step}_max"], seconds)
            h.add(row[f"{step}_histogram"], {h.bucket(seconds): 1})
    return out


def _empty_startup() -> dict[str, Any]:
    row: dict[str, Any] = {"pods": 0}
    for step in STEPS:
        row.update({step: 0, f"{step}_max": None, f"{step}_histogram": {}})
    return row


# ------------------------------------------------------------------------------------------------ spans

DAY_HOURS = 24
_COUNTS = (
    "pods", "attempts", "finished", "failed", "duration_count", "pull_count", "queue_wait_count",
    "already_present",
)  # fmt: skip
_HISTOGRAMS = ("duration_histogram", "pull_histogram", "queue_wait_histogram")


def day_start(moment: datetime) -> datetime:
    """Midnight (UTC) of the day that holds `moment`."""
    return datetime.fromtimestamp(int(moment.timestamp() // 86400) * 86400, tz=UTC)


def month_start(moment: datetime) -> datetime:
    """The first midnight (UTC) of the calendar month that holds `moment`."""
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(month: datetime) -> datetime:
    """The start of the calendar month after the one starting at `month`."""
    return datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)


def month_hours(month: datetime) -> int:
    """The `span_hours` of the month row starting at `month` (672 to 744)."""
    return int((next_month(month) - month).total_seconds() // 3600)


# Blocks besides hours, days and months: 2, 4, 8 and 16 hours aligned to the day's start, 2, 4, 8 and 16
# days aligned to the month's start, each inside its day or month. A row per block and key sums the rows of
# its halves; a period is read as its few longest blocks (`cover`).
HOUR_BLOCKS = (24, 16, 8, 4, 2, 1)
DAY_BLOCKS = (16, 8, 4, 2, 1)
MONTH_BLOCKS = (12, 8, 4, 2, 1)  # months, aligned to January, inside the year


def _months_after(month: datetime, n: int) -> datetime:
    index = month.month - 1 + n
    return datetime(month.year + index // 12, index % 12 + 1, 1, tzinfo=UTC)


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _longest(at: datetime, end: datetime, below: int | None) -> int:
    """The `span_hours` of the longest block starting at `at` that ends by `end` (shorter than `below`)."""
    month = month_start(at)
    month_end = next_month(month)
    if at == month:
        for n in MONTH_BLOCKS:
            last = _months_after(month, n)
            aligned = (month.month - 1) % n == 0 and month.month - 1 + n <= 12
            if aligned and last <= end and (below is None or _hours(last - at) < below):
                return _hours(last - at)
    day = day_start(at)
    if at == day:
        days = (at - month).days
        for n in DAY_BLOCKS:
            span = n * DAY_HOURS
            if days % n == 0 and at + span * HOUR <= min(end, month_end) and (below is None or span < below):
                return span
    hours = _hours(at - day)
    for span in HOUR_BLOCKS:
        fits = at + span * HOUR <= min(end, day + DAY_HOURS * HOUR)
        if hours % span == 0 and fits and (below is None or span < below):
            return span
    raise ValueError(f"no block at {at}")


def cover(since: datetime, until: datetime, *, below: int | None = None) -> list[tuple[datetime, int]]:
    """The (start, span_hours) of the blocks that cover [since, until) (whole hours) once, longest first
    from the left: about a dozen for a year (its whole months, a few blocks of days and of hours at both
    ends). `below`: only blocks shorter than that many hours (how a block is summed from smaller ones)."""
    out = []
    at = since
    while at < until:
        span = _longest(at, until, below)
        out.append((at, span))
        at += span * HOUR
    return out


def blocks_holding(hour: datetime) -> list[tuple[datetime, int]]:
    """The (start, span_hours) of the blocks longer than an hour that hold `hour`, shortest first (what a
    change of that hour changes, in the order to recompute them)."""
    day = day_start(hour)
    month = month_start(hour)
    month_end = next_month(month)
    out = []
    hours = _hours(hour - day)
    for span in sorted(HOUR_BLOCKS[1:-1]):
        start = day + (hours // span) * span * HOUR
        if start + span * HOUR <= day + DAY_HOURS * HOUR:
            out.append((start, span))
    out.append((day, DAY_HOURS))
    days = (day - month).days
    for n in sorted(DAY_BLOCKS[:-1]):
        start = month + (days // n) * n * DAY_HOURS * HOUR
        if start + n * DAY_HOURS * HOUR <= month_end:
            out.append((start, n * DAY_HOURS))
    out.append((month, _hours(month_end - month)))
    for n in sorted(MONTH_BLOCKS[:-1]):
        index = (month.month - 1) // n * n
        if index + n <= 12:
            start = datetime(month.year, index + 1, 1, tzinfo=UTC)
            out.append((start, _hours(_months_after(start, n) - start)))
    return out


def _larger(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


class AttemptSpan:
    """One key's rows (hour rows of a day, day rows of a month) summed, to be written as the row of a span
    starting at some `start` at or before the first of them: counts and histograms add up; a Pod carried
    from inside the span was already counted in it (dropped), one carried from before it stays carried."""

    __slots__ = ("counts", "duration_max", "duration_sum", "histograms", "pods", "pulls", "reasons", "rows")

    def __init__(self) -> None:
        self.rows = 0
        self.counts = dict.fromkeys(_COUNTS, 0)
        self.duration_sum = 0.0
        self.duration_max: float | None = None
        self.histograms = {name: h.Sum() for name in _HISTOGRAMS}
        self.pods: dict[int, int] = {}
        self.pulls: dict[int, list[Any]] = {}
        self.reasons: list[list[Any]] = []

    def add(self, v: Mapping[str, Any]) -> None:
        self.rows += 1
        for name in _COUNTS:
            self.counts[name] += v[name]
        self.duration_sum += v["duration_sum"]
        self.duration_max = _larger(self.duration_max, v["duration_max"])
        for name in _HISTOGRAMS:
            self.histograms[name].add(v[name])
        for hour, n in v["carried_pods"]:
            self.pods[hour] = self.pods.get(hour, 0) + n
        for hour, present, pulls, waits in v["carried_pulls"]:
            entry = self.pulls.setdefault(hour, [0, {}, {}])
            entry[0] += present
            h.add(entry[1], pulls)
            h.add(entry[2], waits)
        self.reasons.extend(v.get("reasons", ()))

    def fields(self, start: datetime, *, with_reasons: bool) -> dict[str, Any]:
        first = hour_number(start)
        out: dict[str, Any] = {
            **self.counts,
            "duration_sum": self.duration_sum,
            "duration_max": self.duration_max,
        }
        for name in _HISTOGRAMS:
            out[name] = self.histograms[name].packed()
        pods = {hour: n for hour, n in self.pods.items() if hour < first}
        out.update(_carried_fields(pods, {hour: e for hour, e in self.pulls.items() if hour < first}))
        if with_reasons:
            out["reasons"] = _reasons(self.reasons)
            self.reasons = [list(r) for r in out["reasons"]]  # summed once, not at every span
        return out


class StartupSpan:
    """One workload's pod-startup rows summed (as `AttemptSpan`)."""

    __slots__ = ("histograms", "longest", "pods", "reached", "rows")

    def __init__(self) -> None:
        self.rows = 0
        self.pods = 0
        self.reached = dict.fromkeys(STEPS, 0)
        self.longest: dict[str, float | None] = dict.fromkeys(STEPS)
        self.histograms = {step: h.Sum() for step in STEPS}

    def add(self, v: Mapping[str, Any]) -> None:
        self.rows += 1
        self.pods += v["pods"]
        for step in STEPS:
            self.reached[step] += v[step]
            self.longest[step] = _larger(self.longest[step], v[f"{step}_max"])
            self.histograms[step].add(v[f"{step}_histogram"])

    def fields(self, start: datetime, *, with_reasons: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"pods": self.pods}
        for step in STEPS:
            out[step] = self.reached[step]
            out[f"{step}_max"] = self.longest[step]
            out[f"{step}_histogram"] = self.histograms[step].packed()
        return out


def span_attempt_fields(
    rows: Sequence[Mapping[str, Any]], start: datetime, *, with_reasons: bool
) -> dict[str, Any]:
    """One key's rows of a span (a day's hour rows, a month's day rows) summed into the span's row starting
    at `start` (`AttemptSpan`)."""
    total = AttemptSpan()
    for v in rows:
        total.add(v)
    return total.fields(start, with_reasons=with_reasons)


def span_startup_fields(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One workload's pod-startup rows of a span summed into the span's row."""
    total = StartupSpan()
    for v in rows:
        total.add(v)
    return total.fields(datetime.fromtimestamp(0, tz=UTC))
