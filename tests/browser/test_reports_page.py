"""The Reports page in chromium, on what the watcher stored of kubesim's scenario (see conftest.py): the
table says what the API says, a row's trend is drawn by uPlot, a failed Pod links to its own waterfall, the
cluster's strings stay text, and the page fits a phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.browser.helpers import CLUSTER, screenshot, wait_for

TIMEOUT_MS = 20_000
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _period() -> dict[str, str]:
    # kubesim's clock runs ahead of the wall clock (the tests advance it): end the period tomorrow.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    return {"cluster": CLUSTER, "since": "-1d", "until": tomorrow}


def _wide_elements(page) -> list[str]:
    """What sticks out of the viewport (for the failure message)."""
    script = """() => [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
        && !el.closest('.table-wrap'))
      .slice(0, 8).map((el) => `${el.tagName.toLowerCase()}.${el.className}`)"""
    return page.evaluate(script)


def _uid_of(kubesim, name: str) -> str:
    return wait_for(lambda: next((r["uid"] for r in kubesim.ground_truth() if r.get("pod") == name), None))


def _migrate_row(page):
    return (
        page.locator("#report tbody tr.report-row")
        .filter(has_text="api-crashloop")
        .filter(has_text="migrate")
    )


def test_the_reports_page_drills_down_from_a_row_to_a_failed_pods_waterfall(page, server_url, kubesim):
    params = _period()
    api = page.request.get(f"{server_url}/api/v1/reports/init-containers?{urlencode(params)}").json()
    expected = {(r["workload"], r["container"]): r for r in api["rows"]}
    assert ("api-crashloop", "migrate") in expected and expected["api-crashloop", "migrate"]["failed"] >= 1

    page.goto(f"{server_url}/reports/?{urlencode(params)}")
    rows = page.locator("#report tbody tr.report-row")
    expect(rows).to_have_count(len(api["rows"]), timeout=TIMEOUT_MS)
    # Every row as the API says (the watcher may have stored more since: the page is read after the API).
    for i in range(rows.count()):
        row = rows.nth(i)
        key = (
            row.locator("td").nth(2).inner_text().split("/")[-1],
            row.locator("td").nth(3).inner_text().split()[0],
        )
        assert int(row.locator("[data-field=attempts]").inner_text()) >= expected[key]["attempts"]
    migrate = _migrate_row(page)
    expect(migrate.locator("[data-field=failure_rate]")).to_contain_text("%")
    expect(page.locator("[data-field=source]")).to_contain_text("raw")

    migrate.locator("[data-report-row]").click()
    detail = page.locator("tr.report-detail-row")
    expect(detail.locator(".trend-chart canvas")).to_be_visible(timeout=TIMEOUT_MS)  # drawn by uPlot
    drawn = detail.locator(".trend-chart").get_attribute("data-drawn")
    assert int(drawn or 0) >= 24, "a bucket per hour of the period (more than a day)"
    expect(detail.locator(".u-legend")).to_contain_text("p95")
    # The termination message of the failed attempts, as text (the scenario's carries markup).
    failed = detail.locator("[data-pods=failed]")
    expect(failed.locator(".message").first).to_contain_text("<script>window.__xss = 1</script>")
    assert page.evaluate("window.__xss") is None
    screenshot(page, "reports-row")

    uid = _uid_of(kubesim, "api-crashloop")
    failed.locator(f"a.pod-link[data-uid='{uid}']").click()
    page.wait_for_url(f"{server_url}/pods/{uid}/?cluster={CLUSTER}")
    expect(page.locator("#waterfall")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator('g.wf-lane[data-container="migrate"]')).to_have_count(1)
    assert not page.errors


def test_the_reports_page_fits_a_phone(browser, login_state, server_url):
    context = browser.new_context(storage_state=login_state, viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{server_url}/reports/?{urlencode(_period())}")
        expect(page.locator("#report")).to_be_visible(timeout=TIMEOUT_MS)
        assert page.evaluate(OVERFLOW) <= 0, f"the page scrolls sideways: {_wide_elements(page)}"
        _migrate_row(page).locator("[data-report-row]").click()
        chart = page.locator("tr.report-detail-row .trend-chart canvas")
        expect(chart).to_be_visible(timeout=TIMEOUT_MS)
        assert page.evaluate(OVERFLOW) <= 0, f"the open row scrolls sideways: {_wide_elements(page)}"
        box = chart.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        screenshot(page, "narrow-390-reports")
        page.goto(f"{server_url}/reports/?{urlencode({**_period(), 'report': 'nodes'})}")
        expect(page.locator("#report")).to_be_visible(timeout=TIMEOUT_MS)
        assert page.evaluate(OVERFLOW) <= 0
        assert not errors
    finally:
        context.close()
