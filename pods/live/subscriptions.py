"""What a live overview socket asked to see: a pure filter over `pods.changed` summaries.

The overview page sends its filters after connecting (`{"type": "subscribe", "filters": {...},
"uids": [...]}`); `OverviewSubscription.select` keeps the summaries a page showing those filters cares
about: the Pods that match, plus the Pods it already shows (so a row that stops matching, e.g. a stuck Pod
that recovers, is still patched or removed). Stuck is the engine's rule (`pods.timeline.stuck_rule`)
over what the summary carries (`can_be_stuck`, `failure_code`, `step_since`), judged at the subscriber's
"now"; failed is the engine's verdict the summary carries (`failed`, `pods.timeline.is_failed`). The
status and search filters read as `pods.selectors.pod_queryset` reads them (STATUS by prefix, any case;
search in names, container names and the diagnosis). The page re-fetches its rows from the server, which
decides the rest (the workload filter).
No Django, no Channels: the consumer calls it, tests call it directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pods.timeline import stuck_rule
from pods.timeline.times import parse_time

MAX_TEXT = 253
# A list page shows 50 rows, at most 500 (`?size=`); more is a confused or hostile client (closed: 4413).
MAX_UIDS = 500


def _text(value: object) -> str:
    return value.strip()[:MAX_TEXT] if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class OverviewSubscription:
    """Filters of the overview page, as sent by its script. Empty strings match everything."""

    cluster: str = ""
    namespace: str = ""
    status: tuple[str, ...] = ()  # lower-case STATUS prefixes
    stuck: bool = False
    failed: bool = False
    search: str = ""
    uids: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_message(cls, message: dict) -> OverviewSubscription:
        """Parse a client's `subscribe` message; unknown keys and wrong types are ignored, never raised."""
        filters = message.get("filters")
        if not isinstance(filters, dict):
            filters = {}
        uids = message.get("uids")
        if not isinstance(uids, list):
            uids = []
        status = sorted({s.strip().lower() for s in _text(filters.get("status")).split(",") if s.strip()})
        return cls(
            cluster=_text(filters.get("cluster")),
            namespace=_text(filters.get("namespace")),
            status=tuple(status),
            stuck=_flag(filters.get("stuck")),
            failed=_flag(filters.get("failed")),
            search=_text(filters.get("q") or filters.get("search")).lower(),
            uids=frozenset(u for u in uids[:MAX_UIDS] if isinstance(u, str)),
        )

    def select(
        self, pods: Iterable[dict], *, now: datetime | None = None, threshold: timedelta
    ) -> list[dict]:
        """The summaries this subscriber should get: shown on its page, or possibly matching its filters."""
        now = now or datetime.now(UTC)
        return [p for p in pods if p.get("uid") in self.uids or self.matches(p, now=now, threshold=threshold)]

    def matches(self, pod: dict, *, now: datetime, threshold: timedelta) -> bool:
        if self.cluster and pod.get("cluster") != self.cluster:
            return False
        if self.namespace and pod.get("namespace") != self.namespace:
            return False
        if self.status and not str(pod.get("status") or "").lower().startswith(self.status):
            return False
        if self.search and not _found(self.search, pod):
            return False
        if self.failed and pod.get("failed") is not True:
            return False
        return not self.stuck or summary_is_stuck(pod, now=now, threshold=threshold)


def _flag(value: object) -> bool:
    return value is True or _text(value).lower() in ("1", "true", "on", "yes")


def _found(term: str, pod: dict) -> bool:
    """pods.selectors.pod_queryset's search over a summary: the same fields, any case."""
    fields = ("name", "namespace", "owner_name", "failure_summary", "failure_code")
    if any(term in str(pod.get(k) or "").lower() for k in fields):
        return True
    containers = pod.get("containers")
    return isinstance(containers, list) and any(term in str(c).lower() for c in containers)


def summary_is_stuck(pod: dict, *, now: datetime, threshold: timedelta) -> bool:
    """Whether the Pod of a change summary (`pods.ingest.change_summary`) is stuck at `now`."""
    return stuck_rule(
        can_be_stuck=pod.get("can_be_stuck") is True,
        failing=bool(pod.get("failure_code")),
        step_since=parse_time(pod.get("step_since")),
        now=now,
        threshold=threshold,
    )
