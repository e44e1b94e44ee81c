"""Hand-made timeline documents (the shape of `pod_document`) the waterfall tests share; lane segments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2025, 6, 1, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    """T0 + seconds as the document's RFC 3339 string."""
    value = T0 + timedelta(seconds=seconds)
    text = value.isoformat().replace("+00:00", "Z")
    return text


def attempt(number, started, finished, exit_code=None, reason="", *, generation=0, known=True, message=""):
    return {
        "number": number,
        "generation": generation,
        "started_at": at(started) if started is not None else None,
        "finished_at": at(finished) if finished is not None else None,
        "exit_code": exit_code,
        "reason": reason,
        "message": message,
        "signal": None,
        "known": known,
    }


def container(name, index, kind="init", attempts=(), pull=None, state="terminated", state_reason="Completed"):
    return {
        "name": name,
        "kind": kind,
        "index": index,
        "image": f"acme/{name}:1",
        "restart_count": max(0, len(attempts) - 1),
        "state": state,
        "state_reason": state_reason,
        "pull": pull,
        "attempts": list(attempts),
    }


def document(containers, **pod):
    doc = {
        "cluster": "t",
        "uid": "u-1",
        "namespace": "shop",
        "name": "api-7d9f",
        "owner": {"kind": "Deployment", "name": "api"},
        "node": "node-1",
        "restart_policy": "Always",
        "phase": "Pending",
        "status": "Init:1/2",
        "restarts": 0,
        "created_at": at(0),
        "scheduled_at": at(1),
        "initialized_at": None,
        "ready_at": None,
        "deleted_at": None,
        "stuck": False,
        "diagnosis": None,
        "step": None,
        "containers": containers,
        "events": [],
    }
    doc.update(pod)
    return doc


def crash_looping() -> dict:
    """wait-for-db succeeded; migrate failed 3 times with back-offs of 10s and 20s and now waits again."""
    return document(
        [
            container(
                "migrate",
                1,
                attempts=[
                    attempt(0, 20, 23, 1, "Error"),
                    attempt(1, 33, 36, 1, "Error"),
                    attempt(2, 56, 59, 1, "Error", message="relation x missing"),
                ],
                state="waiting",
                state_reason="CrashLoopBackOff",
            ),
            container(
                "wait-for-db",
                0,
                attempts=[attempt(0, 5, 18, 0, "Completed")],
                pull={
                    "started_at": at(2),
                    "finished_at": at(4.5),
                    "pull_seconds": 1.5,
                    "wait_seconds": 1.0,
                    "image_bytes": 12_000_000,
                    "already_present": False,
                },
            ),
            container("app", 2, kind="app", state="waiting", state_reason="PodInitializing"),
        ],
        status="Init:CrashLoopBackOff",
        restarts=2,
    )


def segments(layout, lane_name, kind=None):
    lane = next(lane for lane in layout.lanes if lane.name == lane_name)
    return [s for s in lane.segments if kind is None or s.kind == kind]
