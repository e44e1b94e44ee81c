"""Hypothesis strategies of Pod and Event JSON as the API server sends it (built with tests/builders.py),
and of arbitrary JSON, shared by the property tests."""

from __future__ import annotations

import functools
from typing import Any

import orjson
from hypothesis import strategies as st

from tests.builders import (
    UID,
    event,
    events_k8s_io,
    last,
    pending_conditions,
    pod,
    running,
    terminated,
    waiting,
)
from tests.samples import SAMPLES

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["2025-06-01T10:00:00Z", "Always", "True", "Error"]),
)
json_any = st.recursive(
    json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

NAMES = ["db", "migrate", "app"]


@st.composite
def container_status(draw):
    name = draw(st.sampled_from(NAMES))
    rc = draw(st.integers(0, 6))
    kind = draw(st.sampled_from(["waiting", "running", "terminated", "crash"]))
    t0 = draw(st.integers(0, 500))
    prev = last(draw(st.sampled_from([0, 1, 137])), t0, t0 + 3, name=name, n=max(rc - 1, 0)) if rc else None
    if kind == "waiting":
        return waiting(
            name,
            draw(st.sampled_from(["PodInitializing", "ImagePullBackOff", "CreateContainerConfigError"])),
            rc=rc,
        )
    if kind == "running":
        return running(name, t0 + 5, rc=rc, gen=draw(st.integers(0, 1)), last=prev)
    if kind == "terminated":
        return terminated(name, draw(st.sampled_from([0, 1, 137, 143])), t0 + 5, t0 + 9, rc=rc, last=prev)
    return waiting(
        name,
        "CrashLoopBackOff",
        "back-off 10s restarting failed",
        rc=rc,
        last=last(1, t0, t0 + 2, name=name, n=rc),
    )


@st.composite
def pod_objects(draw):
    objs = []
    rv = draw(st.integers(1, 50))
    for _ in range(draw(st.integers(1, 8))):
        rv += draw(st.integers(-3, 5))
        inits = [draw(container_status()) for _ in range(draw(st.integers(0, 3)))]
        apps = [draw(container_status()) for _ in range(draw(st.integers(0, 1)))]
        obj = pod(
            rv=max(rv, 0),
            phase=draw(st.sampled_from(["Pending", "Running", "Failed", "Succeeded"])),
            conditions=pending_conditions() if draw(st.booleans()) else None,
            init_statuses=inits,
            statuses=apps,
            restart_policy=draw(st.sampled_from(["Always", "Never"])),
            deletion=draw(st.sampled_from([None, 300])),
        )
        objs.append((obj, draw(st.booleans()) and draw(st.booleans())))  # (object, deleted)
    return objs


PULL_MESSAGES = {
    "Pulling": 'Pulling image "acme/db:1.4"',
    "Pulled": 'Successfully pulled image "acme/db:1.4" in 1.2s (3.4s including waiting). Image size: 5 bytes',
    "Failed": 'Failed to pull image "acme/db:1.4": not found',
    "BackOff": "Back-off restarting failed container db in pod x",
    "FailedMount": 'MountVolume.SetUp failed for volume "config" : configmap "x" not found',
    "FailedScheduling": "0/3 nodes are available: 3 Insufficient cpu.",
}


@st.composite
def kube_events(draw):
    """A core/v1 or events.k8s.io/v1 Event about the Pod of `pod_objects`, of a reason the engine folds."""
    reason = draw(st.sampled_from(sorted(PULL_MESSAGES)))
    when = draw(st.integers(0, 500))
    container = "db" if reason in ("Pulling", "Pulled", "Failed", "BackOff") else None
    if draw(st.booleans()):
        return event(
            reason,
            PULL_MESSAGES[reason],
            when=when,
            container=container,
            etype="Normal" if reason in ("Pulling", "Pulled") else "Warning",
            count=draw(st.integers(1, 5)),
            last_when=when + draw(st.integers(0, 60)),
            pod_uid=UID,
        )
    return events_k8s_io(
        reason,
        PULL_MESSAGES[reason],
        when=when,
        uid=f"ev-{reason}-{when}",
        series_count=draw(st.sampled_from([None, 2, 7])),
        container=container,
        last_when=when + draw(st.integers(0, 60)),
    )


# --------------------------------------------------------------------------- hostile and odd input (issue 15)
#
# `fuzz_lines()` draws the JSON lines of one recording: good objects (Pods with init containers, statuses
# and states, Events about them, and the bundled real recordings unchanged) mixed with bad ones, each a
# real or generated object mutated at one path (wrong types, missing fields, nulls, huge strings, deep
# nesting past orjson's limit, unknown fields, bad timestamps, duplicate names, non-UTF-8, NaN/Infinity,
# numbers out of range, truncation). Bad objects never share a uid with a good one, so the good objects'
# timelines must come out exactly as a recording of the good lines alone gives them.

GOOD_PREFIX = "good-"
BAD_PREFIX = "bad-"
_SPLICE = "\x01splice\x01"
_SPLICE_JSON = orjson.dumps(_SPLICE)


class FuzzLine:
    """One line of a fuzzed recording (no newline). `good`: an unmutated object of the clean set;
    `must_reject`: input no reader may accept (not JSON, or not an object); `mutation`: what was done."""

    __slots__ = ("data", "good", "must_reject", "mutation")

    def __init__(self, data: bytes, *, good: bool, must_reject: bool = False, mutation: str = "") -> None:
        self.data, self.good, self.must_reject, self.mutation = data, good, must_reject, mutation

    def __repr__(self) -> str:  # a failing example stays readable: huge lines are cut
        head = self.data if len(self.data) <= 400 else self.data[:400] + b"..."
        return f"FuzzLine({self.mutation or 'good'}, {len(self.data):,} bytes, {head!r})"


@functools.cache
def recorded_lines() -> tuple[tuple[bytes, ...], ...]:
    """The bundled recordings (samples/), each as its watch-event lines in order (compact JSON)."""
    from pods.importer.reader import Record, open_records

    out = []
    for path in sorted(SAMPLES.glob("*.json*")):
        lines = []
        for record in open_records(path, keep_managed_fields=True):
            if isinstance(record, Record):
                event = {"type": record.event_type or "MODIFIED", "object": record.object}
                lines.append(orjson.dumps(event))
        out.append(tuple(lines))
    return tuple(out)


def _set_uids(obj: dict, uid: str, pod_uid: str) -> dict:
    """`obj` (a Pod or Event, changed in place) with metadata.uid `uid`; an Event is about Pod `pod_uid`."""
    meta = obj.setdefault("metadata", {})
    meta["uid"] = uid
    for ref in ("involvedObject", "regarding"):
        if isinstance(obj.get(ref), dict):
            obj[ref]["uid"] = pod_uid
    return obj


@st.composite
def api_pod_sequence(draw, uid: str) -> list[tuple[dict, str]]:
    """The watch events of one Pod (`uid`): versions with init containers, statuses and states."""
    name = draw(st.sampled_from(["api-7d9f8c6b5-x2x9q", "worker-0", "migrate-job-abcde"]))
    namespace = draw(st.sampled_from(["shop", "billing", "kube-system"]))
    out = []
    for obj, deleted in draw(pod_objects()):
        obj["metadata"].update(uid=uid, name=name, namespace=namespace)
        out.append((obj, "DELETED" if deleted else draw(st.sampled_from(["ADDED", "MODIFIED"]))))
    return out


@st.composite
def api_event(draw, uid: str, pod_uid: str) -> dict:
    """A core/v1 or events.k8s.io/v1 Event (`uid`) about Pod `pod_uid` (`kube_events`)."""
    return _set_uids(draw(kube_events()), uid, pod_uid)


def _paths(value: Any, prefix: tuple = (), limit: int = 400) -> list[tuple]:
    """Every path (keys and indexes) into `value`, the root `()` first, breadth first, at most `limit`."""
    out: list[tuple] = [prefix]
    queue = [(prefix, value)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        children = node.items() if isinstance(node, dict) else enumerate(node) if type(node) is list else ()
        for key, child in children:
            out.append((*path, key))
            queue.append(((*path, key), child))
    return out[:limit]


def _parent(obj: Any, path: tuple) -> Any:
    for key in path[:-1]:
        obj = obj[key]
    return obj


_TIME_KEYS = ("Timestamp", "Time", "startedAt", "finishedAt", "lastTransitionTime", "startTime")
BAD_TIMES = [
    "", "yesterday", "2025-13-45T99:99:99Z", "0000-00-00T00:00:00Z", "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z",
    "2025-06-01T10:00:00+25:00", "2025-06-01T10:00:00.123456789123Z", "2025-06-01", "2025-06-01T10:00:00",
    "١٢٣٤-٠٦-٠١T10:00:00Z", " 2025-06-01T10:00:00Z ", "2025-06-01T10:00:00Z" * 8, 1717171717, -1, 1e300,
]  # fmt: skip
ODD_STRINGS = [
    "\x00", "nul\x00inside", "<script>alert(1)</script>", "\u202eevil", "💥" * 40, "\ufeff", "\\", '"',
    "a" * 300, "\n\r\t", "%s%n", "{{7*7}}",
]  # fmt: skip
ODD_NUMBERS = [
    b"18446744073709551615", b"18446744073709551616", b"-9223372036854775809", b"9223372036854775807",
    b"2147483648", b"-2147483649", b"32768", b"1e308", b"-1e308", b"1e-320", b"0.5", b"-0", b"1E2",
    b"123456789012345678901234567890",
]  # fmt: skip
# Raw text no JSON reader accepts: the line must be rejected.
NOT_JSON = [b"NaN", b"Infinity", b"-Infinity", b"1e400", b'"\xff\xfe"', b'"\\ud800"', b"undefined", b"'x'"]
# Any JSON orjson writes (integers within 64 bits: larger ones are spliced in as text, `ODD_NUMBERS`).
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), st.floats(), st.text(max_size=12)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
MUTATIONS = [
    "wrong-type", "missing", "null", "unknown-field", "bad-timestamp", "odd-string", "odd-number",
    "deep-nesting", "huge-string", "not-json", "truncated", "duplicate-name", "wrong-kind",
    "watch-type", "not-an-object",
]  # fmt: skip


@st.composite
def mutated_line(draw, obj: dict, event_type: str, good_names: list[tuple[str, str]]) -> FuzzLine:
    """`obj` (a Pod or Event whose uids are already the bad ones) mutated at one path, as a watch line."""
    mutation = draw(st.sampled_from(MUTATIONS))
    watch_event: dict = {"type": event_type, "object": obj}
    paths = _paths(obj)[1:] or [("metadata",)]
    if mutation == "bad-timestamp":
        timed = [p for p in paths if isinstance(p[-1], str) and p[-1].endswith(_TIME_KEYS)]
        paths = timed or paths
    path = ("object", *draw(st.sampled_from(paths)))
    parent, key = _parent(watch_event, path), path[-1]
    splice: bytes | None = None
    must_reject = False
    if mutation == "wrong-type":
        parent[key] = draw(json_value.filter(lambda v: type(v) is not type(parent[key])))
    elif mutation == "missing":
        del parent[key]
    elif mutation == "null":
        parent[key] = None
    elif mutation == "unknown-field":
        target = parent[key] if isinstance(parent[key], dict) else obj
        target[draw(st.sampled_from(["x-unknown", "__proto__", "", "kind "]))] = draw(json_value)
    elif mutation == "bad-timestamp":
        parent[key] = draw(st.sampled_from(BAD_TIMES))
    elif mutation == "odd-string":
        parent[key] = draw(st.sampled_from(ODD_STRINGS))
    elif mutation == "odd-number":
        splice = draw(st.sampled_from(ODD_NUMBERS))
    elif mutation == "deep-nesting":
        depth = draw(st.sampled_from([50, 300, 1000, 1023, 1100, 5000, 100_000]))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        splice = opener * depth + b"1" + closer * depth
        must_reject = depth + len(path) > 1100
    elif mutation == "huge-string":
        size = draw(st.sampled_from([64 << 10, 256 << 10, 1 << 20, 3 << 20]))
        parent[key] = draw(st.sampled_from('x{"\\é')) * size
    elif mutation == "not-json":
        splice, must_reject = draw(st.sampled_from(NOT_JSON)), True
    elif mutation == "duplicate-name" and good_names:
        namespace, name = draw(st.sampled_from(good_names))
        obj.setdefault("metadata", {}).update(namespace=namespace, name=name)
    elif mutation == "wrong-kind":
        obj["kind"] = draw(st.sampled_from(["ReplicaSet", "", "pod", 5, None, "PodList", "Status"]))
    elif mutation == "watch-type":
        watch_event["type"] = draw(st.sampled_from(["BOGUS", "", None, 7, "added"]))
    elif mutation == "not-an-object":
        splice_root = draw(st.sampled_from([b"[1, 2]", b'"a string"', b"null", b"42", b"[]", b"true"]))
        return FuzzLine(splice_root, good=False, must_reject=True, mutation=mutation)
    if splice is not None:
        parent[key] = _SPLICE
    data = orjson.dumps(watch_event)
    if splice is not None:
        data = data.replace(_SPLICE_JSON, splice, 1)
    if mutation == "truncated":
        data, must_reject = data[: draw(st.integers(1, len(data) - 1))], True
    return FuzzLine(data, good=False, must_reject=must_reject, mutation=mutation)


# What each object of a fuzzed recording comes from: about half of them are bad.
SOURCES = ["pod", "event", "recording", "bad", "bad", "bad-recorded", "bad-recorded"]


@st.composite
def fuzz_lines(draw, max_objects: int = 60, recordings: bool = True) -> list[FuzzLine]:
    """The lines of one recording: good objects and mutated ones, shuffled but each Pod's good versions in
    order (about half the objects are bad)."""
    good: list[list[FuzzLine]] = []  # runs whose order matters
    bad: list[FuzzLine] = []
    good_names: list[tuple[str, str]] = []
    n = draw(st.integers(1, max_objects))
    made = 0
    recorded = recorded_lines()
    while made < n:
        what = draw(st.sampled_from(SOURCES))
        k = made
        if what == "pod":
            sequence = draw(api_pod_sequence(f"{GOOD_PREFIX}{k}"))
            good.append([FuzzLine(orjson.dumps({"type": t, "object": o}), good=True) for o, t in sequence])
            good_names.append((sequence[0][0]["metadata"]["namespace"], sequence[0][0]["metadata"]["name"]))
            made += len(sequence)
        elif what == "event":
            pod_uid = f"{GOOD_PREFIX}{draw(st.integers(0, max(k - 1, 0)))}"
            obj = draw(api_event(f"{GOOD_PREFIX}ev-{k}", pod_uid))
            good.append([FuzzLine(orjson.dumps({"type": "ADDED", "object": obj}), good=True)])
            made += 1
        elif what == "recording" and recordings:  # a stretch of a real recording, in order
            lines = draw(st.sampled_from(recorded))
            start = draw(st.integers(0, len(lines) - 1))
            lines = lines[start : start + draw(st.integers(1, 12))]
            good.append([FuzzLine(line, good=True) for line in lines])
            made += len(lines)
        else:
            bad_pod = f"{BAD_PREFIX}{draw(st.integers(0, max(k // 4, 1)))}"  # duplicate bad uids too
            if what == "bad-recorded":
                line = orjson.loads(draw(st.sampled_from(draw(st.sampled_from(recorded)))))
                obj, event_type = line["object"], line["type"]
            elif draw(st.booleans()):
                obj, event_type = draw(api_pod_sequence(bad_pod))[-1]
            else:
                obj, event_type = draw(api_event("", bad_pod)), "ADDED"
            is_event = obj.get("kind") == "Event"
            _set_uids(obj, f"{BAD_PREFIX}ev-{k}" if is_event else bad_pod, bad_pod)
            bad.append(draw(mutated_line(obj, event_type, good_names)))
            made += 1
    # Interleave: the bad lines go anywhere, the good runs keep their order.
    slots = [("good", i) for i in range(len(good))] + [("bad", i) for i in range(len(bad))]
    order = draw(st.permutations(slots))
    out: list[FuzzLine] = []
    for what, i in order:
        out.extend(good[i] if what == "good" else [bad[i]])
    return out
