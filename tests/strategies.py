"""Hypothesis strategies of Pod and Event JSON as the API server sends it (built with tests/builders.py),
and of arbitrary JSON, shared by the property tests."""

from __future__ import annotations

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
