"""Event recording in the shapes kubelet, scheduler and controllers produce (docs/kubernetes.md §5).

Contracts
* Kubelet/controller events are core/v1 Events named ``<object>.<hex unix-nanos>`` with
  ``count``/``firstTimestamp``/``lastTimestamp`` (whole seconds); an identical repeat (same source,
  object uid, fieldPath, type, reason, message) updates the same Event with ``count+1`` and a new
  ``lastTimestamp``.
* Scheduler events are events.k8s.io-style: ``eventTime`` (µs), null first/last timestamps, no
  count, ``source: {}``, ``action``; repeats add ``series: {count, lastObservedTime}``.
* One store (``events``) serves both API views; :func:`to_events_v1` converts for events.k8s.io/v1.
* Events expire ``ttl`` simulated seconds after their last update; at most ``max_events`` are kept
  (oldest deleted first) so memory stays bounded under churn.
"""

from __future__ import annotations

import contextlib
import heapq
from collections import OrderedDict

from .clock import Clock
from .store import NotFound, Store
from .util import Ids, parse_rfc3339, rfc3339, rfc3339_micro

SCHEDULER_INSTANCE = "default-scheduler-kubesim-control-plane"


def involved(obj: dict, field_path: str | None = None) -> dict:
    md = obj["metadata"]
    ref = {"kind": obj["kind"]}
    if md.get("namespace"):
        ref["namespace"] = md["namespace"]
    ref.update(
        {
            "name": md["name"],
            "uid": md["uid"],
            "apiVersion": obj["apiVersion"],
            "resourceVersion": md.get("resourceVersion", ""),
        }
    )
    if field_path:
        ref["fieldPath"] = field_path
    return ref


def to_events_v1(ev: dict) -> dict:
    """The events.k8s.io/v1 view of a stored core/v1 Event."""
    out = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": ev["metadata"],
        "eventTime": ev.get("eventTime"),
    }
    if ev.get("series"):
        out["series"] = ev["series"]
    out["reportingController"] = ev.get("reportingComponent", "")
    out["reportingInstance"] = ev.get("reportingInstance", "")
    if ev.get("action"):
        out["action"] = ev["action"]
    out["reason"] = ev.get("reason")
    out["regarding"] = ev.get("involvedObject")
    out["note"] = ev.get("message")
    out["type"] = ev.get("type")
    if ev.get("source"):
        out["deprecatedSource"] = ev["source"]
    if ev.get("firstTimestamp"):
        out["deprecatedFirstTimestamp"] = ev["firstTimestamp"]
    if ev.get("lastTimestamp"):
        out["deprecatedLastTimestamp"] = ev["lastTimestamp"]
    if ev.get("count"):
        out["deprecatedCount"] = ev["count"]
    return out


