"""The import reader: every framing, resynchronisation after bad input, positions, gzip, speed."""

from __future__ import annotations

import gzip
import io

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pods.importer.reader import Notice, Record, Rejected, iter_records, open_records

POD = {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": {
        "name": "api-1",
        "namespace": "shop",
        "uid": "u-1",
        "resourceVersion": "10",
        "managedFields": [{"manager": "kubelet"}],
    },
    "spec": {"containers": [{"name": "app", "image": "busybox"}]},
    "status": {"phase": "Pending", "message": 'tricky { "braces" } and \\ escapes \\" {'},
}
EVENT_V1 = {
    "kind": "Event",
    "apiVersion": "v1",
    "metadata": {"name": "api-1.1", "uid": "e-1"},
    "involvedObject": {"kind": "Pod", "uid": "u-1"},
    "reason": "Pulled",
    "message": "ok",
}
EVENT_K8S_IO = {
    "kind": "Event",
    "apiVersion": "events.k8s.io/v1",
    "metadata": {"name": "api-1.2", "uid": "e-2"},
    "regarding": {"kind": "Pod", "uid": "u-1"},
    "reason": "Scheduled",
    "note": "ok",
}


NL = b"\n"


def compact(obj) -> bytes:
    return orjson.dumps(obj) + b"\n"


def pretty(obj, indent: int = 4) -> bytes:
    import json

    return json.dumps(obj, indent=indent, sort_keys=True).encode() + b"\n"


def read(data: bytes, **kw) -> list[Record | Rejected]:
    return list(iter_records(io.BytesIO(data), source="f.json", **kw))


def summary(items) -> list[tuple]:
    out = []
    for item in items:
        if isinstance(item, Record):
            out.append(("R", item.position, item.kind, item.event_type, item.object["metadata"].get("uid")))
        elif isinstance(item, Notice):
            out.append(("N", item.position, item.message))
        else:
            out.append(("X", item.position, item.reason))
    return out


CASES = [
    (
        "watch event line",
        compact({"type": "ADDED", "object": POD}),
        [("R", "f.json:line 1", "pod", "ADDED", "u-1")],
    ),
    (
        "sorted-key kubectl line",
        orjson.dumps({"object": POD, "type": "MODIFIED"}, option=orjson.OPT_SORT_KEYS),
        [("R", "f.json:line 1", "pod", "MODIFIED", "u-1")],
    ),
    ("bare pod", compact(POD), [("R", "f.json:line 1", "pod", "", "u-1")]),
    ("pretty pod", pretty(POD), [("R", "f.json:line 1", "pod", "", "u-1")]),
    (
        "pretty 2-space watch event",
        pretty({"type": "DELETED", "object": POD}, indent=2),
        [("R", "f.json:line 1", "pod", "DELETED", "u-1")],
    ),
    (
        "two pretty objects back to back",
        pretty(POD) + pretty(EVENT_V1),
        [
            ("R", "f.json:line 1", "pod", "", "u-1"),
            ("R", "f.json:line " + str(pretty(POD).count(NL) + 1), "event", "", "e-1"),
        ],
    ),
    (
        "two objects on one line",
        orjson.dumps(POD) + orjson.dumps(EVENT_V1) + b"\n",
        [("R", "f.json:line 1", "pod", "", "u-1"), ("R", "f.json:line 1", "event", "", "e-1")],
    ),
    (
        "core/v1 event",
        compact({"type": "ADDED", "object": EVENT_V1}),
        [("R", "f.json:line 1", "event", "ADDED", "e-1")],
    ),
    ("events.k8s.io event", compact(EVENT_K8S_IO), [("R", "f.json:line 1", "event", "", "e-2")]),
    (
        "kubectl List mixing kinds",
        pretty(
            {
                "apiVersion": "v1",
                "kind": "List",
                "metadata": {"resourceVersion": ""},
                "items": [POD, {"kind": "ReplicaSet", "apiVersion": "apps/v1"}, EVENT_V1],
            }
        ),
        [
            ("R", "f.json:line 1 item 0", "pod", "", "u-1"),
            ("X", "f.json:line 1 item 1", "unsupported kind ReplicaSet"),
            ("R", "f.json:line 1 item 2", "event", "", "e-1"),
        ],
    ),
    (
        "raw PodList without item kinds",
        compact({"kind": "PodList", "apiVersion": "v1", "items": [{"metadata": {"uid": "u-9"}}]}),
        [("R", "f.json:line 1 item 0", "pod", "", "u-9")],
    ),
    ("empty raw list", compact({"kind": "EventList", "apiVersion": "v1", "items": None}), []),
    ("bookmark is silent", compact({"type": "BOOKMARK", "object": {"kind": "Pod", "metadata": {}}}), []),
    (
        "error watch event",
        compact(
            {
                "type": "ERROR",
                "object": {
                    "kind": "Status",
                    "code": 410,
                    "reason": "Expired",
                    "message": "too old resource version: 1 (3171407)",
                },
            }
        ),
        [("N", "f.json:line 1", "ERROR watch event: too old resource version: 1 (3171407) (code 410)")],
    ),
    (
        "unknown watch type",
        compact({"type": "SYNC", "object": POD}),
        [("X", "f.json:line 1", "unknown watch event type 'SYNC'")],
    ),
    ("no kind", compact({"metadata": {}}), [("X", "f.json:line 1", "object has no kind")]),
    (
        "other kind",
        compact({"kind": "Node", "apiVersion": "v1"}),
        [("X", "f.json:line 1", "unsupported kind Node")],
    ),
    (
        "blank lines and CRLF",
        b"\r\n\n" + orjson.dumps(POD) + b"\r\n",
        [("R", "f.json:line 3", "pod", "", "u-1")],
    ),
]


