"""A status change reaches the open pages from the message itself: the overview's row and the Pod page's
header show the new STATUS (with the server's tone) while every fragment request is held back."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from pods.timeline.tone import status_tone
from tests.browser.helpers import CLUSTER, wait_for

TIMEOUT_MS = 20_000
POD = "api-crashloop"


def _pod(kubesim, name: str = POD) -> dict:
    return kubesim.call(
        lambda: next(p for _, p in kubesim.sim.store.items("pods", "shop") if p["metadata"]["name"] == name)
    )


def _migrate_running(kubesim) -> bool:
    statuses = _pod(kubesim)["status"].get("initContainerStatuses") or []
    return any(s["name"] == "migrate" and "running" in (s.get("state") or {}) for s in statuses)


def _in_back_off(kubesim) -> bool:
    """migrate waits out the kubelet's back-off (Init:CrashLoopBackOff), as the other tests expect it."""
    statuses = _pod(kubesim)["status"].get("initContainerStatuses") or []
    waiting = [(s.get("state") or {}).get("waiting") or {} for s in statuses if s["name"] == "migrate"]
    return any(w.get("reason") == "CrashLoopBackOff" for w in waiting)


def _advance_until(kubesim, predicate, limit: int = 400) -> None:
    for _ in range(limit // 2):
        if predicate():
            return
        kubesim.advance(2)
    raise AssertionError("kubesim never reached the state")


def _hold(page, pattern: str) -> list:
    """Hold every request matching `pattern` (never answered while the test looks)."""
    held: list = []
    page.route(pattern, lambda route: held.append(route))
    return held


def test_a_status_change_is_patched_in_without_a_fragment(page, server_url, kubesim):
    uid = _pod(kubesim)["metadata"]["uid"]
    pod_page = page
    overview = page.context.new_page()
    overview.errors = []
    overview.on("pageerror", lambda error: overview.errors.append(str(error)))
    pod_page.goto(f"{server_url}/pods/{uid}/?cluster={CLUSTER}")
    overview.goto(f"{server_url}/?cluster={CLUSTER}")
    for p in (pod_page, overview):
        expect(p.locator("[data-live-indicator]")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)
        p.wait_for_load_state("networkidle")  # the resynchronising fetch after the hello is in
    head = pod_page.locator(".pod-title [data-field=status]")
    row = overview.locator(f"#pod-{uid} [data-field=status]")
    before = head.inner_text()
    expect(row).to_have_text(before)
    held = _hold(pod_page, "**/fragment/**")
    held_rows = _hold(overview, "**/fragments/pods/**")
    pod_page.evaluate("window.__sameDocument = true")

    _advance_until(kubesim, lambda: _migrate_running(kubesim))  # Init:Error / back-off -> migrate runs
    api = f"{server_url}/api/v1/pods/{uid}?cluster={CLUSTER}"
    status = wait_for(
        lambda: (s := pod_page.request.get(api).json()["status"]) != before and s, message="the new STATUS"
    )
    expect(head).to_have_text(status, timeout=TIMEOUT_MS)
    expect(row).to_have_text(status, timeout=TIMEOUT_MS)
    # Both pages asked for their fragment (rows may move, the waterfall changed), and got none yet.
    wait_for(lambda: held and held_rows, message="the fragment requests")
    # The overview asks for parts of its live list (rows, counts), never for the whole of it again.
    assert all("part=rows" in route.request.url for route in held_rows)
    tone = re.compile(rf"\btone-{status_tone(status)}\b")  # the server's tone, from the message
    expect(head).to_have_class(tone)
    expect(row).to_have_class(tone)
    assert pod_page.evaluate("window.__sameDocument") is True
    for route in [*held, *held_rows]:
        route.abort()
    pod_page.unroute("**/fragment/**")
    overview.unroute("**/fragments/pods/**")
    assert not pod_page.errors and not overview.errors
    overview.close()
    # Leave api-crashloop in back-off again, as the other tests expect it.
    _advance_until(kubesim, lambda: _in_back_off(kubesim))


def test_the_overview_re_renders_a_changed_row_alone_and_keeps_the_others(page, server_url, kubesim):
    """A change re-reads parts of the list (never the whole live part): the changed row is the server's
    again (a new element), an unchanged row stays the very element it was."""
    uid = _pod(kubesim)["metadata"]["uid"]
    page.goto(f"{server_url}/?cluster={CLUSTER}")
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")  # the resynchronising read after the hello is in
    # web-healthy runs: nothing of it changes meanwhile.
    others = [f"pod-{_pod(kubesim, 'web-healthy')['metadata']['uid']}"]
    page.evaluate(
        "ids => { window.__rows = Object.fromEntries(ids.map(id => [id, document.getElementById(id)])); }",
        [f"pod-{uid}", *others],
    )
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/fragments/pods/" in r.url else None)
    row = page.locator(f"#pod-{uid} [data-field=status]")
    before = row.inner_text()

    _advance_until(kubesim, lambda: _migrate_running(kubesim))
    expect(row).not_to_have_text(before, timeout=TIMEOUT_MS)
    wait_for(
        lambda: page.evaluate("id => document.getElementById(id) !== window.__rows[id]", f"pod-{uid}"),
        message="the changed row rendered by the server",
    )
    kept = page.evaluate("ids => ids.filter(id => document.getElementById(id) === window.__rows[id])", others)
    assert kept == others
    assert asked and all("part=" in url for url in asked)
    assert not page.errors
    _advance_until(kubesim, lambda: _in_back_off(kubesim))
