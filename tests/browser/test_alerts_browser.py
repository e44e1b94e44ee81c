"""The alerts page in a browser: the server's own beat, with the default rules and no receiver, opens an
alert for the crash-looping Pod (its termination message hostile); the page lists it, the message inert,
and links to the Pod's waterfall."""

from __future__ import annotations

from playwright.sync_api import expect

from .helpers import CLUSTER, screenshot, wait_for

TIMEOUT_MS = 20_000


def test_the_alerts_page_lists_an_alert_and_links_to_its_pod(page, server_url):
    def crash_alert() -> list[dict]:
        alerts = page.request.get(f"{server_url}/api/v1/alerts?status=open").json()["results"]
        return [a for a in alerts if a["pod"] and a["pod"]["name"] == "api-crashloop"]

    # beat evaluates every 2 s here (conftest.py); `migrate` reached the default rule's 3 attempts as the
    # scenario played
    (alert,) = wait_for(crash_alert, 45, interval=0.5, message="the default rules' alert for `api-crashloop`")
    assert (alert["cluster"], alert["cause"], alert["container"]) == (CLUSTER, "crash-loop", "migrate")
    page.goto(f"{server_url}/alerts/")
    expect(page.locator('nav.topnav a[aria-current="page"]')).to_have_text("Alerts")
    row = page.locator(f'#alerts tr[data-alert="{alert["id"]}"]')
    expect(row).to_have_attribute("data-status", "open")
    expect(row.locator(".diagnosis")).to_contain_text("<script>window.__xss = 1</script>")  # as text
    assert page.evaluate("() => window.__xss") is None
    screenshot(page, "alerts")
    row.locator('a[data-link="pod"]').click()
    expect(page).to_have_url(f"{server_url}/pods/{alert['pod']['uid']}/")
    expect(page.locator("h1")).to_contain_text("api-crashloop", timeout=TIMEOUT_MS)
    expect(page.locator("#waterfall")).to_be_visible(timeout=TIMEOUT_MS)
    assert not page.errors
