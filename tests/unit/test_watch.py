"""The watch steps driven with recorded streams (kopf-style), with the Kubernetes API and ingest faked at
their seams: no services needed."""

from __future__ import annotations

import gc
import queue
import threading
import time
import weakref
from collections.abc import Iterator

import orjson
import pytest

from pods import watch
from pods.ingest import IngestResult, pipeline
from pods.kube import ApiError, ConnectionFailed, WatchStream, parse_namespaces, split_lines
from pods.models import Cluster
from pods.watch import batch, listing, state

PODS = watch.Stream("pods")
EVENTS = watch.Stream("events")


def pod(name: str, rv: int, uid: str = "") -> dict:
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": uid or f"uid-{name}",
            "resourceVersion": str(rv),
        },
        "spec": {"containers": [{"name": "app"}]},
        "status": {"phase": "Pending"},
    }


def line(type_: str, obj: dict) -> bytes:
    return orjson.dumps({"type": type_, "object": obj})


def bookmark(rv: int) -> bytes:
    return line("BOOKMARK", {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": str(rv)}})


ERROR_410 = line(
    "ERROR",
    {"kind": "Status", "status": "Failure", "reason": "Expired", "code": 410,
     "message": "too old resource version: 1 (3171407)"},
)  # fmt: skip
ERROR_500 = line("ERROR", {"kind": "Status", "status": "Failure", "reason": "InternalError", "code": 500})

STREAM_WITH_ERROR_410GONE = [line("ADDED", pod("a", 11)), line("MODIFIED", pod("a", 12)), ERROR_410]
STREAM_WITH_BOOKMARK = [line("ADDED", pod("b", 21)), bookmark(25)]
STREAM_WITH_GARBAGE = [
    b'{"type":"MODIFIED","object":{"kind":"Pod","apiVersion":"v1","metad',
    line("SURPRISE", pod("x", 30)),
    b"[1, 2]",
    line("ADDED", pod("c", 31)),
]


class RecordedStream:
    """A recorded watch response: its lines, then a normal end; `close()` as on a real one."""

    def __init__(self, lines: list[bytes]) -> None:
        self.lines, self.closed = lines, False

    def __iter__(self) -> Iterator[bytes]:
        for raw in self.lines:
            if self.closed:
                return
            yield raw

    def close(self) -> None:
        self.closed = True


class FakeKube:
    """Answers lists from `lists` (per resource, one body per call) and watches from `watches` (per
    resource, one entry per call: a list of lines, or an exception to raise); records every call."""

    def __init__(self, *, lists=None, watches=None) -> None:
        self.lists = {k: list(v) for k, v in (lists or {}).items()}
        self.watches = {k: list(v) for k, v in (watches or {}).items()}
        self.calls: list[tuple] = []

    def list(self, resource, *, namespace="", limit=500, continue_token=""):
        self.calls.append(("list", resource, continue_token))
        bodies = self.lists.get(resource) or [{"metadata": {"resourceVersion": "10"}, "items": []}]
        body = bodies.pop(0) if len(bodies) > 1 else bodies[0]
        if isinstance(body, Exception):
            raise body
        return body

    def watch(self, resource, *, namespace="", resource_version="", timeout_seconds=300):
        self.calls.append(("watch", resource, resource_version))
        queue = self.watches.get(resource) or []
        entry = queue.pop(0) if queue else []
        if isinstance(entry, Exception):
            raise entry
        return RecordedStream(entry)

    def get(self, resource, *, namespace, name):
        raise ApiError(404, "NotFound", "")

    def pod_log(self, **kw):
        raise ApiError(403, "Forbidden", "")

    def watched_from(self, resource: str) -> list[str]:
        return [rv for kind, res, rv in self.calls if kind == "watch" and res == resource]


@pytest.fixture
def ingested(monkeypatch) -> list[list]:
    """Every batch `apply_batch` hands to ingest; cursor saves and reconciles are faked, not stored."""
    batches: list[list] = []

    def ingest_batch(*, cluster, items, kept=None, now=None):
        batches.append(items)
        return IngestResult(pods_seen={i.object["metadata"]["uid"] for i in items if i.kind == "pod"})

    monkeypatch.setattr(batch, "ingest_batch", ingest_batch)
    # The window's batches: each ingested as it is submitted, through the same fake.
    monkeypatch.setattr(pipeline, "ingest_batch", ingest_batch)
    monkeypatch.setattr(pipeline.IngestPipeline, "overlap", False)
    monkeypatch.setattr(listing, "pods_mark_vanished", lambda *, cluster, listed_uids, at, **kw: set())
    # Nothing is stored: every listed Pod is folded, and no list was taken before.
    monkeypatch.setattr(listing.selectors, "pods_stored_versions", lambda **kw: {})
    monkeypatch.setattr(listing.selectors, "stream_listed_at", lambda **kw: None)
    monkeypatch.setattr(state, "watch_cursor_save", lambda **kw: None)
    monkeypatch.setattr(state, "watch_failures_set", lambda **kw: None)
    monkeypatch.setattr(state, "cluster_health_changed", lambda **kw: None)
    monkeypatch.setattr(watch.ClusterWatch, "heartbeat", lambda self: None)
    monkeypatch.setattr(batch, "watch_batch_record", lambda **kw: None)
    monkeypatch.setattr(listing, "watch_list_record", lambda **kw: None)
    monkeypatch.setattr(state, "watch_stream_error_record", lambda **kw: None)
    return batches


def make_watch(kube: FakeKube, streams=(PODS,), **settings) -> watch.ClusterWatch:
    defaults = {"flush_ms": 20, "backoff_base": 0.01, "backoff_max": 0.05, "capture_logs": False}
    return watch.ClusterWatch(
        Cluster(pk=1, name="unit"), kube, list(streams), watch.WatchSettings(**(defaults | settings))
    )


def objects(batches: list[list]) -> list[tuple[str, str]]:
    return [(i.type, i.object["metadata"]["resourceVersion"]) for batch in batches for i in batch]


# --------------------------------------------------------------------------------------------- decode


@pytest.mark.parametrize(
    ("raw", "action", "rv"),
    [
        (line("ADDED", pod("a", 5)), "object", "5"),
        (line("DELETED", pod("a", 6)), "object", "6"),
        (bookmark(7), "bookmark", "7"),
        (ERROR_410, "expired", ""),
        (ERROR_500, "error", ""),
        (line("SURPRISE", pod("a", 8)), "skip", ""),
        (b'{"type":"ADDED","object":{"kind":"Pod"', "skip", ""),
        (b'{"type":"ADDED"}', "skip", ""),
        (b"null", "skip", ""),
    ],
)
def test_decode_line_says_what_a_watch_line_means(raw, action, rv):
    decoded = watch.decode_line(PODS, raw)
    assert (decoded.action, decoded.resource_version) == (action, rv)
    assert (decoded.item is not None) == (action == "object")
    if action == "skip":
        assert decoded.message


def test_an_expired_event_is_only_a_new_resource_version():
    event = {"kind": "Event", "metadata": {"uid": "e1", "resourceVersion": "9"}}
    decoded = watch.decode_line(EVENTS, line("DELETED", event))
    assert (decoded.action, decoded.resource_version) == ("bookmark", "9")


def test_the_410_error_message_names_the_expired_version():
    assert "too old resource version" in watch.decode_line(PODS, ERROR_410).message


# ------------------------------------------------------------------------------------------- helpers


@pytest.mark.parametrize("failures", range(1, 12))
def test_backoff_is_exponential_capped_and_jittered(failures):
    low = watch.backoff_delay(failures, base=0.5, cap=30, rand=lambda: 0.0)
    high = watch.backoff_delay(failures, base=0.5, cap=30, rand=lambda: 1.0)
    assert low == high / 2
    assert high == min(30, 0.5 * 2 ** (failures - 1))


def test_no_backoff_before_the_first_failure():
    assert watch.backoff_delay(0, base=1, cap=30) == 0


def test_lines_are_reframed_across_chunk_borders():
    chunks = [b'{"a":', b'1}\n{"b"', b":2}\n\n", b'{"c":3}']
    assert list(split_lines(iter(chunks))) == [b'{"a":1}', b'{"b":2}', b'{"c":3}']


def test_namespace_filters_are_parsed_per_cluster():
    assert parse_namespaces("a=shop, payments;b=batch;") == {"a": ("payments", "shop"), "b": ("batch",)}
    with pytest.raises(ValueError):
        parse_namespaces("a")


def test_streams_cover_pods_and_events_per_namespace():
    assert watch.streams_for([]) == [PODS, EVENTS]
    scoped = watch.streams_for(["x", "y"])
    assert [(s.resource, s.namespace) for s in scoped] == [
        ("pods", "x"), ("pods", "y"), ("events", "x"), ("events", "y"),
    ]  # fmt: skip


# ----------------------------------------------------------------------------------------------- list


def test_list_once_follows_continue_tokens_and_restarts_an_expired_list(ingested):
    page1 = {"metadata": {"resourceVersion": "40", "continue": "t1"}, "items": [pod("a", 38)]}
    restart1 = {"metadata": {"resourceVersion": "50", "continue": "t2"}, "items": [pod("a", 38)]}
    restart2 = {"metadata": {"resourceVersion": "50"}, "items": [pod("b", 45)]}
    expired = ApiError(410, "Expired", "The provided continue parameter is too old")
    kube = FakeKube(lists={"pods": [page1, expired, restart1, restart2, restart2]})
    w = make_watch(kube)
    assert watch.list_once(w, PODS) == "50"
    assert [c[2] for c in kube.calls] == ["", "t1", "", "t2"]
    assert w.state[PODS].resource_version == "50"
    assert objects(ingested) == [("", "38"), ("", "38"), ("", "45")]


def test_the_watcher_stores_its_metrics(ingested, monkeypatch):
    """A list page's batch (events, seconds, lag from receipt), the list, a stream error (docs/signals.md)."""
    recorded = []
    monkeypatch.setattr(batch, "watch_batch_record", lambda **kw: recorded.append(("batch", kw)))
    monkeypatch.setattr(listing, "watch_list_record", lambda **kw: recorded.append(("list", kw["resource"])))
    monkeypatch.setattr(state, "watch_stream_error_record", lambda **kw: recorded.append(("error", kw)))
    body = {"metadata": {"resourceVersion": "5"}, "items": [pod("a", 1), pod("b", 2)]}
    w = make_watch(FakeKube(lists={"pods": [body]}))
    watch.list_once(w, PODS)
    state.record_error(w, PODS, "boom")
    (_, page), listed, (_, error) = recorded
    ((events, seconds),) = page["batches"]
    assert events == 2 and 0 <= seconds < 5 and 0 <= page["lag"] < 5
    assert listed == ("list", "pods") and error["resource"] == "pods"


def test_the_batches_numbers_are_added_up_and_stored_about_once_a_second_and_at_the_windows_end(
    ingested, monkeypatch
):
    """Not two transactions after every batch in the watch's thread: the first batch is stored at once,
    the next ones within a second added up (each batch one observation, the longest lag), and what is left
    when the window ends is stored then."""
    recorded = []
    monkeypatch.setattr(batch, "watch_batch_record", lambda **kw: recorded.append(kw))
    stream = [line("MODIFIED", pod("m", rv)) for rv in range(100, 107)]
    w = make_watch(FakeKube(watches={"pods": [stream]}), flush_events=2, flush_ms=10_000)
    w.state[PODS].resource_version = "99"
    watch.watch_window(w, seconds=0.3)
    assert 2 <= len(recorded) < len(ingested), "fewer stores than batches"
    assert [b for r in recorded for b, _ in r["batches"]] == [len(b) for b in ingested]
    assert all(r["lag"] is not None and r["lag"] >= 0 for r in recorded)
    assert w.batch_numbers.batches == [], "nothing left unstored after the window"


def test_list_once_reconciles_with_every_listed_uid(ingested, monkeypatch):
    seen = {}

    def mark_vanished(*, cluster, listed_uids, at, namespaces, listed_before):
        seen["uids"], seen["namespaces"] = listed_uids, namespaces
        return {"uid-gone"}

    monkeypatch.setattr(listing, "pods_mark_vanished", mark_vanished)
    body = {"metadata": {"resourceVersion": "5"}, "items": [pod("a", 1), pod("b", 2)]}
    w = make_watch(FakeKube(lists={"pods": [body]}))
    watch.list_once(w, PODS)
    assert seen["uids"] == {"uid-a", "uid-b"}
    assert seen["namespaces"] is None, "a cluster-wide list reconciles every namespace"
    assert w.stats["vanished"] == 1


# ---------------------------------------------------------------------------------------------- watch


def test_a_410_in_the_stream_relists_and_resumes_from_the_new_list(ingested):
    relisted = {"metadata": {"resourceVersion": "60"}, "items": [pod("a", 59)]}
    kube = FakeKube(
        lists={"pods": [{"metadata": {"resourceVersion": "10"}, "items": []}, relisted]},
        watches={"pods": [STREAM_WITH_ERROR_410GONE, [line("MODIFIED", pod("a", 61))]]},
    )
    w = make_watch(kube)
    result = watch.watch_window(w, seconds=0.5)
    assert result.reason == "window"
    assert kube.watched_from("pods")[:2] == ["10", "60"]
    assert objects(ingested) == [("ADDED", "11"), ("MODIFIED", "12"), ("", "59"), ("MODIFIED", "61")]
    assert w.stats["expired"] == 1 and w.stats["lists"] == 2


def test_a_plain_http_410_on_resume_relists(ingested):
    kube = FakeKube(watches={"pods": [ApiError(410, "Expired", "too old"), []]})
    w = make_watch(kube)
    w.state[PODS].resource_version = "3"
    watch.watch_window(w, seconds=0.3)
    assert [c[:2] for c in kube.calls[:3]] == [("watch", "pods"), ("list", "pods"), ("watch", "pods")]


def test_the_watch_resumes_from_the_newest_version_bookmarks_included(ingested):
    kube = FakeKube(watches={"pods": [STREAM_WITH_BOOKMARK, []]})
    w = make_watch(kube)
    w.state[PODS].resource_version = "20"
    watch.watch_window(w, seconds=0.3)
    assert kube.watched_from("pods")[:2] == ["20", "25"]
    assert w.state[PODS].resource_version == "25"
    assert objects(ingested) == [("ADDED", "21")]


def test_malformed_lines_and_unknown_types_are_skipped_and_the_watch_goes_on(ingested, caplog):
    kube = FakeKube(watches={"pods": [STREAM_WITH_GARBAGE]})
    w = make_watch(kube)
    w.state[PODS].resource_version = "29"
    watch.watch_window(w, seconds=0.3)
    assert objects(ingested) == [("ADDED", "31")]
    assert w.stats["skipped"] == 3
    assert "malformed watch line" in caplog.text and "unknown watch event type 'SURPRISE'" in caplog.text


@pytest.mark.parametrize(
    "failure", [ConnectionFailed("reset by peer"), ApiError(503, "ServiceUnavailable", "")]
)
def test_connection_errors_and_5xx_reconnect_from_the_cursor_with_backoff(ingested, failure):
    kube = FakeKube(watches={"pods": [failure, failure, [line("ADDED", pod("d", 41))]]})
    w = make_watch(kube)
    w.state[PODS].resource_version = "40"
    watch.watch_window(w, seconds=0.5)
    assert kube.watched_from("pods")[:3] == ["40", "40", "40"]
    assert objects(ingested) == [("ADDED", "41")]
    assert w.stats["reconnects"] >= 2


def test_an_error_event_relists_after_a_backoff(ingested):
    kube = FakeKube(watches={"pods": [[ERROR_500], []]})
    w = make_watch(kube)
    w.state[PODS].resource_version = "7"
    watch.watch_window(w, seconds=0.3)
    assert ("list", "pods", "") in kube.calls
    assert w.state[PODS].error.startswith("watch ERROR: 500")


def test_a_403_ends_the_window_as_denied(ingested):
    kube = FakeKube(
        watches={"pods": [ApiError(403, "Forbidden", 'pods is forbidden: User "x" cannot watch')]}
    )
    w = make_watch(kube)
    w.state[PODS].resource_version = "7"
    result = watch.watch_window(w, seconds=2)
    assert result.reason == "denied" and "403: cannot watch pods" in result.message
    assert [c[0] for c in kube.calls] == ["watch"], "no retry inside the window"


def test_batches_flush_every_n_events(ingested):
    stream = [line("MODIFIED", pod("e", rv)) for rv in range(100, 105)]
    kube = FakeKube(watches={"pods": [stream]})
    w = make_watch(kube, flush_events=2, flush_ms=10_000)
    w.state[PODS].resource_version = "99"
    watch.watch_window(w, seconds=0.3)
    # At most flush_events a batch, every event once and in order (a batch may also go out smaller, as
    # soon as ingest has caught up with the stream).
    assert max(len(b) for b in ingested) == 2
    assert [rv for _, rv in objects(ingested)] == [str(rv) for rv in range(100, 105)]


def test_pods_and_events_are_watched_side_by_side(ingested):
    event = {"kind": "Event", "metadata": {"uid": "ev", "resourceVersion": "71"}}
    kube = FakeKube(watches={"pods": [[line("ADDED", pod("f", 70))]], "events": [[line("ADDED", event)]]})
    w = make_watch(kube, streams=(PODS, EVENTS))
    for s in (PODS, EVENTS):
        w.state[s].resource_version = "69"
    watch.watch_window(w, seconds=0.3)
    assert sorted(i.kind for b in ingested for i in b) == ["event", "pod"]


def test_a_stream_that_ends_at_once_again_and_again_is_backed_off(ingested):
    kube = FakeKube()  # every watch ends immediately with nothing
    w = make_watch(kube, backoff_base=0.05, backoff_max=0.2)
    w.state[PODS].resource_version = "1"
    watch.watch_window(w, seconds=0.6)
    assert len(kube.watched_from("pods")) < 15


# ------------------------------------------------------------------------------------------ review fixes


class BlockingStream(RecordedStream):
    """A watch that never ends by itself: yields nothing until closed."""

    def __iter__(self) -> Iterator[bytes]:
        while not self.closed:
            time.sleep(0.01)
        return
        yield


def test_an_unexpected_error_still_stops_every_reader(ingested, monkeypatch):
    stream = BlockingStream([])
    kube = FakeKube()
    monkeypatch.setattr(kube, "watch", lambda *a, **kw: stream)
    w = make_watch(kube)
    w.state[PODS].resource_version = "1"
    calls = {"n": 0}

    def heartbeat(self):
        calls["n"] += 1
        if calls["n"] > 3:
            raise RuntimeError("database went away")

    monkeypatch.setattr(watch.ClusterWatch, "heartbeat", heartbeat)
    with pytest.raises(RuntimeError):
        watch.watch_window(w, seconds=5)
    assert stream.closed, "the reader's stream was closed"
    assert w.state[PODS].reader is None


def test_a_reader_stopped_before_its_watch_opened_closes_it_at_once():
    stream = BlockingStream([])
    w = make_watch(FakeKube())
    reader = watch.Reader(w, w.state[PODS], 5, queue.Queue())

    def watch_after_stop(*a, **kw):
        reader.stop()  # stop() runs while the watch is opening: `response` is still None
        return stream

    reader.kube = type("K", (), {"watch": staticmethod(watch_after_stop)})()
    reader.run()  # returns at once instead of blocking on the stream
    assert stream.closed


class BreakingResponse:
    """urllib3's side of a watch: a line, then the read fails once `close()` shut the socket."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def stream(self, amt: int, decode_content: bool = True) -> Iterator[bytes]:
        yield b'{"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "7"}}}\n'
        self.closed.wait(10)
        raise OSError("socket closed")

    def close(self) -> None:
        self.closed.set()


def test_a_stopped_reader_lets_go_of_its_window_queue_without_the_garbage_collector():
    """A reader stopped at a window's end fails its read (ConnectionFailed). Its error's traceback holds the
    reader's frame; the frame must not hold the error back, or the cycle keeps the Reader, the window's
    queue and every line left in it until a full collection, which a worker runs rarely (the soak's
    workers grew by the queues they kept)."""
    w = make_watch(FakeKube())
    lines: queue.Queue = queue.Queue()
    kept = weakref.ref(lines)
    reader = watch.Reader(w, w.state[PODS], 5, lines)
    reader.kube = type("K", (), {"watch": staticmethod(lambda *a, **kw: WatchStream(BreakingResponse()))})()
    gc.disable()
    try:
        reader.start()
        assert [lines.get(timeout=10)[0] for _ in range(2)] == ["open", "line"]
        reader.stop()
        reader.join(10)
        assert not reader.is_alive()
        del reader, lines
        assert kept() is None, "the queue outlived its reader: held by a reference cycle"
    finally:
        gc.enable()


def test_a_lost_lock_stops_a_list_before_it_reconciles_or_saves(monkeypatch):
    monkeypatch.setattr(batch, "ingest_batch", lambda *, cluster, items: IngestResult())
    monkeypatch.setattr(batch, "watch_batch_record", lambda **kw: None)
    vanished, saved = [], []
    monkeypatch.setattr(listing, "pods_mark_vanished", lambda **kw: vanished.append(kw) or set())
    monkeypatch.setattr(listing.selectors, "pods_stored_versions", lambda **kw: {})
    monkeypatch.setattr(state, "watch_cursor_save", lambda **kw: saved.append(kw))
    beats = {"n": 0}

    def heartbeat(self):
        beats["n"] += 1
        if beats["n"] > 1:  # the list page went fine; then the lock is gone
            raise watch.LockLost("gone")

    monkeypatch.setattr(watch.ClusterWatch, "heartbeat", heartbeat)
    w = make_watch(FakeKube(lists={"pods": [{"metadata": {"resourceVersion": "5"}, "items": []}]}))
    with pytest.raises(watch.LockLost):
        watch.list_once(w, PODS)
    assert vanished == [] and saved == []


def test_a_namespaced_list_reconciles_only_its_namespace(ingested, monkeypatch):
    seen = {}
    monkeypatch.setattr(listing, "pods_mark_vanished", lambda **kw: seen.update(kw) or set())
    w = make_watch(FakeKube(), streams=(watch.Stream("pods", "shop"),))
    watch.list_once(w, watch.Stream("pods", "shop"))
    assert seen["namespaces"] == ["shop"]


def test_a_failed_owner_lookup_is_cached_for_a_short_while():
    from pods.kube.owners import OwnerResolver

    class Failing:
        calls = 0

        def get(self, resource, *, namespace, name):
            Failing.calls += 1
            raise ConnectionFailed("reset")

    clock = [1000.0]
    resolver = OwnerResolver(Failing(), failure_ttl=60.0, timer=lambda: clock[0])
    rs_pod = pod("a", 1)
    rs_pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "api-1", "controller": True}]
    assert resolver.resolve(rs_pod) is None
    assert resolver.resolve(rs_pod) is None
    assert Failing.calls == 1
    clock[0] += 61
    assert resolver.resolve(rs_pod) is None
    assert Failing.calls == 2, "asked again once the failure expired"


def test_closing_a_watch_stream_never_returns_its_connection_to_the_pool():
    from pods.kube import WatchStream

    class Response:
        def __init__(self):
            self.calls = []

        def shutdown(self):
            self.calls.append("shutdown")

        def release_conn(self):
            self.calls.append("release_conn")

        def close(self):
            self.calls.append("close")

    response = Response()
    WatchStream(response).close()
    assert response.calls == ["shutdown", "close"]


# ------------------------------------------------------------------------------ a namespace that refuses


class NamespacedKube(FakeKube):
    """A FakeKube whose namespaces in `refused` answer every list and watch with a real server's 403."""

    def __init__(self, *, refused=(), pods=None, **kw) -> None:
        super().__init__(**kw)
        self.refused = set(refused)
        self.pods = pods or {}  # namespace -> lines of its one Pod watch

    def _check(self, verb, resource, namespace):
        self.calls.append((verb, resource, namespace))
        if namespace in self.refused:
            raise ApiError(
                403,
                "Forbidden",
                f'{resource} is forbidden: User "system:serviceaccount:initscope:initscope" cannot {verb} '
                f'resource "{resource}" in API group "" in the namespace "{namespace}"',
            )

    def list(self, resource, *, namespace="", limit=500, continue_token=""):
        self._check("list", resource, namespace)
        return {"metadata": {"resourceVersion": "10"}, "items": []}

    def watch(self, resource, *, namespace="", resource_version="", timeout_seconds=300):
        self._check("watch", resource, namespace)
        return RecordedStream(self.pods.pop(namespace, []) if resource == "pods" else [])

    def tried(self, verb, namespace):
        return sum(1 for c in self.calls if c[0] == verb and c[2] == namespace)


SHOP, PAYMENTS = watch.Stream("pods", "shop"), watch.Stream("pods", "payments")


@pytest.fixture
def fast_denial(monkeypatch):
    from pods.watch import window

    monkeypatch.setattr(window, "DENIED_BACKOFF_BASE", 0.05)


def test_a_namespace_that_refuses_is_its_own_error_and_the_others_are_watched(ingested, fast_denial):
    shop_pod = pod("cart", 11)
    shop_pod["metadata"]["namespace"] = "shop"
    kube = NamespacedKube(refused={"payments"}, pods={"shop": [line("ADDED", shop_pod)]})
    w = make_watch(kube, streams=(SHOP, PAYMENTS), backoff_max=0.2)
    result = watch.watch_window(w, seconds=0.6)
    assert result.reason == "window", "one namespace's 403 does not end the cluster's window"
    assert [i.object["metadata"]["name"] for b in ingested for i in b] == ["cart"]
    refused = w.state[PAYMENTS]
    assert refused.denied and refused.error.startswith(
        '403: cannot list pods in payments: pods is forbidden: User "system:serviceaccount:initscope:'
        'initscope" cannot list resource "pods" in API group "" in the namespace "payments"'
    )
    assert not w.state[SHOP].error and not w.state[SHOP].denied
    assert 2 <= kube.tried("list", "payments") <= 8, "retried on its own, after a back-off"
    assert w.stats["denied"] == kube.tried("list", "payments")


def test_a_namespace_is_watched_once_its_rolebinding_arrives(ingested, fast_denial):
    kube = NamespacedKube(refused={"payments"})
    w = make_watch(kube, streams=(SHOP, PAYMENTS), backoff_max=0.1)
    watch.watch_window(w, seconds=0.3)
    assert w.state[PAYMENTS].denied
    kube.refused.clear()  # the RoleBinding arrived: same ClusterWatch, no restart
    paid = pod("invoice", 12)
    paid["metadata"]["namespace"] = "payments"
    kube.pods["payments"] = [line("ADDED", paid)]
    watch.watch_window(w, seconds=0.4)
    assert not w.state[PAYMENTS].denied and w.state[PAYMENTS].ok_at is not None
    assert kube.tried("watch", "payments") >= 1
    assert "invoice" in [i.object["metadata"]["name"] for b in ingested for i in b]


def test_when_every_namespace_refuses_the_window_ends_as_denied(ingested, fast_denial):
    kube = NamespacedKube(refused={"shop", "payments"})
    w = make_watch(kube, streams=(SHOP, PAYMENTS))
    result = watch.watch_window(w, seconds=2)
    assert result.reason == "denied" and "every namespace refused" in result.message
    assert kube.tried("list", "shop") == kube.tried("list", "payments") == 1


def test_a_401_in_a_namespace_is_the_clusters_error(ingested, fast_denial):
    kube = FakeKube(lists={"pods": [ApiError(401, "Unauthorized", "Unauthorized")]})
    w = make_watch(kube, streams=(SHOP, PAYMENTS))
    result = watch.watch_window(w, seconds=2)
    assert result.reason == "denied" and result.message.startswith("401: cannot list pods in")


def test_a_403_on_the_watch_of_one_namespace_backs_that_stream_off(ingested, fast_denial):
    kube = NamespacedKube()
    w = make_watch(kube, streams=(SHOP, PAYMENTS))
    for s in (SHOP, PAYMENTS):
        w.state[s].resource_version = "9"
    kube.refused.add("payments")
    result = watch.watch_window(w, seconds=0.3)
    assert result.reason == "window"
    assert w.state[PAYMENTS].error.startswith("403: cannot watch pods in payments")
    assert kube.tried("watch", "payments") >= 2, "retried on its own"
    assert kube.tried("list", "payments") == 0, "from its cursor: a refused watch is no reason to relist"


# ------------------------------------------------------------------------------ Events about every kind

WORKLOAD_EVENTS = [
    ("ReplicaSet", "apps/v1", "web-7d9f8", "FailedCreate"),
    ("Deployment", "apps/v1", "web", "ScalingReplicaSet"),
    ("StatefulSet", "apps/v1", "db", "FailedCreate"),
    ("DaemonSet", "apps/v1", "agent", "FailedCreate"),
    ("Job", "batch/v1", "report-28950000", "FailedCreate"),
    ("Job", "batch/v1", "oneoff", "SuccessfulCreate"),
    ("Node", "v1", "kubesim-node-2", "NodeNotReady"),
    ("PersistentVolumeClaim", "v1", "data-db", "ProvisioningFailed"),
    ("Pod", "v1", "web-7d9f8-abcde", "Scheduled"),
]


def event_about(kind: str, api: str, name: str, reason: str, rv: int) -> dict:
    namespace = "" if kind == "Node" else "shop"
    return {
        "kind": "Event",
        "apiVersion": "v1",
        "metadata": {"name": f"{name}.17a", "namespace": namespace or "default", "uid": f"ev-{rv}",
                     "resourceVersion": str(rv)},
        "involvedObject": {"kind": kind, "apiVersion": api, "name": name, "namespace": namespace,
                           "uid": f"uid-{name}"},
        "reason": reason,
        "message": f"{reason} of {kind} {name}",
        "type": "Warning",
    }  # fmt: skip


class OwnersKube(FakeKube):
    """Answers GETs of ReplicaSets and Jobs with their controller, as the API does."""

    parents = {
        ("replicasets", "web-7d9f8"): ("Deployment", "web"),
        ("jobs", "report-28950000"): ("CronJob", "report"),
        ("jobs", "oneoff"): None,
    }

    def get(self, resource, *, namespace, name):
        self.calls.append(("get", resource, name))
        if (resource, name) not in self.parents:
            raise ApiError(404, "NotFound", "")
        parent = self.parents[(resource, name)]
        refs = [{"kind": parent[0], "name": parent[1], "controller": True}] if parent else []
        return {"metadata": {"name": name, "namespace": namespace, "ownerReferences": refs}}


def test_events_about_every_kind_are_handed_on_with_their_workload(ingested):
    lines = [line("ADDED", event_about(*e, rv=100 + i)) for i, e in enumerate(WORKLOAD_EVENTS)]
    kube = OwnersKube(watches={"events": [lines]})
    w = make_watch(kube, streams=(EVENTS,))
    w.state[EVENTS].resource_version = "99"
    assert watch.watch_window(w, seconds=0.3).reason == "window"
    items = [i for b in ingested for i in b]
    assert [i.kind for i in items] == ["event"] * len(WORKLOAD_EVENTS), "nothing filtered, nothing lost"
    owners = {i.object["involvedObject"]["name"]: i.owner and (i.owner.kind, i.owner.name) for i in items}
    assert owners == {
        "web-7d9f8": ("Deployment", "web"),  # through the API's ownerReferences
        "web": ("Deployment", "web"),
        "db": ("StatefulSet", "db"),
        "agent": ("DaemonSet", "agent"),
        "report-28950000": ("CronJob", "report"),
        "oneoff": ("Job", "oneoff"),  # a Job of its own
        "kubesim-node-2": None,
        "data-db": None,
        "web-7d9f8-abcde": None,  # an Event about a Pod: the Pod's owner comes with the Pod
    }
    assert sorted(c[1:] for c in kube.calls if c[0] == "get") == [
        ("jobs", "oneoff"),
        ("jobs", "report-28950000"),
        ("replicasets", "web-7d9f8"),
    ]


def test_an_event_about_a_replicaset_shares_the_pods_owner_cache():
    from pods.kube.owners import OwnerResolver

    kube = OwnersKube()
    resolver = OwnerResolver(kube)
    rs_pod = pod("web-7d9f8-abcde", 1)
    rs_pod["metadata"]["namespace"] = "shop"
    rs_pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "web-7d9f8", "controller": True}]
    assert resolver.resolve(rs_pod) == ("Deployment", "web")
    event = event_about("ReplicaSet", "apps/v1", "web-7d9f8", "FailedCreate", 1)
    assert resolver.resolve_event(event) == ("Deployment", "web")
    assert len(kube.calls) == 1, "one GET for the ReplicaSet"
    regarding = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": {"namespace": "shop"},
                 "regarding": event["involvedObject"]}  # fmt: skip
    assert resolver.resolve_event(regarding) == ("Deployment", "web")
    foreign = event_about("Deployment", "example.com/v1", "web", "Synced", 2)
    assert resolver.resolve_event(foreign) is None, "another API group's kind of the same name"
    resolver.enabled = False  # after a 403 on get replicasets
    assert resolver.resolve_event(event_about("ReplicaSet", "apps/v1", "web-1", "FailedCreate", 3)) is None
    assert resolver.resolve_event(foreign | {"involvedObject": {"kind": "Deployment", "name": "web"}}) == (
        "Deployment",
        "web",
    )


