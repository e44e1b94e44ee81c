"""The live message shape: what the dashboard is told about each changed Pod, and when it is sent.

`change_summary` is one Pod's entry of a `pods.changed` message (pods.live); `publish_after_commit` sends
a batch's summaries once its transaction has committed, so no browser hears of a change that rolled back.
"""

from __future__ import annotations

from functools import partial

from django.db import transaction

from pods.live import broadcast as live
from pods.timeline import PodState, can_be_stuck, format_time
from pods.timeline.tone import status_tone


def change_summary(cluster: str, pod: dict, state: PodState) -> dict:
    """The small message the live dashboard gets for a changed Pod (it fetches details on demand).

    `pod` is the Pod's projected row (column: value), `state` the folded state it was projected from.
    `can_be_stuck` is the engine's time-independent half of the stuck rule: with `failure_code` and
    `step_since` it lets the overview apply `pods.timeline.stuck_rule` at its own "now"; `failed` is the
    engine's terminal-failure verdict (`pods.timeline.is_failed`), the overview's "Failed" filter. The
    overview patches a shown row from it (status, tone, ready, restarts, step, time in step, node) and
    asks the server for the rest of the row.
    """
    return {
        "uid": pod["uid"],
        "cluster": cluster,
        "namespace": pod["namespace"],
        "name": pod["name"],
        "owner_name": pod["owner_name"],
        "phase": pod["phase"],
        "terminal": pod["terminal"],
        "status": pod["status"],
        "tone": status_tone(pod["status"]),
        "restarts": pod["restarts"],
        "step": pod["step"],
        "step_since": format_time(pod["step_since"]),
        "node": pod["node"],
        "failure_code": pod["failure_code"],
        # What the overview's search reads besides names (pods.selectors.pod_queryset's search).
        "failure_summary": pod["failure_summary"],
        "containers": [c.name for c in state.containers],
        "can_be_stuck": can_be_stuck(state),
        "failed": pod["failed"],
        "ready": pod["ready_containers"],
        "deleted": pod["deleted_at"] is not None,
    }


def publish_after_commit(cluster: str, summaries: list[dict]) -> None:
    """Send `summaries` to the live dashboard once the current transaction commits."""
    transaction.on_commit(partial(live.publish_pod_changes, cluster, summaries))