class EventRecorder:
    def __init__(
        self, store: Store, clock: Clock, ids: Ids, ttl: float = 3600.0, max_events: int = 50_000
    ) -> None:
        self.store = store
        self.clock = clock
        self.ids = ids
        self.ttl = ttl
        self.max_events = max_events
        self._aggregate: dict[tuple, tuple[str, str]] = {}
        self._order: OrderedDict[tuple[str, str], tuple] = OrderedDict()
        self._expiry: list[tuple[float, str, str]] = []
        self._last_nanos = 0
        self._sweeper = None
        self.enabled = True
        self._similar: dict[tuple, list[tuple[float, str]]] = {}

    def start(self) -> None:
        self._sweeper = self.clock.call_later(60.0, self._sweep_loop)

    def _name(self, obj_name: str, now: float) -> str:
        nanos = max(int(now * 1e9), self._last_nanos + 1)
        self._last_nanos = nanos
        return f"{obj_name}.{nanos:x}"

    def _put(self, ev: dict, agg_key: tuple, now: float) -> dict:
        key = (ev["metadata"]["namespace"], ev["metadata"]["name"])
        stored = self.store.create("events", ev)
        self._aggregate[agg_key] = key
        self._order[key] = agg_key
        heapq.heappush(self._expiry, (now + self.ttl, *key))
        while len(self._order) > self.max_events:
            old_key, old_agg = self._order.popitem(last=False)
            self._aggregate.pop(old_agg, None)
            with contextlib.suppress(NotFound):
                self.store.delete("events", *old_key)
        return stored

    def _repeat(self, agg_key: tuple, now: float, scheduler: bool, message: str | None = None) -> bool:
        key = self._aggregate.get(agg_key)
        if key is None:
            return False
        ev = self.store.get("events", *key)
        if ev is None:
            self._aggregate.pop(agg_key, None)
            return False
        if scheduler:
            series = ev.get("series") or {"count": 1}
            ev = {**ev, "series": {"count": series["count"] + 1, "lastObservedTime": rfc3339_micro(now)}}
        else:
            ev = {**ev, "count": ev.get("count", 1) + 1, "lastTimestamp": rfc3339(now)}
            if message is not None:
                ev["message"] = f"(combined from similar events): {message}"
        self.store.update("events", ev)
        self._order.move_to_end(key)
        heapq.heappush(self._expiry, (now + self.ttl, *key))
        return True

    def record(
        self,
        obj: dict,
        type_: str,
        reason: str,
        message: str,
        *,
        field_path: str | None = None,
        component: str = "kubelet",
        host: str | None = None,
        combine: bool = False,
        uid: str | None = None,
        instance: str | None = None,
    ) -> None:
        """A core/v1 event from ``component`` (kubelet on ``host``, or a controller).

        ``combine`` applies client-go's EventAggregator: from the 10th event of the same source,
        object, type and reason with differing messages within 10 minutes, one Event
        ``(combined from similar events): <message>`` carries them (count+1, latest message).
        ``uid`` overrides the involvedObject uid (the kubelet's node reference uses the node name).
        """
        if not self.enabled:
            return
        now = self.clock.now()
        md = obj["metadata"]
        if combine:
            sim_key = (component, host, md["uid"], field_path, type_, reason)
            seen = [(t, m) for t, m in self._similar.get(sim_key, []) if t > now - 600.0]
            if message not in {m for _, m in seen}:
                seen.append((now, message))
            self._similar[sim_key] = seen
            if len(seen) >= 10:
                agg_key = (*sim_key, "(combined)")
                if self._repeat(agg_key, now, scheduler=False, message=message):
                    return
                message = f"(combined from similar events): {message}"
        agg_key = (component, host, md["uid"], field_path, type_, reason, message)
        if combine and message.startswith("(combined from similar events): "):
            agg_key = (component, host, md["uid"], field_path, type_, reason, "(combined)")
        if self._repeat(agg_key, now, scheduler=False):
            return
        ns = md.get("namespace") or "default"
        source = {"component": component}
        if host:
            source["host"] = host
        ts = rfc3339(now)
        ref = involved(obj, field_path)
        if uid is not None:
            ref["uid"] = uid
        ev = {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {
                "name": self._name(md["name"], now),
                "namespace": ns,
                "uid": self.ids.uid(),
                "creationTimestamp": ts,
            },
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": ts,
            "lastTimestamp": ts,
            "count": 1,
            "type": type_,
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": instance if instance is not None else host or "",
        }
        self._put(ev, agg_key, now)

    def scheduler(self, pod: dict, type_: str, reason: str, message: str, action: str) -> None:
        """An events.k8s.io event from default-scheduler (stored in its core/v1 view)."""
        if not self.enabled:
            return
        now = self.clock.now()
        md = pod["metadata"]
        agg_key = ("default-scheduler", md["uid"], type_, reason, message)
        if self._repeat(agg_key, now, scheduler=True):
            return
        ev = {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {
                "name": self._name(md["name"], now),
                "namespace": md["namespace"],
                "uid": self.ids.uid(),
                "creationTimestamp": rfc3339(now),
            },
            "involvedObject": involved(pod),
            "reason": reason,
            "message": message,
            "source": {},
            "firstTimestamp": None,
            "lastTimestamp": None,
            "type": type_,
            "eventTime": rfc3339_micro(now),
            "action": action,
            "reportingComponent": "default-scheduler",
            "reportingInstance": SCHEDULER_INSTANCE,
        }
        self._put(ev, agg_key, now)

    def _sweep_loop(self) -> None:
        self.sweep()
        self._sweeper = self.clock.call_later(60.0, self._sweep_loop)

    def sweep(self) -> int:
        """Delete events whose TTL has passed; return how many were deleted."""
        now = self.clock.now()
        deleted = 0
        while self._expiry and self._expiry[0][0] <= now:
            _, ns, name = heapq.heappop(self._expiry)
            ev = self.store.get("events", ns, name)
            if ev is None:
                continue
            last = (
                ev.get("lastTimestamp")
                or (ev.get("series") or {}).get("lastObservedTime")
                or ev.get("eventTime")
                or ev["metadata"]["creationTimestamp"]
            )
            if parse_rfc3339(last) + self.ttl > now + 1:
                continue  # refreshed by a repeat; a later heap entry covers it
            agg = self._order.pop((ns, name), None)
            if agg is not None:
                self._aggregate.pop(agg, None)
            self.store.delete("events", ns, name)
            deleted += 1
        return deleted
