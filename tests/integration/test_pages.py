"""The server-rendered pages, against PostgreSQL, with Pods written through the real ingest."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from pods.models import Pod
from tests.builders import (
    NODE,
    UID,
    ago,
    crash_loop_sequence,
    event,
    migrating,
    rebased,
    sidecar_job_completed,
)
from tests.integration.helpers import detail_url, ingest

pytestmark = pytest.mark.django_db

# Recent, so that a healthy Pod is not "slow" (past the 5-minute stuck threshold) when the test runs.
T0 = ago(120)
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
ATTEMPT_BAR = re.compile(r'class="wf-seg wf-attempt is-(\w+)"')


def healthy(uid: str, name: str, *, namespace: str = "shop") -> dict:
    """Init:1/2: `db` succeeded, `migrate` running."""
    return rebased(migrating(uid=uid, name=name, namespace=namespace), T0)


def crash_loop(uid: str, name: str, *, message: str = "relation x missing") -> list[dict]:
    """The Pod as a watcher sees it: `migrate` fails four times, ending each time with `message`."""
    return rebased(crash_loop_sequence(message=message, uid=uid, name=name), T0)


def back_off_event(uid: str, name: str, *, message: str) -> dict:
    return rebased(
        event(
            "BackOff",
            message,
            when=24,
            last_when=110,
            count=4,
            etype="Warning",
            container="migrate",
            pod_uid=uid,
            pod_name=name,
        ),
        T0,
    )


# --- access ----------------------------------------------------------------------------------------


def test_anonymous_users_are_redirected_to_login(client):
    for url in (reverse("pods:list"), detail_url("any-uid")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")


def test_the_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"Sign in to Initscope" in response.content


def test_pages_offer_logout_as_a_post_form(logged_in_client):
    content = logged_in_client.get(reverse("pods:list")).content.decode()
    assert re.search(
        r'<form class="logout" method="post" action="/logout/">\s*<input type="hidden" name="csrf', content
    )
    assert ">sre<" in content


# --- the list ---------------------------------------------------------------------------------------


def test_an_empty_list_tells_how_to_import_data(logged_in_client):
    response = logged_in_client.get(reverse("pods:list"))
    assert response.status_code == 200
    assert b"python manage.py import_watch --cluster NAME FILE" in response.content


def test_the_list_shows_pods_stuck_first_and_filters_them(logged_in_client):
    ingest([healthy("uid-ok", "web-1", namespace="web")])
    ingest(crash_loop("uid-crash", "api-7d9f5c-x2x"))
    content = logged_in_client.get(reverse("pods:list")).content.decode()
    assert content.index("api-7d9f5c-x2x") < content.index("web-1")  # stuck first
    assert 'id="pod-uid-crash" data-uid="uid-crash"' in content
    assert "Init:CrashLoopBackOff" in content and "Init:1/2" in content
    assert "crash-loop" in content  # the diagnosis of the stuck one
    assert 'data-status-count="Init:CrashLoopBackOff">1<' in content
    assert f'href="{detail_url("uid-crash")}?cluster=t"' in content

    only_web = logged_in_client.get(reverse("pods:list"), {"namespace": "web"}).content.decode()
    assert "web-1" in only_web and "api-7d9f5c-x2x" not in only_web
    stuck = logged_in_client.get(reverse("pods:list"), {"stuck": "1"}).content.decode()
    assert "api-7d9f5c-x2x" in stuck and "web-1" not in stuck
    by_status = logged_in_client.get(reverse("pods:list"), {"status": "Init:1/2"}).content.decode()
    assert "web-1" in by_status and "api-7d9f5c-x2x" not in by_status
    search = logged_in_client.get(reverse("pods:list"), {"q": "x2x"}).content.decode()
    assert "api-7d9f5c-x2x" in search and "web-1" not in search
    none = logged_in_client.get(reverse("pods:list"), {"q": "nothing-like-this"}).content.decode()
    assert "No Pods match these filters" in none


def test_the_time_in_step_of_a_finished_pod_stands_still(logged_in_client):
    """The engine's terminal verdict (not a phase rule of the template's) stops the clock of a done Pod."""
    ingest([rebased(sidecar_job_completed(), T0), healthy("uid-ok", "web-1", namespace="web")])
    assert Pod.objects.get(uid=UID).step_since is not None
    content = logged_in_client.get(reverse("pods:list")).content.decode()

    def time_in_step(uid: str) -> str:
        return re.search(rf'<tr id="pod-{uid}".*?data-field="step_since">(.*?)</td>', content, re.S)[1]

    assert time_in_step(UID) == '<span class="muted">—</span>'
    assert "since" in time_in_step("uid-ok")


def test_the_list_is_paginated_by_fifty_and_keeps_the_filters(logged_in_client):
    ingest([healthy(f"uid-{i:03d}", f"web-{i:03d}", namespace="web") for i in range(55)])
    first = logged_in_client.get(reverse("pods:list"), {"namespace": "web"}).content.decode()
    assert first.count('<tr id="pod-') == 50
    assert "Page 1 of 2" in first
    assert 'href="?namespace=web&amp;page=2"' in first
    second = logged_in_client.get(reverse("pods:list"), {"namespace": "web", "page": 2}).content.decode()
    assert second.count('<tr id="pod-') == 5


def test_the_page_size_can_be_raised_to_what_a_live_socket_may_follow(logged_in_client):
    ingest([healthy(f"uid-{i:03d}", f"web-{i:03d}", namespace="web") for i in range(55)])
    url = reverse("pods:list")
    bigger = logged_in_client.get(url, {"namespace": "web", "size": 60}).content.decode()
    assert bigger.count('<tr id="pod-') == 55
    assert "Page 1 of" not in bigger
    smaller = logged_in_client.get(url, {"namespace": "web", "size": 20}).content.decode()
    assert smaller.count('<tr id="pod-') == 20
    assert 'href="?namespace=web&amp;size=20&amp;page=2"' in smaller
    fragment = logged_in_client.get(reverse("pods:list-fragment"), {"size": 20}).content.decode()
    assert fragment.count('<tr id="pod-') == 20
    for odd in ("0", "-3", "many"):
        page = logged_in_client.get(url, {"namespace": "web", "size": odd}).content.decode()
        assert page.count('<tr id="pod-') == (1 if odd != "many" else 50)


# --- the Pod page ------------------------------------------------------------------------------------


def test_the_pod_page_draws_one_bar_per_attempt(logged_in_client):
    ingest(
        crash_loop("uid-crash", "api-7d9f5c-x2x"),
        [back_off_event("uid-crash", "api-7d9f5c-x2x", message="x")],
    )
    response = logged_in_client.get(detail_url("uid-crash"))
    assert response.status_code == 200
    content = response.content.decode()
    assert ATTEMPT_BAR.findall(content) == ["succeeded", "failed", "failed", "failed", "failed"]
    for lane in ('id="lane-scheduling"', 'id="lane-c0"', 'id="lane-c1"', 'id="lane-c2"'):
        assert lane in content
    assert 'id="c1-g0-a2"' in content and "back-off" in content
    assert "Init:CrashLoopBackOff" in content and "Deployment/" in content and NODE in content
    assert 'class="badge badge--crash-loop"' in content
    assert "relation x missing" in content  # the termination message in the attempts list
    assert "BackOff" in content  # the Events table
    assert "history kept" not in content


def test_the_waterfall_is_one_tab_stop_with_the_servers_tick_steps(logged_in_client):
    ingest(crash_loop("uid-keys", "api-7d9f5c-k3y"))
    content = logged_in_client.get(detail_url("uid-keys")).content.decode()
    stops = re.findall(r'class="wf-seg[^"]*" id="([^"]+)" tabindex="(-1|0)"', content)
    assert len(stops) > 4
    assert [bar for bar, index in stops if index == "0"] == ["sched"]  # the first bar: pod.js moves it
    assert 'data-tick-steps="0.1 0.2 0.5 1 2 5 10 15 30 60 120 ' in content


def many_attempts(uid: str, name: str, *, message: str = "connection refused") -> list[dict]:
    """Two init containers that each fail 12 times (exit 1, ending with `message`), then exit 0: no
    diagnosis, 13 attempts a container (bench/b5.py's Pod, smaller)."""
    from bench.b5 import pod_objects

    objects = json.dumps(rebased(pod_objects(uid, name, 2, 13), T0))
    return json.loads(objects.replace("connection refused", json.dumps(message)[1:-1]))


def test_a_containers_many_attempts_are_fetched_when_opened(logged_in_client):
    ingest(many_attempts("uid-many", "batch-many"))
    page = logged_in_client.get(detail_url("uid-many")).content.decode()
    assert len(ATTEMPT_BAR.findall(page)) == 27  # every bar is drawn (26 init attempts, the app's)
    fragment = reverse("pods:detail-fragment", args=["uid-many"])
    for lane in ("lane-c0", "lane-c1"):
        (details,) = re.findall(rf'<details class="attempts" id="attempts-{lane}"[^>]*>', page)
        assert "open" not in details  # closed, and its rows left out: a link to them instead
        url = f"{fragment}?cluster=t&amp;part=attempts&amp;lane={lane}"
        assert f'data-attempts-url="{url}"' in page and f'href="{url}"' in page
    assert re.findall(r'<tr id="row-(c\d)-', page) == ["c2"]  # the app ran once: its row is written
    table = logged_in_client.get(fragment, {"part": "attempts", "lane": "lane-c1"})
    assert table.status_code == 200 and table["Cache-Control"] == "no-store"
    rows = re.findall(r'<tr id="row-([^"]+)"', table.content.decode())
    assert rows == [f"c1-g0-a{n}" for n in reversed(range(13))]  # newest first
    body = '<div class="attempts-body" data-attempts-lane="lane-c1">'
    assert table.content.decode().lstrip().startswith(body)
    for lane in ("lane-c7", "lane-scheduling", ""):
        assert logged_in_client.get(fragment, {"part": "attempts", "lane": lane}).status_code == 404
    # a live update asks for the lanes the reader has open: those are written out, open
    live = logged_in_client.get(fragment, {"cluster": "t", "open": ["lane-c1", "lane-c9"]}).content.decode()
    assert re.search(r'<details class="attempts" id="attempts-lane-c1" data-lane="lane-c1" open>', live)
    assert re.search(r'<details class="attempts" id="attempts-lane-c0" data-lane="lane-c0">', live)
    assert re.findall(r'<tr id="row-(c\d)-g0-a0"', live) == ["c1", "c2"]


def test_few_attempts_and_the_diagnosed_containers_are_written_out(logged_in_client):
    ingest(crash_loop("uid-few", "api-7d9f5c-few"))
    page = logged_in_client.get(detail_url("uid-few")).content.decode()
    for lane in ("lane-c0", "lane-c1"):  # db ran once; migrate crash-loops (the diagnosis names it)
        assert re.search(rf'<details class="attempts" id="attempts-{lane}" data-lane="{lane}" open>', page)
    assert "data-attempts-url" not in page and 'id="row-c1-g0-a3"' in page


def test_a_deleted_pod_still_shows_its_history(logged_in_client):
    ingest(crash_loop("uid-gone", "api-7d9f5c-old"), deleted=True)
    content = logged_in_client.get(detail_url("uid-gone")).content.decode()
    assert "history kept" in content
    assert len(ATTEMPT_BAR.findall(content)) == 5
    listed = logged_in_client.get(reverse("pods:list")).content.decode()
    assert "api-7d9f5c-old" in listed and ">deleted<" in listed


def test_an_unknown_uid_is_404(logged_in_client):
    assert logged_in_client.get(detail_url("no-such-uid")).status_code == 404
    ingest([healthy("uid-ok", "web-1")])
    assert logged_in_client.get(detail_url("uid-ok"), {"cluster": "other"}).status_code == 404


def test_cluster_strings_are_escaped_everywhere(logged_in_client):
    evil = f"migration failed {XSS_SCRIPT} {XSS_IMG}"
    ingest(
        crash_loop("uid-evil", "api-7d9f5c-evil", message=evil),
        [back_off_event("uid-evil", "api-7d9f5c-evil", message=f"Back-off {XSS_IMG} {XSS_SCRIPT}")],
    )
    for url in (detail_url("uid-evil"), reverse("pods:list")):
        content = logged_in_client.get(url).content.decode()
        assert XSS_SCRIPT not in content and XSS_IMG not in content, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in content, url
    ingest(many_attempts("uid-evil-many", "batch-evil", message=evil))
    table = logged_in_client.get(
        reverse("pods:detail-fragment", args=["uid-evil-many"]), {"part": "attempts", "lane": "lane-c0"}
    ).content.decode()
    assert XSS_SCRIPT not in table and XSS_IMG not in table
    assert table.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 12  # each failed attempt's message
