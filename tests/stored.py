"""A cluster's stored Pods in every table, without row ids and write times: what tests compare when two
ways of storing the same objects must give the same rows (hostile input against clean input, states kept
between batches against states read back)."""

from __future__ import annotations

from pods.models import Attempt, Container, Event, ImagePull, Pod
from pods.timeline.codec import decode_state


def stored(cluster: str, uids: set[str] | None = None) -> dict:
    """What the cluster's Pods (all, or those of `uids`) and their Events look like in every table."""
    pods = Pod.objects.filter(cluster__name=cluster)
    if uids is not None:
        pods = pods.filter(uid__in=uids)
    skip = {"id", "cluster", "cluster_id", "state", "updated_at", "observed_at"}
    fields = [f.attname for f in Pod._meta.concrete_fields if f.attname not in skip]
    pod_uids = set(pods.values_list("uid", flat=True))
    return {
        "pods": sorted(pods.values_list(*fields)),
        "states": {uid: decode_state(state) for uid, state in pods.values_list("uid", "state")},
        "containers": sorted(
            Container.objects.filter(pod__in=pods).values_list(
                "pod__uid", "name", "kind", "index", "image", "restart_count", "state", "state_reason"
            )
        ),
        "attempts": sorted(
            Attempt.objects.filter(pod__in=pods).values_list(
                "pod__uid",
                "container__name",
                "generation",
                "number",
                "pod_created_at",
                "known",
                "count",
                "exit_code",
                "reason",
                "message",
                "started_at",
                "finished_at",
                "signal",
                "log_tail",
            )  # fmt: skip
        ),
        "pulls": sorted(
            ImagePull.objects.filter(container__pod__in=pods).values_list(
                "container__pod__uid", "container__name", "image", "started_at", "finished_at"
            )
        ),
        "events": sorted(
            Event.objects.filter(cluster__name=cluster, pod_uid__in=pod_uids).values_list(
                "uid", "pod_uid", "reason", "message", "count", "first_at", "last_at", "container"
            )
        ),
    }
