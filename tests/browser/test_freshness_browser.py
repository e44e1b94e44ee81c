"""Issue 11, "Truth about freshness", in chromium: a watch that fails (kubesim's API server stops: every
reconnect is refused) turns the live indicator to `stale` within 30 s on the list and the Pod page, names
the cluster, stops the timers, and turns back to `live` once the server is back; a recorded Pod's page
says `recorded`."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from tests.browser.helpers import CLUSTER, ROOT, import_recording, screenshot, wait_for

STALE_WITHIN_MS = 30_000
RECOVER_WITHIN_MS = 75_000  # the watcher's reconnect back-off is capped at 30 s, then a relist
RECORDED = "recorded-samples"


def _stop_api_server(kubesim) -> None:
    """The simulator's HTTP server goes away (its state stays): connections are refused."""
    server = kubesim.sim._server
    if server is not None:
        kubesim._submit(server.stop())
        kubesim.sim._server = None


def _uid_of(kubesim, name: str) -> str:
    return wait_for(lambda: next((r["uid"] for r in kubesim.ground_truth() if r.get("pod") == name), None))


def _since_texts(page) -> list[str]:
    return page.evaluate("[...document.querySelectorAll('[data-since]')].map((el) => el.textContent)")


def _the_clusters_page_shows_the_whole_error_on_a_phone(browser, login_state, server_url) -> None:
    """The clusters page at 390 px, while the watch fails: the page does not scroll sideways (the table
    scrolls inside its card) and each error is shown whole, not clamped to a few lines."""
    context = browser.new_context(storage_state=login_state, viewport={"width": 390, "height": 844})
    try:
        clusters = context.new_page()
        errors = clusters.locator("#clusters .cluster-error")

        def failing_stream() -> bool:
            clusters.goto(f"{server_url}/clusters/")
            return errors.count() > 0

        wait_for(failing_stream, 20, interval=1, message="a stream's error on the clusters page")
        overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert clusters.evaluate(overflow) <= 0, "the clusters page scrolls sideways"
        assert clusters.locator("#clusters").locator("xpath=..").evaluate(
            "(el) => getComputedStyle(el).overflowX"
        ) in ("auto", "scroll")
        cut = errors.evaluate_all("(els) => els.filter((el) => el.scrollHeight > el.clientHeight + 1).length")
        assert cut == 0, f"an error is cut: {errors.all_inner_texts()}"
        assert all(text.strip() for text in errors.all_inner_texts())
        screenshot(clusters, "freshness-stale-clusters-390")
    finally:
        context.close()


def test_a_failing_watch_turns_the_pages_stale_within_30s_and_live_again_after(
    page, browser, login_state, server_url, kubesim
):
    uid = _uid_of(kubesim, "api-crashloop")
    pod_page = browser.new_context(storage_state=login_state).new_page()
    try:
        page.goto(f"{server_url}/?cluster={CLUSTER}")
        pod_page.goto(f"{server_url}/pods/{uid}/?cluster={CLUSTER}")
        indicators = [p.locator("[data-live-indicator]") for p in (page, pod_page)]
        for indicator in indicators:
            expect(indicator).to_have_attribute("data-live-state", "live", timeout=20_000)

        _stop_api_server(kubesim)
        stopped_at = time.monotonic()
        for indicator in indicators:
            expect(indicator).to_have_attribute("data-live-state", "stale", timeout=STALE_WITHIN_MS)
        assert time.monotonic() - stopped_at < STALE_WITHIN_MS / 1000
        for p, indicator in zip((page, pod_page), indicators, strict=True):
            expect(indicator).to_contain_text(f"Stale: {CLUSTER}")
            assert "failed" in (indicator.get_attribute("title") or ""), "the error is named"
            banner = p.locator(f'#freshness [data-cluster-freshness="{CLUSTER}"]')
            expect(banner).to_contain_text(f"Not current: cluster {CLUSTER}")
        expect(page.locator(f'tr[data-cluster="{CLUSTER}"][data-stale]').first).to_be_attached()
        screenshot(pod_page, "freshness-stale-pod")
        _the_clusters_page_shows_the_whole_error_on_a_phone(browser, login_state, server_url)
        # Timers stop at the time the data was last known.
        before = _since_texts(pod_page), _since_texts(page)
        time.sleep(2.5)
        assert (_since_texts(pod_page), _since_texts(page)) == before

        kubesim.restart()
        try:
            for indicator in indicators:
                expect(indicator).to_have_attribute("data-live-state", "live", timeout=RECOVER_WITHIN_MS)
        except AssertionError as exc:
            health = page.request.get(f"{server_url}/api/v1/clusters").json()
            raise AssertionError(f"not live again; the clusters API says {health}") from exc
        expect(page.locator("#freshness [data-cluster-freshness]")).to_have_count(0)
        assert not page.errors
    finally:
        if kubesim.sim._server is None:
            kubesim.restart()
        pod_page.context.close()


def test_a_recorded_pods_page_says_recorded(page, server_url):
    import_recording(RECORDED, ROOT / "samples" / "02-init-crashloop.json")
    pods = page.request.get(f"{server_url}/api/v1/pods?cluster={RECORDED}").json()["results"]
    uid = pods[0]["uid"]
    page.goto(f"{server_url}/pods/{uid}/?cluster={RECORDED}")
    indicator = page.locator("[data-live-indicator]")
    expect(indicator).to_have_attribute("data-live-state", "recorded", timeout=10_000)
    expect(indicator).to_contain_text("Recorded: data up to")
    banner = page.locator(f'#freshness [data-cluster-freshness="{RECORDED}"]')
    expect(banner).to_contain_text("judged at the end of the recording")
    expect(banner).to_contain_text(RECORDED)
    page.goto(f"{server_url}/?cluster={RECORDED}")
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-live-state", "recorded")
    screenshot(page, "freshness-recorded-list")
    assert not page.errors