def test_decode_hands_on_an_event_about_a_node():
    decoded = watch.decode_line(EVENTS, line("ADDED", event_about("Node", "v1", "n1", "NodeNotReady", 5)))
    assert decoded.action == "object" and decoded.item is not None and decoded.item.kind == "event"


def test_while_a_batch_is_being_written_the_next_one_grows_instead_of_going_out(ingested, monkeypatch):
    """What arrives while a write is in progress waits for it (and for flush_ms, flush_idle_ms, a full
    batch), then goes out as one batch: batches grow while ingest is busy instead of one per line."""
    in_progress = [True]
    monkeypatch.setattr(pipeline.IngestPipeline, "write_in_progress", property(lambda self: in_progress[0]))
    w = make_watch(FakeKube(), flush_events=500, flush_ms=10_000, flush_idle_ms=10_000)
    window = watch.Window(w, 5)
    for rv in (100, 101):
        window._handle(("line", PODS, w.state[PODS].generation, line("MODIFIED", pod("g", rv))))
        window._flush_if_due()
    assert ingested == [] and len(window.pending) == 2
    in_progress[0] = False
    window._flush_if_due()
    assert [len(b) for b in ingested] == [2] and window.pending == []


@pytest.mark.parametrize(
    ("writing", "idle_ms"),
    [(False, 10_000), (True, 10)],
    ids=["once-ingest-has-caught-up", "once-the-streams-go-quiet"],
)
def test_a_lone_change_is_flushed_without_waiting_out_flush_ms(ingested, monkeypatch, writing, idle_ms):
    """A status change must not wait out flush_ms (10 s here, longer than the window: only the window's
    closing flush would write it). It goes as soon as ingest has caught up (every queued line handled, no
    write in progress: group commit), and else (a write in progress the whole time) once the streams have
    been quiet for flush_idle_ms."""
    if writing:
        monkeypatch.setattr(pipeline.IngestPipeline, "write_in_progress", property(lambda self: True))
    written_before_close: list[int] = []
    close = watch.Window.close
    monkeypatch.setattr(
        watch.Window, "close", lambda self: (written_before_close.append(len(ingested)), close(self))
    )
    kube = FakeKube(watches={"pods": [[line("MODIFIED", pod("q", 100))]]})
    w = make_watch(kube, flush_events=500, flush_ms=10_000, flush_idle_ms=idle_ms)
    w.state[PODS].resource_version = "99"
    watch.watch_window(w, seconds=0.5)
    assert written_before_close == [1] and [len(b) for b in ingested] == [1]
