"""Missing and odd fields never crash; unusable objects raise MalformedObject with a reason."""

from __future__ import annotations

import copy

import pytest

from pods.timeline import MalformedObject, apply_pod, build_state, parse_time, pod_identity
from tests.builders import last, pending_conditions, pod, running, terminated, waiting


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "JSON object"),
        ([], "JSON object"),
        ({"kind": "Node", "metadata": {"uid": "x"}}, "kind Pod"),
        ({"metadata": "x"}, "metadata"),
        ({"metadata": {}}, "metadata.uid"),
        ({"metadata": {"uid": ""}}, "metadata.uid"),
        ({"metadata": {"uid": 5}}, "metadata.uid"),
    ],
)
def test_unusable_pods_raise_malformed_object_with_a_reason(raw, reason):
    with pytest.raises(MalformedObject, match=reason):
        apply_pod(None, raw)
    with pytest.raises(MalformedObject):
        pod_identity(raw)


def test_pod_identity():
    assert pod_identity(pod(rv=42)) == (
        "6f0c2a1e-3b7d-4c55-9a40-1d2e3f4a5b6c",
        "shop",
        "api-7d9f8c6b5-x2x9q",
        "42",
    )


def mutations():
    base = pod(
        rv=1,
        conditions=pending_conditions(),
        init_statuses=[
            terminated("db", 0, 2, 4),
            waiting(
                "migrate", "CrashLoopBackOff", "back-off 10s", rc=1, last=last(1, 5, 6, name="migrate", n=1)
            ),
        ],
        statuses=[waiting("app")],
    )

    def m(fn):
        obj = copy.deepcopy(base)
        fn(obj)
        return obj

    return [
        m(lambda o: o.pop("status")),
        m(lambda o: o.pop("spec")),
        m(lambda o: o.__setitem__("status", None)),
        m(lambda o: o["status"].__setitem__("initContainerStatuses", "oops")),
        m(lambda o: o["status"].__setitem__("initContainerStatuses", [None, 3, {"name": None}])),
        m(lambda o: o["status"]["initContainerStatuses"].append({"name": "ghost", "restartCount": 2})),
        m(lambda o: o["status"]["initContainerStatuses"][1].__setitem__("lastState", None)),
        m(lambda o: o["status"]["initContainerStatuses"][1].__setitem__("restartCount", "3")),
        m(lambda o: o["status"]["initContainerStatuses"][1].__setitem__("restartCount", -4)),
        m(
            lambda o: o["status"]["initContainerStatuses"][1].__setitem__(
                "state", {"waiting": None, "running": "x"}
            )
        ),
        m(
            lambda o: o["status"].__setitem__(
                "conditions", [{"type": 5}, "x", {"type": "Ready", "lastTransitionTime": 7}]
            )
        ),
        m(lambda o: o["metadata"].__setitem__("labels", {"a": 1, "b": "ok"})),
        m(lambda o: o["metadata"].__setitem__("ownerReferences", [{"controller": True}, None])),
        m(lambda o: o["metadata"].__setitem__("creationTimestamp", "yesterday")),
        m(lambda o: o["spec"].__setitem__("initContainers", [{"name": "db"}, {"name": "db"}, {}, None])),
        m(lambda o: o["spec"].__setitem__("activeDeadlineSeconds", "soon")),
        {"kind": "Pod", "metadata": {"uid": "u", "resourceVersion": 7}},
    ]


@pytest.mark.parametrize("raw", mutations())
def test_odd_pods_never_crash(raw):
    state, _ = apply_pod(None, raw)
    assert state.seen
    state.to_dict()


def test_restart_count_as_string_is_read():
    raw = mutations()[7]
    state, _ = apply_pod(None, raw)
    assert state.container("migrate").restart_count == 3


def test_statuses_of_unknown_containers_are_ignored():
    state, _ = apply_pod(None, mutations()[5])
    assert state.container("ghost") is None


def test_a_pod_without_spec_takes_its_containers_from_the_statuses():
    state, _ = apply_pod(None, mutations()[1])
    assert [c.name for c in state.containers] == ["db", "migrate", "app"]


def test_labels_keep_only_strings():
    state, _ = apply_pod(None, mutations()[11])
    assert state.labels == {"b": "ok"}


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-01T10:00:41Z",
        "2025-06-01T10:00:41.123456Z",
        "2025-06-01T10:00:41.123456789Z",
        "2025-06-01T12:00:41+02:00",
    ],
)
def test_parse_time_accepts_rfc3339(value):
    assert parse_time(value).strftime("%H:%M:%S") == "10:00:41"


@pytest.mark.parametrize("value", [None, "", "nope", 5, "2025-13-01T00:00:00Z", []])
def test_parse_time_is_tolerant(value):
    assert parse_time(value) is None


def test_build_state_skips_bookmarks_errors_and_other_pods():
    bookmark = {"type": "BOOKMARK", "object": {"kind": "Pod", "metadata": {"resourceVersion": "9"}}}
    error = {"type": "ERROR", "object": {"kind": "Status", "code": 410}}
    other = {"type": "ADDED", "object": pod(rv=2, uid="another")}
    state = build_state([bookmark, error, {"type": "ADDED", "object": pod(rv=1)}, other])
    assert state.resource_version == "1"
    assert build_state([]) is None
    with pytest.raises(MalformedObject):
        build_state([running("x", 1)])  # not a Pod: MalformedObject propagates
