"""One shape for every benchmark figure, so `python -m bench` prints them side by side and writes them to
`var/bench/results.json` the same way.

A benchmark module (`bench.b1`, `bench.b2`, ...) exposes `run(ctx: Context) -> Result`. A `Result` holds
one or more `Figure`s; the first is the benchmark's headline (what DESIGN.md's budget names), the others
its parts (B3: overview and Pod page, p50 and p99; B4: one per query). Each figure carries its target
and a baseline measured in the same run on the same machine, and says whether the target is met and how
far it is from the baseline (`ratio`, always "how many times better than the baseline": baseline/value
when lower is better, value/baseline when higher is better).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class Figure:
    name: str  # "B3 overview p50", "B1 ingest", "B4 overview page"
    value: float
    unit: str  # "events/s", "s", "ms", "MB"
    target: float | None  # None: reported, no target (peak RSS of a baseline, a share of the time)
    better: Literal["higher", "lower"]
    baseline: float | None = None
    baseline_label: str = ""  # what the baseline is, in a few words
    details: dict[str, Any] = field(default_factory=dict)  # extra numbers (peak RSS, counts, cold run)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.better == "higher" else self.value < self.target

    @property
    def ratio(self) -> float | None:
        if not self.baseline or not self.value:
            return None
        return self.value / self.baseline if self.better == "higher" else self.baseline / self.value

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "name": self.name,
            "value": round(self.value, 3),
            "unit": self.unit,
            "target": self.target,
            "better": self.better,
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "baseline_label": self.baseline_label,
            "ratio": None if ratio is None else round(ratio, 2),
            "met": self.met,
            **({"details": self.details} if self.details else {}),
        }


@dataclass
class Result:
    key: str  # "B1" ... "B5"
    title: str  # "ingest: Pod watch events -> parse -> timeline -> PostgreSQL -> change messages"
    figures: list[Figure]
    details: dict[str, Any] = field(default_factory=dict)  # the run's conditions (sizes, durations)

    @property
    def met(self) -> bool | None:
        verdicts = [f.met for f in self.figures if f.met is not None]
        return all(verdicts) if verdicts else None

    def as_json(self) -> dict[str, Any]:
        """The headline's fields at the top (`value`, `unit`, `target`, `baseline`, `ratio`, `met`: `met` is
        every figure's), every figure under `figures`."""
        head = self.figures[0].as_json()
        return {
            "title": self.title,
            **{k: head[k] for k in ("value", "unit", "target", "baseline", "ratio")},
            "met": self.met,
            "figures": [f.as_json() for f in self.figures],
            **({"details": self.details} if self.details else {}),
        }


def number(value: float) -> str:
    """A figure's value as the table prints it: thousands grouped, fewer decimals as it grows."""
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def with_unit(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{number(value)} {unit}".strip()


def target_text(figure: Mapping[str, Any]) -> str:
    """`< 100 ms`, `>= 10,000 events/s`, or `-` (reported, no target); from `Figure.as_json()`."""
    if figure.get("target") is None:
        return "-"
    sign = ">=" if figure.get("better") == "higher" else "<"
    return f"{sign} {with_unit(figure['target'], figure.get('unit', ''))}"


def verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "-"}[met]


TABLE_COLUMNS = ("figure", "value", "target", "verdict", "baseline", "ratio", "baseline is")


def errors(result: Mapping[str, Any]) -> list[str]:
    """What could not be measured: `{"error": ...}` (the whole benchmark), or a result's
    `details["errors"]` (parts of it; its other figures stand)."""
    if "error" in result:
        return [str(result["error"])]
    return [str(e) for e in result.get("details", {}).get("errors", [])]


def table_rows(results: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """One row per figure of every result (`Result.as_json()`, or `{"error": ...}` for a benchmark that
    could not run), in the order given; an ERROR row for each part that could not be measured."""
    rows: list[tuple[str, ...]] = []
    for key, result in results.items():
        failed = [(key, "not measured", "", "ERROR", "", "", e.splitlines()[0]) for e in errors(result)]
        if "error" in result:
            rows += failed
            continue
        for f in result.get("figures", []):
            ratio = f.get("ratio")
            rows.append(
                (
                    f["name"],
                    with_unit(f["value"], f["unit"]),
                    target_text(f),
                    verdict(f.get("met")),
                    with_unit(f.get("baseline"), f["unit"]) if f.get("baseline") is not None else "-",
                    "-" if ratio is None else f"{ratio:,.1f}x",
                    f.get("baseline_label", ""),
                )
            )
        rows += failed
    return rows


def format_table(
    rows: Iterable[tuple[str, ...]],
    columns: tuple[str, ...] = TABLE_COLUMNS,
    right: tuple[int, ...] = (1, 2, 4, 5),
) -> str:
    """Plain-text columns (those in `right` right-aligned); the last column is free text."""
    rows = [columns, *rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns) - 1)]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row[:-1], widths, strict=True))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


@dataclass
class Context:
    """What `python -m bench` hands every benchmark."""

    env: dict[str, str]  # the environment for child processes (DATABASE_URL of the bench database, ...)
    args: argparse.Namespace  # the command line (sizes, --quick)
    root: Any  # the repository root (pathlib.Path)
