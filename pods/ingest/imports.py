"""Import recorded watch streams and object dumps into stored timelines (`manage.py import_watch`)."""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings

from pods.importer.reader import Notice, Rejected, iter_records, open_records
from pods.ingest.batch import cluster_get_or_create, ingest_batch
from pods.ingest.items import IngestResult, WatchItem
from pods.ingest.tuning import tune_gc_for_ingest


@dataclass(slots=True)
class ImportReport:
    records: int = 0
    pods_changed: set[str] = field(default_factory=set)
    events: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (position, reason)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (position, message): not errors
    # Events about other kinds than Pods: kept (workloads, Nodes, PVCs) and skipped quietly, by kind.
    related_events: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    def add(self, result: IngestResult) -> None:
        self.pods_changed |= result.pods_changed
        self.events += result.events_written
        self.rejected.extend(result.rejected)
        self.related_events += result.related_kept
        self.skipped.update(result.skipped)

    def skipped_text(self) -> str:
        """`12 Events about other kinds skipped (ReplicaSet 8, Service 4)`, or "" when none was."""
        total = sum(self.skipped.values())
        if not total:
            return ""
        kinds = ", ".join(
            f"{kind or '(no kind)'} {n:,}"
            for kind, n in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        return f"{total:,} Event{'s' if total != 1 else ''} about other kinds skipped ({kinds})"


Progress = Callable[[ImportReport, str], None]


def _items(paths: Iterable[str], report: ImportReport) -> Iterator[WatchItem]:
    for path in paths:
        # The reader gunzips by itself (a `.gz` name or gzip's magic bytes).
        limit = settings.INITSCOPE_MAX_LINE_BYTES
        records = (
            iter_records(sys.stdin.buffer, source="stdin", max_line_bytes=limit)
            if path == "-"
            else open_records(path, max_line_bytes=limit)
        )
        for record in records:
            if isinstance(record, Rejected):
                report.rejected.append((record.position, record.reason))
                continue
            if isinstance(record, Notice):
                report.notices.append((record.position, record.message))
                continue
            yield WatchItem(
                kind=record.kind, type=record.event_type, object=record.object, position=record.position
            )


def import_paths(
    *,
    cluster_name: str,
    paths: list[str],
    batch_size: int | None = None,
    progress: Progress | None = None,
    progress_every: float = 2.0,
    tune_gc: bool = False,
) -> ImportReport:
    """Read every file in order and ingest its Pods and Events in batches; bad records are reported."""
    cluster = cluster_get_or_create(name=cluster_name)
    if tune_gc:
        tune_gc_for_ingest()
    batch_size = batch_size or settings.INITSCOPE_INGEST_BATCH_SIZE
    report = ImportReport()
    batch: list[WatchItem] = []
    last = time.monotonic()
    for item in _items(paths, report):
        batch.append(item)
        report.records += 1
        if len(batch) >= batch_size:
            report.add(ingest_batch(cluster=cluster, items=batch))
            batch = []
            if progress and time.monotonic() - last >= progress_every:
                progress(report, item.position)
                last = time.monotonic()
    if batch:
        report.add(ingest_batch(cluster=cluster, items=batch))
    return report
