"""What the page tests share: Pods stored through the real ingest, a Pod page's URL."""

from __future__ import annotations

from django.urls import reverse

from pods.ingest import WatchItem, cluster_get_or_create, ingest_batch


def ingest(
    objects: list[dict], events: list[dict] = (), *, cluster: str = "t", deleted: bool = False
) -> None:
    items = [WatchItem(kind="pod", type="MODIFIED", object=obj) for obj in objects]
    if deleted:
        items.append(WatchItem(kind="pod", type="DELETED", object=objects[-1]))
    items += [WatchItem(kind="event", type="ADDED", object=ev) for ev in events]
    result = ingest_batch(cluster=cluster_get_or_create(name=cluster), items=items)
    assert not result.rejected, result.rejected


def detail_url(uid: str) -> str:
    return reverse("pods:detail", args=[uid])
