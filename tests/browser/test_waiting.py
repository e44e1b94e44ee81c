"""The waterfall draws waiting (issue 11, item 4): a Pod whose image pull failed twice and then succeeded
shows the wait as a `waiting` segment with its reason, before the pull and the attempt."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.helpers import CLUSTER, screenshot, wait_for

TIMEOUT_MS = 20_000
LANE = 'g.wf-lane[data-container="fetch-config"]'


def test_a_recovered_image_pull_shows_its_waiting_segment_with_the_reason(page, server_url, kubesim):
    uid = wait_for(
        lambda: next((r["uid"] for r in kubesim.ground_truth() if r.get("pod") == "pull-recovers"), None)
    )
    page.goto(f"{server_url}/pods/{uid}/?cluster={CLUSTER}")
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)
    lane = page.locator(LANE)
    # the pull recovered: the attempt ran, after the successful pull
    expect(lane.locator('[data-segment="attempt"]').first).to_be_attached(timeout=TIMEOUT_MS)
    expect(lane.locator('[data-segment="pull"]').first).to_be_attached()
    waiting = lane.locator('[data-segment="waiting"]')
    # one wait, one segment (a live update may briefly show the Event's span and the status's apart)
    expect(waiting).to_have_count(1, timeout=TIMEOUT_MS)
    reason = waiting.get_attribute("data-reason") or ""
    assert {"ErrImagePull", "ImagePullBackOff"} & set(reason.split("/")), reason
    label = waiting.get_attribute("aria-label") or ""
    assert "fetch-config waiting:" in label and reason in label
    # its details (pods/web/waterfall/markup.py keeps them out of the markup) show when it is focused, and
    # it gets its tooltip then
    waiting.focus()
    expect(page.locator("[data-wf-detail]")).to_contain_text(reason)
    expect(waiting.locator("title")).to_contain_text(reason)
    # drawn before the pull, not over it
    boxes = page.evaluate(
        """(lane) => ["waiting", "pull"].map((name) => {
            const el = document.querySelector(`${lane} [data-segment="${name}"]`);
            return [Number(el.getAttribute("x")), Number(el.getAttribute("width"))];
        })""",
        LANE,
    )
    (wait_x, wait_w), (pull_x, _) = boxes
    assert wait_x + wait_w <= pull_x + 0.01, boxes
    # the legend names it
    expect(page.locator(".wf-legend")).to_contain_text("waiting")
    screenshot(page, "waiting-pull-recovered")
