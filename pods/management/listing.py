"""The `list` action of the listing commands (`manage.py pods list`, `manage.py workloads list`): the same
filters, limit and output (a table, or JSON lines in the API's shape) for each kind of row."""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

import orjson
from django.core.management.base import OutputWrapper


def add_list_parser(sub: Any, *, help: str, stuck: str, json: str) -> ArgumentParser:  # noqa: A002
    """Add `list` to the subparsers `sub`; `stuck` and `json` describe those flags."""
    listing = sub.add_parser("list", help=help)
    listing.add_argument("--cluster", default="")
    listing.add_argument("--namespace", default="")
    listing.add_argument("--stuck", action="store_true", help=stuck)
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true", help=json)
    return listing


def list_filters(options: dict) -> dict[str, Any]:
    """The filters `list` was given, as keyword arguments of `PodFilters` or `WorkloadFilters`."""
    return {
        "cluster": options["cluster"],
        "namespace": options["namespace"],
        "stuck": True if options["stuck"] else None,
    }


def write_list(
    out: OutputWrapper, rows: list[dict], options: dict, *, render: Callable[[list[dict]], str], none: str
) -> None:
    """The rows as JSON lines (`--json`), else as the table `render` draws, or `none` when there are none."""
    if options["json"]:
        for row in rows:
            out.write(orjson.dumps(row).decode())
        return
    out.write(render(rows) if rows else none)
