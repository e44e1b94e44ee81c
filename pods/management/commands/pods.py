"""`manage.py pods list|show`: the stored timelines in the terminal or as JSON.

`pods show NAME` (any namespace) or `NAMESPACE/NAME` picks the newest Pod of that name; when several Pods
have it (a reused StatefulSet name, the same name in two clusters or namespaces) it says so on stderr,
which one it chose and the `--uid` of each other one.
"""

from __future__ import annotations

import orjson
from django.core.management.base import BaseCommand, CommandError, CommandParser

from pods import selectors
from pods.kube.workloads import with_live_workload
from pods.management.describe_text import render_events, render_spec
from pods.management.listing import add_list_parser, list_filters, write_list
from pods.management.terminal import render_document, render_list
from pods.timeline import format_time

NAMED_LIMIT = 20  # the other Pods of a reused name listed by `pods show`


def _clean(text: str) -> str:
    # Cluster strings are untrusted: keep control characters (and terminal escapes) off the screen.
    return "".join(ch if ch.isprintable() else "?" for ch in (text or ""))


class Command(BaseCommand):
    help = "List Pods or show one Pod's startup timeline."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add_list_parser(
            sub, help="Pods, stuck ones first", stuck="only stuck Pods", json="JSON lines of summaries"
        )
        show = sub.add_parser("show", help="one Pod's timeline")
        show.add_argument("pod", metavar="[NAMESPACE/]NAME", nargs="?")
        show.add_argument("--cluster", default="")
        show.add_argument("--uid", default="", help="pick this Pod when a name was reused")
        show.add_argument("--json", action="store_true", help="print the timeline document")

    def handle(self, *args, **options) -> None:
        if options["action"] == "list":
            self._list(options)
        else:
            self._show(options)

    def _list(self, options: dict) -> None:
        filters = selectors.PodFilters(**list_filters(options))
        pods = list(selectors.pod_queryset(filters=filters)[: options["limit"]])
        # `terminal` (the engine's verdict, projected), as the page's rows carry it: a finished Pod's
        # time in step stops
        summaries = selectors.pod_summaries(pods)
        rows = [{**row, "terminal": pod.terminal} for pod, row in zip(pods, summaries, strict=True)]
        write_list(self.stdout, rows, options, render=render_list, none="no Pods")

    def _show(self, options: dict) -> None:
        pod = None
        if options["uid"]:
            pod = selectors.pod_get(uid=options["uid"], cluster=options["cluster"])
        elif options["pod"]:
            namespace, sep, name = options["pod"].rpartition("/")
            if not name or (sep and not namespace):
                raise CommandError("name the Pod as NAME or NAMESPACE/NAME (or give --uid)")
            named = selectors.pods_named(
                name=name, namespace=namespace, cluster=options["cluster"], limit=NAMED_LIMIT
            )
            pod = named[0] if named else None
            if len(named) > 1:
                self._say_which(named)
        else:
            raise CommandError("name the Pod as NAME or NAMESPACE/NAME, or give --uid")
        if pod is None:
            raise CommandError("no such Pod stored (name it as NAME or NAMESPACE/NAME, or give --uid)")
        document = with_live_workload(selectors.pod_document(pod))
        if options["json"]:
            self.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
        else:
            self.stdout.write(render_document(document))
            self.stdout.write(render_spec(document))
            self.stdout.write(render_events(document))

    def _say_which(self, named: list) -> None:
        """Several Pods have the name: which one is shown, and how to pick another (on stderr)."""
        chosen, others = named[0], named[1:]
        more = " or more" if len(named) >= NAMED_LIMIT else ""
        self.stderr.write(f"{len(named)}{more} Pods are named {_clean(chosen.name)}; showing the newest:")
        self.stderr.write(f"  --uid {chosen.uid}  {_describe(chosen)}")
        self.stderr.write("pick another with --uid:")
        for pod in others:
            self.stderr.write(f"  --uid {pod.uid}  {_describe(pod)}")


def _describe(pod) -> str:
    """Where a Pod is and when it was created: `cluster namespace/name, created TIME, STATUS`."""
    created = format_time(pod.created_at) or "creation time unknown"
    state = "deleted" if pod.deleted_at else _clean(pod.status or "")
    return (
        f"{_clean(pod.cluster.name)} {_clean(pod.namespace)}/{_clean(pod.name)}, created {created}, {state}"
    )
