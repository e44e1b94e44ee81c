"""The one broadcast path: after a batch commits, its changed Pods go to the channel layer.

Domain code calls `publish_pod_changes`; consumers (the live dashboard) subscribe to the groups named by
`group_for_cluster` and `OVERVIEW_GROUP`. A batch is one `pods.changed` message per group (not one per Pod:
at thousands of events per second, per-Pod sends to Redis would cost more than the ingest itself); a
consumer showing one Pod filters the batch by uid. Nothing else in the app talks to the channel layer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^a-zA-Z0-9_.-]")

OVERVIEW_GROUP = "pods.overview"
MESSAGE_TYPE = "pods.changed"


def group_for_cluster(cluster: str) -> str:
    # Group names allow only ASCII alphanumerics, hyphens, underscores and periods, under 100 characters.
    return f"cluster.{_UNSAFE.sub('_', cluster)[:80]}"


def publish_pod_changes(cluster: str, changes: Iterable[dict]) -> None:
    """Send the batch's Pod summaries to its cluster's group and to the overview group.

    Failures are logged and never break ingest: browsers resynchronise from the API when they reconnect.
    """
    changes = list(changes)
    layer = get_channel_layer()
    if layer is None or not changes:
        return
    message = {"type": MESSAGE_TYPE, "cluster": cluster, "pods": changes}
    try:
        async_to_sync(_send)(layer, message, [group_for_cluster(cluster), OVERVIEW_GROUP])
    except Exception:
        log.exception("could not publish %d Pod changes for cluster %s", len(changes), cluster)


async def _send(layer, message: dict, groups: list[str]) -> None:
    for group in groups:
        await layer.group_send(group, message)
