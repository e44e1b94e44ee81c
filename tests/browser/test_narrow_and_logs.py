"""Narrow screens, the keyboard on a zoomed waterfall, and the log panel, in chromium (see conftest.py).

At 390 px (a phone) the list and the Pod page fit the width: the page never scrolls sideways, wide tables
scroll inside their card. At 1024 px every column of the list is on screen, with the samples' long
STATUS values (Init:CreateContainerConfigError) too, and a row's diagnosis is never cut (the ConfigMap or
image it names stays readable). The log panel says which
attempt it shows, never shows the previous attempt with the current one's lines, and copies them.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import ARTIFACTS, CLUSTER, ROOT, import_recording, screenshot, wait_for

TIMEOUT_MS = 20_000
SAMPLES = "narrow-samples"
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _uid_of(kubesim, name: str) -> str:
    return wait_for(lambda: next((r["uid"] for r in kubesim.ground_truth() if r.get("pod") == name), None))


@contextmanager
def sized_page(browser, login_state, width: int, height: int = 900, **options):
    context = browser.new_context(
        storage_state=login_state, viewport={"width": width, "height": height}, **options
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    try:
        yield page
    finally:
        context.close()


def _open_pod(page, server_url, uid: str) -> None:
    page.goto(f"{server_url}/pods/{uid}/?cluster={CLUSTER}")
    expect(page.locator("#waterfall")).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")


def _wide_elements(page) -> list[str]:
    """What sticks out of the viewport (for the failure message)."""
    script = """() => [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
        && !el.closest('.table-wrap') && !el.closest('svg'))
      .slice(0, 8).map((el) => `${el.tagName.toLowerCase()}.${el.className}`)"""
    return page.evaluate(script)


@pytest.mark.parametrize("width", [390])
def test_the_list_and_the_pod_page_fit_a_narrow_screen(browser, login_state, server_url, kubesim, width):
    uid = _uid_of(kubesim, "api-crashloop")
    with sized_page(browser, login_state, width, 844) as page:
        page.goto(f"{server_url}/")
        expect(page.locator("#pods")).to_be_visible(timeout=TIMEOUT_MS)
        assert page.evaluate(OVERFLOW) <= 0, f"the list scrolls sideways: {_wide_elements(page)}"
        wrap = page.locator("#pods").locator("xpath=..")
        # (re-resolved on every try: a live refresh may swap the list in meanwhile)
        expect(wrap).to_have_css("overflow-x", "auto")
        screenshot(page, f"narrow-{width}-list")

        _open_pod(page, server_url, uid)
        assert page.evaluate(OVERFLOW) <= 0, f"the Pod page scrolls sideways: {_wide_elements(page)}"
        # The image name wraps at its separators, never inside a word.
        image = page.locator(".containers-table td.image").first
        assert image.locator("wbr").count() >= 1
        screenshot(page, f"narrow-{width}-pod")
        page.screenshot(path=str(ARTIFACTS / f"narrow-{width}-pod-top.png"))
        assert not page.errors


def test_every_column_of_the_list_shows_at_1024(browser, login_state, server_url):
    with sized_page(browser, login_state, 1024, 768) as page:
        page.goto(f"{server_url}/")
        expect(page.locator("#pods")).to_be_visible(timeout=TIMEOUT_MS)
        assert page.evaluate(OVERFLOW) <= 0
        # One read of the layout (the live list may swap its fragment in between two reads).
        measure = """() => {
          const wrap = document.querySelector('#pods').parentElement;
          const right = wrap.getBoundingClientRect().right;
          return {
            scrolls: wrap.scrollWidth > wrap.clientWidth,
            off: [...document.querySelectorAll('#pods thead th')]
              .filter((th) => th.getBoundingClientRect().right > right + 1 || !th.getClientRects().length)
              .map((th) => th.textContent.trim()),
            columns: document.querySelectorAll('#pods thead th').length,
          };
        }"""
        layout = page.evaluate(measure)
        assert layout["columns"] >= 8
        assert layout["off"] == [] and not layout["scrolls"], f"columns fall off: {layout}"
        screenshot(page, "list-1024")


@pytest.fixture(scope="module")
def samples_cluster(server_url) -> str:
    """The bundled recordings, as `make demo` shows them beside a live cluster: the list's longest words, a
    STATUS of 31 characters (Init:CreateContainerConfigError, whose diagnosis ends with the ConfigMap's
    name) and an image pull whose diagnosis names the image four times."""
    import_recording(SAMPLES, *sorted((ROOT / "samples").glob("[0-9]*.json")))
    return SAMPLES


CUT_SUMMARIES = """() => [...document.querySelectorAll('#pods .diag-summary')]
  .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.textContent)"""


@pytest.mark.parametrize("width", [1024, 390])
def test_the_list_keeps_every_column_and_whole_diagnoses(
    browser, login_state, server_url, samples_cluster, width
):
    with sized_page(browser, login_state, width, 844) as page:
        page.goto(f"{server_url}/")  # every cluster, each row tagged with its cluster's name, stuck first
        expect(page.locator("#pods")).to_be_visible(timeout=TIMEOUT_MS)
        expect(page.locator("#pods")).to_contain_text("CreateContainerConfigError")
        assert page.evaluate(OVERFLOW) <= 0, f"the list scrolls sideways: {_wide_elements(page)}"
        if width == 1024:
            wrap = page.evaluate(
                "(() => { const w = document.querySelector('#pods').parentElement;"
                " return [w.scrollWidth, w.clientWidth]; })()"
            )
            assert wrap[0] <= wrap[1], f"the list's columns fall off its card at 1024 px: {wrap}"
        config = page.locator("#pods [data-field=diagnosis]").filter(has_text="CreateContainerConfigError")
        expect(config).to_contain_text('configmap "app-config" not found')
        assert page.evaluate(CUT_SUMMARIES) == [], "a diagnosis is cut"
        screenshot(page, f"list-samples-{width}")
        assert not page.errors


# Each row of the list is laid out alone, as a grid of the table's one column template (app.css,
# .pods-table): the cells must still line up under their headers, no value may spill into the next
# column, and chromium's accessibility tree must still hold a table of rows and cells (rows off screen,
# skipped by content-visibility, included).
COLUMNS = """() => {
  const heads = [...document.querySelectorAll('#pods thead th')].map((th) => th.getBoundingClientRect());
  const rows = [...document.querySelectorAll('#pods tbody tr')].slice(0, 12);
  return {
    heads: heads.length,
    rows: document.querySelectorAll('#pods tbody tr').length,
    misaligned: rows.flatMap((tr) => [...tr.cells].map((td, i) => [td, i]))
      .filter(([td, i]) => Math.abs(td.getBoundingClientRect().left - heads[i].left) > 1
        || Math.abs(td.getBoundingClientRect().width - heads[i].width) > 1)
      .map(([td, i]) => `${td.closest('tr').id} column ${i}`),
    spilling: [...document.querySelectorAll('#pods td')]
      .filter((td) => td.scrollWidth > td.clientWidth + 1)
      .map((td) => `${td.closest('tr').id}: ${td.textContent.trim().slice(0, 40)}`),
  };
}"""


@pytest.mark.parametrize("width", [1360, 1024])
def test_the_list_rows_line_up_under_their_headers_and_stay_a_table_to_assistive_technology(
    browser, login_state, server_url, samples_cluster, width
):
    with sized_page(browser, login_state, width, 600) as page:
        page.goto(f"{server_url}/")
        expect(page.locator("#pods")).to_contain_text("CreateContainerConfigError", timeout=TIMEOUT_MS)
        layout = page.evaluate(COLUMNS)
        assert layout["heads"] == 9 and layout["rows"] >= 5, layout
        assert layout["misaligned"] == [], f"cells off their header's column: {layout['misaligned']}"
        assert layout["spilling"] == [], f"values spill out of their cells: {layout['spilling']}"
        cdp = page.context.new_cdp_session(page)
        cdp.send("Accessibility.enable")
        roles: dict[str, int] = {}
        for node in cdp.send("Accessibility.getFullAXTree")["nodes"]:
            role = (node.get("role") or {}).get("value", "")
            roles[role] = roles.get(role, 0) + 1
        assert roles.get("table") == 1, roles
        assert roles.get("columnheader") == 9, roles
        assert roles.get("row", 0) == layout["rows"] + 1, roles  # the header row and every Pod's
        assert roles.get("cell", 0) == 9 * layout["rows"], roles
        assert not page.errors


def test_after_zooming_the_focused_bar_stays_inside_the_chart(browser, login_state, server_url, kubesim):
    uid = _uid_of(kubesim, "api-crashloop")
    with sized_page(browser, login_state, 1360) as page:
        _open_pod(page, server_url, uid)
        bar = page.locator('g.wf-lane[data-container="migrate"] rect.wf-attempt').last
        bar.focus()
        for _ in range(4):
            page.keyboard.press("+")
        assert page.evaluate("document.activeElement.classList.contains('wf-seg')")
        inside = """() => {
          const chart = document.querySelector('.wf-chart').getBoundingClientRect();
          const bar = document.activeElement.getBoundingClientRect();
          return bar.right > chart.left && bar.left < chart.right;
        }"""
        assert page.evaluate(inside), "the focused bar is out of the zoomed view"
        page.click("[data-zoom=reset]")
        page.locator("[data-zoom=in]").click()
        page.locator("[data-zoom=in]").click()
        page.locator("[data-zoom=in]").click()
        page.locator("[data-zoom=in]").click()
        page.keyboard.press("Shift+Tab")  # back into the chart: the tab stop is a bar in view
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
        screenshot(page, "waterfall-zoomed-focus")
        assert not page.errors


def test_the_log_panel_tells_attempts_apart_and_copies(browser, login_state, server_url, kubesim):
    uid = _uid_of(kubesim, "api-crashloop")
    with sized_page(browser, login_state, 390, 844) as page:
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server_url)
        _open_pod(page, server_url, uid)
        status = page.locator("[data-logs-status]")
        output = page.locator("[data-logs-output]")
        # The newest attempt's "Log" link, beside it in the attempts table, opens the panel on it.
        link = (
            page.locator("#attempts-table, .attempts-table")
            .locator("[data-logs-open][data-container=migrate]")
            .first
        )
        link.click()
        expect(status).to_contain_text("of migrate, live from the cluster", timeout=TIMEOUT_MS)
        expect(status).to_contain_text("(current)")
        assert page.evaluate("document.activeElement.matches('[data-logs-status]')")
        current = output.inner_text()
        assert current.strip()

        page.click("[data-logs-load=previous]")
        expect(output).to_have_attribute("data-previous", "1", timeout=TIMEOUT_MS)
        expect(status).to_contain_text("(previous)")
        assert output.is_hidden() or output.inner_text() != current, "previous shown with the current lines"

        copy = page.locator("[data-logs-copy]")
        expect(copy).to_be_visible()
        expect(copy).to_have_attribute("aria-label", "Copy the log lines")
        copy.click()
        expect(copy).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == output.inner_text()

        page.check("[data-logs-timestamps]")
        expect(status).to_contain_text("with timestamps", timeout=TIMEOUT_MS)
        assert output.inner_text()[:4].isdigit(), "each line starts with the kubelet's time"

        # The wait-for-db container ran once: no previous attempt, and the panel says so.
        page.select_option("#logs-container", "wait-for-db")
        page.click("[data-logs-load=previous]")
        expect(status).to_contain_text("the container has no previous attempt", timeout=TIMEOUT_MS)
        expect(output).to_be_hidden()
        assert page.evaluate(OVERFLOW) <= 0
        screenshot(page, "narrow-390-logs")
        page.locator("#logs").screenshot(path=str(ARTIFACTS / "narrow-390-logs-panel.png"))
        assert not page.errors
