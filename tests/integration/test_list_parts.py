"""The Pod list's live parts (`/fragments/pods/?part=...`), what list-live.js asks for instead of the whole
live part: the head (counts, pager), the page's rows in order, or the rows of some Pods."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from pods import selectors
from pods.models import Pod
from tests.builders import ago, crash_loop_sequence, migrating, rebased
from tests.integration.helpers import ingest

pytestmark = pytest.mark.django_db

T0 = ago(120)  # recent: a healthy Pod is not slow yet
ROW_IDS = re.compile(r'<tr id="pod-([^"]+)"')


def healthy(uid: str, name: str, *, namespace: str = "shop") -> dict:
    return rebased(migrating(uid=uid, name=name, namespace=namespace), T0)


def crash_loop(uid: str, name: str) -> list[dict]:
    return rebased(crash_loop_sequence(message="relation x missing", uid=uid, name=name), T0)


@pytest.fixture
def pods():
    ingest([healthy(f"uid-ok-{i}", f"web-{i}", namespace="web") for i in range(3)])
    ingest(crash_loop("uid-crash", "api-7d9f5c-x2x"))


def parts(client, **params) -> str:
    response = client.get(reverse("pods:list-fragment"), params)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    return response.content.decode()


@pytest.mark.usefixtures("pods")
def test_the_rows_part_is_the_pages_rows_in_order_without_the_counts(logged_in_client):
    whole = logged_in_client.get(reverse("pods:list-fragment")).content.decode()
    rows = parts(logged_in_client, part="rows")
    assert rows.startswith('<div id="pod-list-parts">') or '<div id="pod-list-parts">' in rows
    assert '<tbody id="pod-rows">' in rows
    assert ROW_IDS.findall(rows) == ROW_IDS.findall(whole)
    assert ROW_IDS.findall(rows)[0] == "uid-crash"  # stuck first, as the page
    assert "status-counts" not in rows and "pod-list-head" not in rows
    # The verdicts the row was ranked by, which a change message is compared with.
    assert re.search(r'<tr id="pod-uid-crash"[^>]* data-stuck[ >]', rows)
    assert not re.search(r'<tr id="pod-uid-ok-0"[^>]* data-stuck[ >]', rows)


@pytest.mark.usefixtures("pods")
def test_the_head_part_is_the_counts_and_the_pager_without_rows(logged_in_client):
    head = parts(logged_in_client, part="head", size=2)
    assert 'id="pod-list-head"' in head and 'id="pod-list-pager"' in head
    assert 'data-status-count="Init:CrashLoopBackOff">1<' in head
    assert "Page 1 of 2" in head
    assert ROW_IDS.findall(head) == []
    # Its links are the page's, never the part's.
    assert "part=" not in head and "uid=" not in head
    both = parts(logged_in_client, part=["head", "rows"], size=2)
    whole = ROW_IDS.findall(parts(logged_in_client, size=2))
    assert len(whole) == 2 and ROW_IDS.findall(both) == whole
    assert "Page 1 of 2" in both


@pytest.mark.usefixtures("pods")
def test_rows_by_uid_are_those_pods_rows_that_still_match_the_filters(logged_in_client):
    one = parts(logged_in_client, part="rows", uid="uid-ok-1")
    assert ROW_IDS.findall(one) == ["uid-ok-1"]
    assert "web-1" in one and "part=" not in one
    two = parts(logged_in_client, part="rows", uid=["uid-ok-0", "uid-crash", "uid-unknown"])
    assert ROW_IDS.findall(two) == ["uid-crash", "uid-ok-0"]  # in the list's order; unknown: none
    assert ROW_IDS.findall(parts(logged_in_client, part="rows", uid="uid-crash", namespace="web")) == []
    assert ROW_IDS.findall(parts(logged_in_client, part="rows", uid="uid-ok-0", stuck="1")) == []
    # With the head, the head is the whole page's counts and the rows are still only those asked for.
    both = parts(logged_in_client, part=["head", "rows"], uid="uid-ok-2")
    assert ROW_IDS.findall(both) == ["uid-ok-2"]
    assert 'data-status-count="Init:CrashLoopBackOff">1<' in both


@pytest.mark.usefixtures("pods")
def test_an_unknown_part_is_the_whole_live_part(logged_in_client):
    whole = parts(logged_in_client, part="everything")
    assert whole.startswith('<div id="pod-list-live"') or '<div id="pod-list-live"' in whole
    assert len(ROW_IDS.findall(whole)) == 4


def test_parts_need_a_login(client):
    assert client.get(reverse("pods:list-fragment"), {"part": "rows", "uid": "x"}).status_code == 302


@pytest.mark.usefixtures("pods")
def test_the_order_part_is_the_uids_of_the_pages_rows_in_order(logged_in_client):
    whole = ROW_IDS.findall(parts(logged_in_client, size=3))
    order = parts(logged_in_client, part=["head", "order"], size=3)
    assert re.search(r'<div id="pod-order" data-uids="([^"]*)"', order)[1].split() == whole
    assert ROW_IDS.findall(order) == []  # no row rendered
    assert "Page 1 of 2" in order
    with_rows = parts(logged_in_client, part=["head", "order", "rows"], uid="uid-crash", size=3)
    assert ROW_IDS.findall(with_rows) == ["uid-crash"]
    assert 'data-uids="uid-crash ' in with_rows


DIGESTS = re.compile(r'<tr id="pod-([^"]+)" data-uid="[^"]*" data-digest="([^"]+)"')


def checked(client) -> dict[str, str]:
    """uid -> digest, in order, as `?part=digests` lists them."""
    found = re.search(
        r'<div id="pod-order" data-uids="([^"]*)" data-digests="([^"]*)"',
        parts(client, part=["head", "digests"]),
    )
    return dict(zip(found[1].split(), found[2].split(), strict=True))


@pytest.mark.usefixtures("pods")
def test_the_digests_part_is_the_order_with_each_rows_digest_as_rendered(logged_in_client):
    page = parts(logged_in_client, part="rows")
    rendered = dict(DIGESTS.findall(page))
    assert len(rendered) == 4
    digests = checked(logged_in_client)  # a moment later: the clock a row ticks from is not in it
    assert list(digests) == ROW_IDS.findall(page)
    assert digests == rendered
    assert "<tr " not in parts(logged_in_client, part="digests")  # no row rendered
    one = dict(DIGESTS.findall(parts(logged_in_client, part="rows", uid="uid-ok-1")))
    assert one == {"uid-ok-1": rendered["uid-ok-1"]}
    # A change the page may have missed: that row's digest differs, the others' stay.
    Pod.objects.filter(uid="uid-ok-1").update(node="node-9")
    after = checked(logged_in_client)
    assert after["uid-ok-1"] != rendered["uid-ok-1"]
    assert {uid: d for uid, d in after.items() if uid != "uid-ok-1"} == {
        uid: d for uid, d in rendered.items() if uid != "uid-ok-1"
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="REPEATABLE READ snapshots: PostgreSQL")
def test_a_page_is_read_as_of_one_snapshot_while_a_pod_changes_rank():
    """The list reads its ranks one after the other (`RankedPods`: stuck, failed, the rest). A Pod that
    becomes stuck once the stuck Pods were read, before the rest are, is still listed once."""
    ingest([healthy(f"uid-ok-{i}", f"web-{i}") for i in range(3)])
    moved = "uid-ok-1"

    def become_stuck() -> None:  # another connection, committed: as the ingest would
        Pod.objects.filter(uid=moved).update(failure_code="CrashLoopBackOff")
        connections.close_all()

    def between_the_ranks(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # After the first read of ranked rows (the stuck Pods'), before the rest are read.
        if re.search(r'FROM "pods_pod" .*ORDER BY', sql) and not moving:
            moving.append(threading.Thread(target=become_stuck))
            moving[0].start()
            moving[0].join()
        return result

    moving: list[threading.Thread] = []
    with connection.execute_wrapper(between_the_ranks):
        listed = selectors.pod_list_page(filters=selectors.PodFilters(), size=50)
    assert moving, "the hook ran between the reads"
    assert sorted(listed.uids) == sorted(f"uid-ok-{i}" for i in range(3))
    assert len(listed.rows) == 3
    # The next read sees the change.
    assert selectors.pod_list_page(filters=selectors.PodFilters(), size=50).uids[0] == moved
