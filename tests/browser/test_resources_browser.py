"""The resources page in chromium, on kubesim's scenario (conftest.py): `cache-oom`'s init container
`warm-cache` (1Gi, limit 1Gi) was OOM-killed once and sets the Pod's memory request; the page says both in
words, its OOM-killed Pod links to that Pod's page, and the page fits a phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.browser.helpers import CLUSTER, screenshot, wait_for

TIMEOUT_MS = 20_000
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _params() -> dict[str, str]:
    # kubesim's clock runs ahead of the wall clock (the tests advance it): end the period tomorrow.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    return {"cluster": CLUSTER, "since": "-1d", "until": tomorrow}


def test_the_resources_page_shows_the_oom_kill_and_links_to_the_pod(page, server_url, kubesim):
    uid = wait_for(
        lambda: next((r["uid"] for r in kubesim.ground_truth() if r.get("pod") == "cache-oom"), None)
    )
    query = urlencode(_params())
    page.goto(f"{server_url}/reports/resources/?{query}")
    row = page.locator('#resources tbody tr[data-container="warm-cache"]')
    expect(row).to_have_count(1, timeout=TIMEOUT_MS)
    expect(row.locator('[data-field="oom"]')).to_contain_text("1 OOM kill")
    expect(row.locator('[data-field="oom"]')).to_contain_text("memory limit 1Gi")
    # 1Gi against the app's 128Mi: the init container sets the Pod's memory request, by 896Mi
    expect(row.locator('[data-field="dominates"]')).to_contain_text("sets the Pod's memory request")
    expect(row.locator('[data-field="dominates"]')).to_contain_text("+896Mi")
    expect(row.locator('[data-field="effective_requests"]')).to_contain_text("memory 1Gi (init)")
    # the page says what the API says
    api = page.request.get(f"{server_url}/api/v1/reports/resources?{query}&container=warm-cache").json()
    assert [r["oom_killed"] for r in api["rows"]] == [1]
    assert api["rows"][0]["last_oom_pods"][0]["uid"] == uid
    # narrow screens: each row is a block, nothing sticks out sideways
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate(OVERFLOW) <= 0
    screenshot(page, "resources-narrow")
    page.set_viewport_size({"width": 1360, "height": 900})
    screenshot(page, "resources")

    row.locator("a[data-oom-pod]").first.click()
    expect(page).to_have_url(f"{server_url}/pods/{uid}/?cluster={CLUSTER}")
    expect(page.locator('g.wf-lane[data-container="warm-cache"]')).to_have_count(1, timeout=TIMEOUT_MS)
    expect(page.locator('[data-field="init_dominates"]')).to_contain_text("warm-cache sets memory")
    assert not page.errors
