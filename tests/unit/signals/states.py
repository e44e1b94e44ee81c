"""Hand-built timelines (`PodState`) the trace tests share: a ready Pod with a retried init container."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pods.timeline.model import (
    Attempt,
    Condition,
    ContainerState,
    Owner,
    PodSignal,
    PodState,
    Pull,
)

T0 = datetime(2025, 6, 1, 10, 0, 0, tzinfo=UTC)


UID = "6f0c2a1e-3b7d-4c55-9a40-1d2e3f4a5b6c"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def done(number: int, started: float, finished: float, exit_code: int = 0, reason: str = "Completed", **kw):
    return Attempt(
        generation=kw.pop("generation", 0),
        number=number,
        container_id=f"containerd://{number:04d}",
        started_at=at(started),
        finished_at=at(finished),
        exit_code=exit_code,
        reason=reason,
        **kw,
    )


def running(number: int, started: float, generation: int = 0) -> Attempt:
    return Attempt(
        generation=generation, number=number, container_id=f"containerd://r{number}", started_at=at(started)
    )


def conditions(**times: float) -> list[Condition]:
    return [Condition(kind, "True", last_transition_at=at(t)) for kind, t in times.items()]


def ready_pod() -> PodState:
    """Created at 0, scheduled at 1; wait-for-db pulled (queue wait 0.5 s, pull 1.2 s) and ran 5–7; the
    sidecar proxy started at 8; migrate failed at 9–10, ran twice unseen, then 15–18; web started at 20;
    ContainersReady and Ready at 25."""
    wait = ContainerState(
        name="wait-for-db",
        kind="init",
        index=0,
        image="busybox:1.36",
        state="terminated",
        pull=Pull(
            image="busybox:1.36",
            started_at=at(2),
            finished_at=at(4),
            pull_seconds=1.2,
            wait_seconds=0.5,
            image_bytes=2_000_000,
        ),
        attempts=[done(0, 5, 7)],
    )
    proxy = ContainerState(
        name="proxy", kind="sidecar", index=1, state="running", started=True, attempts=[running(0, 8)]
    )
    migrate = ContainerState(
        name="migrate",
        kind="init",
        index=2,
        state="terminated",
        restart_count=3,
        attempts=[
            done(0, 9, 10, 1, "Error", message='relation "orders" does not exist'),
            Attempt(generation=0, number=1, known=False, count=2),
            done(3, 15, 18),
        ],
    )
    web = ContainerState(
        name="web", kind="app", index=3, state="running", ready=True, attempts=[running(0, 20)]
    )
    return PodState(
        uid=UID,
        namespace="shop",
        name="api-7d9f8c6b5-x2x9q",
        seen=True,
        node="node-a",
        phase="Running",
        status="Running",
        owner=Owner("Deployment", "api"),
        controller=Owner("ReplicaSet", "api-7d9f8c6b5"),
        created_at=at(0),
        scheduled_at=at(1),
        initialized_at=at(20),
        containers_ready_at=at(25),
        ready_at=at(25),
        conditions=conditions(PodScheduled=1, Initialized=20, ContainersReady=25, Ready=25),
        signals=[PodSignal("FailedScheduling", "0/3 nodes are available", first_at=at(0), last_at=at(0))],
        containers=[wait, proxy, migrate, web],
    )
