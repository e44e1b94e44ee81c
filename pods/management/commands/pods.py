"""`manage.py pods list|show`: the stored timelines in the terminal or as JSON."""

from __future__ import annotations

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pods import selectors
from pods.management.terminal import render_document, render_list


class Command(BaseCommand):
    help = "List Pods or show one Pod's startup timeline."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="Pods, stuck ones first")
        listing.add_argument("--cluster", default="")
        listing.add_argument("--namespace", default="")
        listing.add_argument("--stuck", action="store_true", help="only stuck Pods")
        listing.add_argument("--limit", type=int, default=100)
        listing.add_argument("--json", action="store_true", help="JSON lines of summaries")
        show = sub.add_parser("show", help="one Pod's timeline")
        show.add_argument("pod", metavar="NAMESPACE/NAME", nargs="?")
        show.add_argument("--cluster", default="")
        show.add_argument("--uid", default="", help="pick this Pod when a name was reused")
        show.add_argument("--json", action="store_true", help="print the timeline document")

    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            self._list(options)
        else:
            self._show(options)

    def _list(self, options: dict) -> None:
        filters = selectors.PodFilters(
            cluster=options["cluster"],
            namespace=options["namespace"],
            stuck=True if options["stuck"] else None,
        )
        pods = selectors.pod_queryset(filters=filters)[: options["limit"]]
        rows = [selectors.pod_summary(pod) for pod in pods]
        if options["json"]:
            for row in rows:
                self.stdout.write(orjson.dumps(row).decode())
            return
        if not rows:
            self.stdout.write("no Pods")
            return
        self.stdout.write(render_list(rows))

    def _show(self, options: dict) -> None:
        pod = None
        if options["uid"]:
            pod = selectors.pod_get(uid=options["uid"], cluster=options["cluster"])
        elif options["pod"]:
            namespace, sep, name = options["pod"].partition("/")
            if not sep or not namespace or not name:
                raise CommandError("name the Pod as NAMESPACE/NAME (or give --uid)")
            pod = selectors.pod_find(namespace=namespace, name=name, cluster=options["cluster"])
        else:
            raise CommandError("name the Pod as NAMESPACE/NAME or give --uid")
        if pod is None:
            raise CommandError("no such Pod stored")
        document = selectors.pod_document(pod)
        if options["json"]:
            self.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        else:
            self.stdout.write(render_document(document))
