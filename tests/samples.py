"""The bundled sample recordings (samples/) and importing recordings as `manage.py import_watch` does."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def import_files(cluster_name: str, *paths: Path) -> tuple[int, list[tuple[str, str]]]:
    """Import recordings through the same code as `manage.py import_watch`; returns (records, rejected)."""
    from pods.ingest.imports import import_paths

    report = import_paths(cluster_name=cluster_name, paths=[str(p) for p in paths])
    return report.records, report.rejected
