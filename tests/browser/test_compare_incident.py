"""The compare page and the incident report in chromium, over a recording imported into the server's
database (`manage.py import_watch`, as an SRE would): Deployment/api's `migrate` took 1 s on 2025-06-01
(Pod `api-…-before`) and crash-looped on 2025-06-02 (Pod `api-…-after`, 4 failures of 2 s)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ROOT, import_recording, screenshot
from tests.builders import crash_loop_sequence, event, rebased, running_pod

RECORDED = "rec-incident"
BEFORE, AFTER = "uid-before-0001", "uid-after-0001"
DAY_A = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
DAY_B = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
TIMEOUT_MS = 20_000
COMPARE = (
    "/reports/compare/?cluster=" + RECORDED + "&source=raw&min_attempts=1"
    "&a_since=2025-06-01T00:00:00Z&a_until=2025-06-02T00:00:00Z"
    "&b_since=2025-06-02T00:00:00Z&b_until=2025-06-03T00:00:00Z"
)
INCIDENT = (
    "/reports/incident/?cluster=" + RECORDED + "&namespace=shop&workload=Deployment/api"
    "&since=2025-06-02T10:00:00Z&until=2025-06-02T11:00:00Z"
)


@pytest.fixture(scope="module")
def recorded(server_url, tmp_path_factory) -> str:
    before = running_pod()
    before["metadata"].update(uid=BEFORE, name="api-7d9f8c6b5-before")
    after = crash_loop_sequence(
        message="relation <b>orders</b> missing", uid=AFTER, name="api-7d9f8c6b5-after"
    )
    back_off = event(
        "BackOff", "Back-off restarting failed container migrate <img src=x onerror=alert(1)>",
        when=24, last_when=112, count=4, etype="Warning", container="migrate", pod_uid=AFTER,
        pod_name="api-7d9f8c6b5-after",
    )  # fmt: skip
    objects = [rebased(before, DAY_A), *rebased([*after, back_off], DAY_B)]
    path = tmp_path_factory.mktemp("recording") / "incident.jsonl"
    path.write_text("".join(json.dumps({"type": "MODIFIED", "object": o}) + "\n" for o in objects))
    import_recording(RECORDED, path)
    return server_url


def test_the_compare_page_highlights_the_regression_in_words(page, recorded):
    page.goto(f"{recorded}/reports/")
    expect(page.locator("[data-compare-link]")).to_have_attribute("href", "/reports/compare/")
    page.goto(recorded + COMPARE)
    migrate = page.locator('.compare-table tr[data-container="migrate"]')
    expect(migrate).to_have_attribute("data-regression", "1")
    expect(migrate).to_have_class(re.compile(r"\bis-regression\b"))
    verdict = migrate.locator("[data-field=verdict]")
    expect(verdict).to_contain_text("Regression")
    expect(verdict).to_contain_text("failure rate +100.0 points")
    expect(verdict).to_contain_text("p95 +100.0 %")
    expect(page.locator('.compare-table tr[data-container="db"]')).to_have_attribute("data-regression", "0")
    expect(page.locator("[data-field=regressions]")).to_contain_text("1 regression")
    screenshot(page, "compare-regression")
    assert not page.errors


def test_the_incident_page_links_its_waterfall_to_the_pod_and_prints_without_the_nav(page, recorded):
    page.goto(recorded + INCIDENT)
    expect(page.locator("[data-field=failed]").first).to_have_text("4")
    expect(page.locator("#reasons")).to_contain_text("relation <b>orders</b> missing")  # as text, escaped
    expect(page.locator("#events")).to_contain_text("onerror=alert(1)>")
    assert page.evaluate("() => document.querySelector('#events img') === null")
    waterfall = page.locator("#slowest-1")
    expect(waterfall).to_have_attribute("data-uid", AFTER)
    expect(waterfall.locator("section.wf .wf-seg").first).to_be_visible()
    expect(waterfall.locator("g.wf-lane[data-container=migrate] rect.wf-attempt")).to_have_count(4)
    link = waterfall.locator("[data-pod-link]")
    expect(link).to_have_attribute("href", f"/pods/{AFTER}/?cluster={RECORDED}")
    expect(page.locator("[data-download-json]")).to_have_attribute("href", re.compile(r"format=json"))
    expect(page.locator("button[data-print]")).to_be_visible()
    screenshot(page, "incident-report")

    page.emulate_media(media="print")
    expect(page.locator("nav.topnav")).to_be_hidden()
    expect(page.locator("[data-live-indicator]")).to_be_hidden()
    expect(page.locator("button[data-print]")).to_be_hidden()
    expect(page.locator("#reasons")).to_be_visible()
    assert page.evaluate("() => getComputedStyle(document.querySelector('#timeline')).breakBefore") == "page"
    page.pdf(path=str(ROOT / "test-artifacts" / "incident.pdf"), landscape=True, format="A4")
    page.emulate_media(media="screen")
    expect(page.locator("nav.topnav")).to_be_visible()

    link.click()
    expect(page).to_have_url(re.compile(rf"/pods/{AFTER}/"))
    expect(page.locator("#waterfall")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("h1")).to_contain_text("api-7d9f8c6b5-after")
    assert not page.errors


def test_both_pages_fit_a_narrow_screen(page, recorded):
    page.set_viewport_size({"width": 390, "height": 844})
    for url in (COMPARE, INCIDENT):
        page.goto(recorded + url)
        expect(page.locator("h1")).to_be_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"{url} scrolls sideways at 390 px ({width} px)"
    screenshot(page, "incident-narrow")
    assert not page.errors
