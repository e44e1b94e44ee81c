"""`manage.py export`: every stored timeline as JSON lines, streamed in constant memory."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pods import selectors
from pods.timeline import parse_time


class Command(BaseCommand):
    help = "Export every stored timeline document as JSON lines (one Pod per line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cluster", default="")
        parser.add_argument("--since", default="", help="RFC 3339 time: Pods created or changed since then")
        parser.add_argument("--output", default="-", help="file to write (default: stdout)")

    def handle(self, *args, **options) -> None:
        since = None
        if options["since"]:
            since = parse_time(options["since"])
            if since is None:
                raise CommandError(f"--since {options['since']!r} is not an RFC 3339 time")
        target = options["output"]
        opener = nullcontext(sys.stdout.buffer) if target == "-" else open(target, "wb")  # noqa: SIM115
        count = 0
        with opener as out:
            for document in selectors.pod_documents(cluster=options["cluster"], since=since):
                out.write(orjson.dumps(document) + b"\n")
                count += 1
        if target != "-":
            self.stderr.write(f"exported {count:,} Pods to {target}")
