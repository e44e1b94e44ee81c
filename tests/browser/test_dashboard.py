"""The live dashboard in chromium, against `manage.py serve` watching kubesim (see conftest.py)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import CLUSTER, screenshot, wait_for

TIMEOUT_MS = 20_000


def _truth_attempts(kubesim, pod: str, container: str) -> list[dict]:
    return [r for r in kubesim.ground_truth() if r.get("pod") == pod and r.get("container") == container]


def _uid_of(kubesim, name: str) -> str:
    uid = wait_for(lambda: next((r["uid"] for r in kubesim.ground_truth() if r.get("pod") == name), None))
    return uid


MIGRATE_BARS = 'g.wf-lane[data-container="migrate"] rect.wf-attempt:not(.is-running)'


def attempt_bars(page) -> int:
    """Finished attempts drawn in the migrate lane (a bar may stand for several when too narrow)."""
    script = (
        "(s) => [...document.querySelectorAll(s)].reduce((n, r) => n + Number(r.dataset.attempts || 1), 0)"
    )
    return page.evaluate(script, MIGRATE_BARS)


def expect_bars(page, count: int) -> None:
    wait_for(lambda: attempt_bars(page) == count, TIMEOUT_MS / 1000, message=f"{count} attempt bars")


def _open_pod(page, server_url, uid: str) -> None:
    page.goto(f"{server_url}/pods/{uid}/?cluster={CLUSTER}")
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)


def test_an_anonymous_visitor_is_sent_to_the_login_page(browser, server_url):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server_url}/pods/some-uid/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/pods/some-uid/"))
    expect(page.locator("#id_username")).to_be_visible()
    context.close()


def test_the_overview_lists_the_stuck_pods_with_their_diagnosis(page, server_url):
    page.goto(f"{server_url}/?cluster={CLUSTER}&stuck=1")
    expect(page.locator("[data-live-indicator]")).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)
    rows = page.locator("#pods tbody tr")
    crash = rows.filter(has_text="api-crashloop")
    pull = rows.filter(has_text="fetcher")
    expect(crash.locator(".badge")).to_have_text("crash-loop", timeout=TIMEOUT_MS)
    expect(crash.locator("[data-field=status]")).to_have_text("Init:CrashLoopBackOff")
    expect(pull.locator(".badge")).to_have_text("image-pull", timeout=TIMEOUT_MS)
    expect(rows.filter(has_text="web-healthy")).to_have_count(0)
    page.goto(f"{server_url}/?cluster={CLUSTER}")
    all_rows = page.locator("#pods tbody tr")
    # with pull-recovers (test_waiting.py) and cache-oom (test_resources_browser.py)
    expect(all_rows).to_have_count(5, timeout=TIMEOUT_MS)
    expect(all_rows.nth(2)).not_to_have_class(re.compile(r"\bis-stuck\b"))  # stuck Pods first
    expect(all_rows.filter(has_text="web-healthy")).not_to_have_class(re.compile(r"\bis-stuck\b"))
    expect(page.locator("#pods tbody tr.is-stuck")).to_have_count(2)
    screenshot(page, "overview")
    assert not page.errors


def test_a_crash_looping_pod_shows_one_bar_per_attempt_of_the_ground_truth(page, server_url, kubesim):
    uid = _uid_of(kubesim, "api-crashloop")
    _open_pod(page, server_url, uid)
    finished = _truth_attempts(kubesim, "api-crashloop", "migrate")
    assert len(finished) >= 2
    # In back-off between attempts the API shows every finished attempt and none running.
    expect_bars(page, len(finished))
    assert page.locator(f"{MIGRATE_BARS}:not(.is-failed)").count() == 0
    screenshot(page, "pod")
    assert not page.errors


def test_a_state_change_in_kubesim_reaches_the_open_page_without_reload(page, server_url, kubesim):
    uid = _uid_of(kubesim, "api-crashloop")
    _open_pod(page, server_url, uid)
    before = len(_truth_attempts(kubesim, "api-crashloop", "migrate"))
    expect_bars(page, before)
    page.evaluate("window.__sameDocument = true")
    kubesim.advance(90)  # past the next back-off: at least one more attempt
    after = len(_truth_attempts(kubesim, "api-crashloop", "migrate"))
    assert after > before
    expect_bars(page, after)
    latest = _truth_attempts(kubesim, "api-crashloop", "migrate")[-1]["number"]  # = restartCount
    expect(page.locator("#pod-live [data-field=restarts]")).to_contain_text(str(latest))
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"


def test_the_waterfall_is_one_tab_stop_and_arrow_keys_move_between_bars(page, server_url, kubesim):
    uid = _uid_of(kubesim, "api-crashloop")
    _open_pod(page, server_url, uid)
    expect_bars(page, len(_truth_attempts(kubesim, "api-crashloop", "migrate")))
    stops = page.locator('#waterfall .wf-seg[tabindex="0"]')
    expect(stops).to_have_count(1)
    page.wait_for_load_state("networkidle")  # the resynchronising fetch after the hello is in
    page.locator(".wf-label-link").last.focus()
    page.keyboard.press("Tab")  # from the lane labels into the chart: its one tab stop
    focused = "document.activeElement.id"
    assert page.evaluate(focused) == "sched"
    page.keyboard.press("ArrowDown")  # the wait-for-db lane
    page.keyboard.press("ArrowDown")  # the migrate lane
    lane = "document.activeElement.closest('.wf-lane').dataset.container"
    assert page.evaluate(lane) == "migrate"
    page.keyboard.press("Home")
    first = page.evaluate(focused)
    page.keyboard.press("ArrowRight")
    assert page.evaluate(focused) != first and page.evaluate(lane) == "migrate"
    expect(page.locator("[data-wf-detail]")).to_contain_text("migrate")
    expect(stops).to_have_count(1)
    page.keyboard.press("Tab")  # out of the chart in one step
    assert page.evaluate("!document.activeElement.closest('.wf-plot')")
    # from the top of a freshly opened page, the chart's current bar is two tabs and Enter away
    _open_pod(page, server_url, uid)
    page.wait_for_load_state("networkidle")
    current = page.evaluate("document.querySelector('#waterfall .wf-seg[tabindex=\"0\"]').id")
    page.keyboard.press("Tab")  # Skip to content
    page.keyboard.press("Tab")  # Skip to the waterfall
    assert page.evaluate("document.activeElement.textContent") == "Skip to the waterfall"
    page.keyboard.press("Enter")
    assert page.evaluate(focused) == current
    assert not page.errors


def test_the_page_resynchronises_when_it_reconnects(page, server_url, kubesim):
    """Messages sent while a page is disconnected are lost; on reconnect it re-fetches its fragment."""
    uid = _uid_of(kubesim, "api-crashloop")
    _open_pod(page, server_url, uid)
    indicator = page.locator("[data-live-indicator]")
    expect_bars(page, len(_truth_attempts(kubesim, "api-crashloop", "migrate")))  # the first resync is in
    page.evaluate("window.initscopeLive.stop()")
    expect(indicator).to_have_attribute("data-state", "offline")
    shown = attempt_bars(page)
    kubesim.advance(320)
    after = len(_truth_attempts(kubesim, "api-crashloop", "migrate"))
    wait_for(lambda: _stored_attempts(server_url, page, uid) >= after, message="the watcher to store it")
    assert attempt_bars(page) == shown < after, "nothing should arrive while disconnected"
    page.evaluate("window.__sameDocument = true; window.initscopeLive.resume()")
    expect(indicator).to_have_attribute("data-state", "live", timeout=TIMEOUT_MS)
    expect_bars(page, after)
    assert page.evaluate("window.__sameDocument") is True


def _stored_attempts(server_url, page, uid: str) -> int:
    doc = page.request.get(f"{server_url}/api/v1/pods/{uid}?cluster={CLUSTER}").json()
    migrate = next(c for c in doc["containers"] if c["name"] == "migrate")
    return len([a for a in migrate["attempts"] if a.get("finished_at")])


def test_the_previous_attempts_log_shows(page, server_url, kubesim):
    uid = _uid_of(kubesim, "api-crashloop")
    _open_pod(page, server_url, uid)
    page.select_option("#logs-container", "migrate")
    output = page.locator("[data-logs-output]")
    # Every attempt ends with the same error line; the first line names the attempt ("starting
    # (restart N)"), so current and previous must be told apart by it, as kubectl logs --previous does.
    page.click("[data-logs-load=current]")
    expect(output).to_have_attribute("data-previous", "0", timeout=TIMEOUT_MS)
    expect(output).to_contain_text("migrate: starting (restart ", timeout=TIMEOUT_MS)
    current = int(re.search(r"starting \(restart (\d+)\)", output.inner_text()).group(1))
    assert current >= 1, "the crash loop has restarted at least once"
    page.click("[data-logs-load=previous]")
    expect(output).to_have_attribute("data-previous", "1", timeout=TIMEOUT_MS)
    expect(output).to_contain_text(f"migrate: starting (restart {current - 1})", timeout=TIMEOUT_MS)
    expect(output).to_contain_text('ERROR: relation "orders" does not exist')
    expect(page.locator("[data-logs-status]")).to_contain_text("from the cluster")


def test_cluster_strings_with_markup_render_as_text(page, server_url, kubesim):
    crash_uid = _uid_of(kubesim, "api-crashloop")
    _open_pod(page, server_url, crash_uid)
    messages = page.locator("#pod-live .attempts-table pre.message")
    expect(messages.first).to_contain_text("<script>window.__xss = 1</script>", timeout=TIMEOUT_MS)
    expect(messages.first).to_contain_text('<img src=x onerror="window.__xss = 2">')
    # the bars' details are data (JSON, pods/web/waterfall/markup.py): the message is a string in it
    details = page.evaluate("JSON.parse(document.getElementById('wf-details').textContent)")
    assert any("<script>window.__xss = 1</script>" in text for text in details.values())
    assert page.locator("#wf-details").get_attribute("type") == "application/json"
    fetcher = page.request.get(f"{server_url}/api/v1/pods?cluster={CLUSTER}&search=fetcher").json()
    page.goto(f"{server_url}/pods/{fetcher['results'][0]['uid']}/?cluster={CLUSTER}")
    events = page.locator("#events pre.message")
    expect(events.filter(has_text="<script>window.__xss = 1</script>").first).to_be_visible(
        timeout=TIMEOUT_MS
    )
    assert page.evaluate("window.__xss") is None
    # no script but the waterfall's JSON details (never run: type application/json)
    assert page.locator("#main script:not(#wf-details), #main img[src=x]").count() == 0
