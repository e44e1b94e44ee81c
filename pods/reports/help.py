"""The definitions the Reports page states as its help text, in the words of docs/reports.md.

One wording: each text here is also in docs/reports.md (a test requires every one of them there, a table
row as `| term | text |`), so the page and the docs cannot drift apart. `as_html` renders the little
Markdown they use (`code`, *emphasis*, **strong**) after escaping the text.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PERIOD = (
    "**An attempt belongs to the period in which it started**: an attempt that starts at 23:59:50 and "
    "ends after midnight counts on the first day, with its whole duration. Its start is its *usable* "
    "start, the one rule of the timeline engine (`pods.timeline.attempts.usable_start`): a "
    "StartError's `startedAt` of 1970-01-01 (kubernetes#120331), or a start more than an hour before "
    "the Pod's creation, is no start. An attempt whose start is unknown is placed by what is known: "
    "its end (a StartError), else its Pod's creation (a placeholder). When the details of a "
    "placeholder arrive later, the attempt moves to the period it really started in."
)

PERCENTILES = (
    "**Percentiles over raw rows are exact**: linear interpolation between the closest ranks, as "
    "PostgreSQL's `percentile_cont`: over the sorted values v₀ … vₙ₋₁, the percentile p is at rank r "
    "= p·(n − 1), i.e. v⌊r⌋ + (v⌈r⌉ − v⌊r⌋)·(r − ⌊r⌋). On PostgreSQL it is computed in SQL with "
    "`percentile_cont`; on SQLite in Python with the same definition "
    "(`pods.reports.definitions.percentile`); a test requires both to give the same rows on the same "
    "data. Results are rounded to the millisecond."
)

# The init-containers report's fields: (term, definition), the table of docs/reports.md.
INIT_CONTAINER_FIELDS: tuple[tuple[str, str], ...] = (
    (
        "`pods`",
        ("Pods with at least one attempt of this container in the period."),
    ),
    (
        "`attempts`",
        (
            "Attempts that started in the period. A placeholder run (attempts `restartCount` proves "
            "happened, "
            "never shown by the API: one row with `count`) counts `count` attempts."
        ),
    ),
    (
        "*finished*",
        ("A known attempt with an end time or an exit code, and every placeholder (a later attempt exists)."),
    ),
    (
        "`failed`",
        (
            "A finished attempt with an exit code ≠ 0 or a reason other than `Completed` (an empty reason is "
            "no reason), plus an init container's placeholders (a restart within one generation). "
            "A sidecar's "
            "placeholder is a restart, not necessarily a failure: it counts in `attempts` and as finished, "
            "not as failed."
        ),
    ),
    (
        "`failure_rate`",
        (
            "`failed` / finished attempts (placeholders included); null with no finished attempt. Rounded to "
            "4 decimals."
        ),
    ),
    (
        "duration",
        (
            "Init container: `finishedAt − startedAt` of a finished attempt whose start is usable (failed "
            "ones included). Sidecar: start → started (the startup probe passed): the kubelet starts "
            "the next "
            "container of the Pod only once the sidecar has started, so *started* is the first usable start "
            "of the next container (same sandbox generation) when it lies within the sidecar attempt; an "
            "attempt during which the kubelet did not move on (a restart while the Pod runs, a crash before "
            "the probe passed) has no duration. Placeholders never have one."
        ),
    ),
    (
        "`duration_p50`, `_p95`, `_p99`, `_max`",
        ("Over the durations above, in seconds (to the millisecond); null when none was measured."),
    ),
    (
        "`pull_count`, `pull_p50`, `pull_p95`, `queue_wait_p50`",
        (
            "The image pulls of this container in the Pods of the row (one per container and Pod: the "
            "`Pulled` Event of that Pod's pull, `Successfully pulled image … in 1.2s (3.4s including "
            "waiting)`): pull time and the wait before it. Pulls without a measured time (failed, still "
            "running) are not counted."
        ),
    ),
    (
        "`already_present`",
        (
            "Pulls answered `Container image … already present on machine`: counted apart, never as a zero "
            "pull time."
        ),
    ),
    (
        "`top_reasons`",
        (
            "Up to 5 `{reason, exit_code, count}` among the failed *known* attempts (placeholders have no "
            "reason), most frequent first, ties by reason then exit code."
        ),
    ),
)

POD_STARTUP = (
    "Pods *created* in the period. For each step, how many Pods reached it (`scheduled`, "
    "`initialized`, `ready`) and the p50, p95 and maximum of created → scheduled (`PodScheduled`), "
    "created → `Initialized`, created → `Ready`, in seconds. A Pod that never reached a step is "
    "counted in `pods`, not in that step."
)

NODES = (
    'The init-container and sidecar attempts of the Pods on the node (node `""`: never scheduled), '
    "with the same definitions as above: `pods`, `attempts`, `failed`, `failure_rate`, "
    "`duration_p50`, `duration_p95`, and the pulls (`pull_count`, `pull_p50`, `pull_p95`, "
    "`queue_wait_p50`, `already_present`) — a bad node or registry mirror stands out."
)

_MARKUP = (
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"\*([^*\s][^*]*)\*"), r"<em>\1</em>"),
)


def as_html(text: str) -> SafeString:
    """`text` escaped, then its `code`, **strong** and *emphasis* as HTML (the only markup added)."""
    html = str(escape(text))
    for pattern, replacement in _MARKUP:
        html = pattern.sub(replacement, html)
    return mark_safe(html)  # noqa: S308 - escaped above; only code, strong and em are added