@pytest.mark.parametrize(("data", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_it_reads_each_framing(data, expected):
    assert summary(read(data)) == expected


def test_it_drops_managed_fields_unless_asked():
    (rec,) = read(compact(POD))
    assert "managedFields" not in rec.object["metadata"]
    (rec,) = read(compact(POD), keep_managed_fields=True)
    assert rec.object["metadata"]["managedFields"] == [{"manager": "kubelet"}]


def test_it_yields_bookmarks_when_asked():
    (rec,) = read(
        compact({"type": "BOOKMARK", "object": {"kind": "Pod", "metadata": {"resourceVersion": "7"}}}),
        bookmarks=True,
    )
    assert (rec.event_type, rec.object["metadata"]["resourceVersion"]) == ("BOOKMARK", "7")


def test_it_rejects_garbage_and_resyncs():
    data = (
        b"not json at all\n"
        + compact(POD)
        + b'{"type":"ADDED","object":{"kind":"Po\n'
        + pretty(EVENT_V1)
        + b"[1, 2]\n"
        + compact({"type": "ADDED", "object": POD})
    )
    out = summary(read(data))
    assert [o[0] for o in out] == ["X", "R", "X", "R", "X", "R"]
    assert out[0] == ("X", "f.json:line 1", "not JSON: 'not json at all'")
    assert out[2][1:] == ("f.json:line 3", "truncated JSON object (a new object starts at line 4)")


def test_a_truncated_pretty_object_is_rejected_and_the_next_one_read():
    lines = pretty(POD).splitlines(keepends=True)
    data = b"".join(lines[:6]) + pretty(EVENT_V1)
    out = summary(read(data))
    assert out == [
        ("X", "f.json:line 1", "truncated JSON object (a new object starts at line 7)"),
        ("R", "f.json:line 7", "event", "", "e-1"),
    ]


def test_invalid_json_inside_braces_is_rejected_with_the_parser_error():
    out = read(b'{"kind": "Pod", oops}\n' + compact(POD))
    assert isinstance(out[0], Rejected) and out[0].reason.startswith("invalid JSON")
    assert isinstance(out[1], Record)


def test_truncated_end_of_file_is_reported():
    out = read(compact(POD) + pretty(POD)[:40])
    assert isinstance(out[-1], Rejected) and out[-1].reason == "truncated JSON object at end of input"


def test_an_oversized_object_is_skipped_in_bounded_memory():
    big = pretty({"kind": "Pod", "apiVersion": "v1", "metadata": {"uid": "big"}, "x": ["y" * 100] * 50})
    out = summary(read(big + compact(POD), max_object_bytes=1000))
    assert out[0][0] == "X" and "larger than 1000 bytes" in out[0][2]
    assert out[1] == ("R", "f.json:line " + str(big.count(NL) + 1), "pod", "", "u-1")


def test_it_reads_gzip(tmp_path):
    path = tmp_path / "capture.json.gz"
    path.write_bytes(gzip.compress(compact(POD) + pretty(EVENT_V1)))
    out = summary(open_records(path))
    assert out == [
        ("R", "capture.json.gz:line 1", "pod", "", "u-1"),
        ("R", "capture.json.gz:line 2", "event", "", "e-1"),
    ]


def test_gzip_is_detected_by_magic_on_buffered_streams():
    stream = io.BufferedReader(io.BytesIO(gzip.compress(compact(POD))))
    assert summary(iter_records(stream)) == [("R", "-:line 1", "pod", "", "u-1")]


def test_it_streams_lazily():
    """The reader pulls lines on demand: the first record comes before the stream is exhausted."""
    consumed = []

    def lines():
        for i in range(3):
            consumed.append(i)
            yield compact({"type": "ADDED", "object": POD})

    it = iter_records(lines())  # type: ignore[arg-type]
    next(it)
    assert consumed == [0]


def test_it_reads_every_one_of_100k_compact_lines():
    """(How fast: `make bench`.)"""
    data = compact({"type": "MODIFIED", "object": POD}) * 100_000
    assert sum(1 for _ in iter_records(io.BytesIO(data))) == 100_000


# --- property: garbage between valid records never crashes and never loses a record ---------------------

VALID = st.sampled_from(
    [
        compact({"type": "ADDED", "object": POD}),
        compact(EVENT_K8S_IO),
        pretty(POD),
        pretty({"type": "MODIFIED", "object": EVENT_V1}, indent=2),
    ]
)
GARBAGE_LINE = st.one_of(
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.text(alphabet='{}[]":,\\ abcxyz01', max_size=60).map(str.encode),
    VALID.map(lambda v: v[: max(1, len(v) // 2)].replace(b"\n", b" ")),  # a record cut short
).map(lambda b: b + b"\n")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.lists(GARBAGE_LINE, max_size=3), VALID), max_size=8),
    st.lists(GARBAGE_LINE, max_size=3),
)
def test_garbage_never_crashes_and_every_valid_record_survives(chunks, tail):
    data = b"".join(b"".join(garbage) + valid for garbage, valid in chunks) + b"".join(tail)
    wanted = [
        (r.kind, r.event_type, r.object["metadata"]["uid"])
        for _, valid in chunks
        for r in read(valid)
        if isinstance(r, Record)
    ]
    got = [
        (r.kind, r.event_type, r.object["metadata"].get("uid")) for r in read(data) if isinstance(r, Record)
    ]
    # every valid record comes out, in order (garbage may add nothing that looks like a Pod or Event)
    it = iter(got)
    assert all(any(w == g for g in it) for w in wanted), (wanted, got)
