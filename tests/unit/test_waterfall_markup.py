"""The waterfall's bars as markup (`pods.web.waterfall.markup`): one element per bar, the back-offs' dashes
a path per lane, every cluster string escaped, the details apart as data."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from pods.web.waterfall import markup, waterfall_layout
from tests.unit.waterfall_documents import T0, at, attempt, container, crash_looping, document

NOW = T0 + timedelta(seconds=80)


def _tags(html: str) -> list[str]:
    return re.findall(r"<(\w+)[ >]", html)


def test_each_bar_is_one_element_in_time_order_with_one_tab_stop():
    layout = waterfall_layout(crash_looping(), now=NOW)
    html = markup.lanes(layout)
    bars = re.findall(r'<(rect|g) class="wf-seg ([^"]*)" id="([^"]+)" tabindex="(-1|0)"', html)
    drawn = [seg for lane in layout.lanes for seg in lane.segments]
    assert [bar[2] for bar in bars] == [seg.id for seg in drawn]
    assert [bar[3] for bar in bars].count("0") == 1 and bars[0][2] == "sched" and bars[0][3] == "0"
    migrate = html.split('data-container="migrate"')[1].split("</g>")[0]
    assert re.findall(r'class="wf-seg wf-attempt is-(\w+)"', migrate) == ["failed", "failed", "failed"]
    # nothing inside a bar: no <title>, no hit area, no line per back-off
    assert "<title>" not in html and "wf-hit" not in html
    assert _tags(migrate).count("rect") == 6 and "<g" not in migrate  # 3 attempts, 3 back-offs


def test_finished_back_offs_are_one_dashed_path_and_the_open_one_a_growing_line():
    layout = waterfall_layout(crash_looping(), now=NOW)
    lane = next(lane for lane in layout.lanes if lane.name == "migrate")
    html = markup.lanes(layout)
    gaps = [seg for seg in lane.segments if seg.kind == "backoff"]
    y = lane.mid_y
    path = f'd="M{gaps[0].x} {y}H{gaps[0].right}M{gaps[1].x} {y}H{gaps[1].right}"'
    assert path in html
    (line,) = re.findall(r'<line class="wf-backoff-line is-open"[^>]*>', html)
    assert 'data-live="1"' in line and f'x1="{gaps[2].x}"' in line and f'x2="{gaps[2].right}"' in line
    # the open back-off's bar grows too
    assert re.search(r'<rect class="wf-seg wf-backoff is-open" id="c1-g0-a2-backoff"[^>]*data-live="1"', html)
    assert html.count('class="wf-seg wf-backoff is-gap"') == 2


def test_prefixed_ids_and_details_by_bar():
    layout = waterfall_layout(crash_looping(), now=NOW)
    html = markup.lanes(layout, "p1-")
    assert 'id="p1-lane-c1"' in html and 'id="p1-c1-g0-a2"' in html and 'id="c1-g0-a2"' not in html
    details = markup.details(layout, "p1-")
    assert "relation x missing" in details["p1-c1-g0-a2"] and "exit 1" in details["p1-c1-g0-a2"]
    assert set(details) == set(re.findall(r'class="wf-seg[^"]*" id="([^"]+)"', html))


def test_an_image_already_present_is_its_mark():
    pull = {"started_at": None, "finished_at": at(3), "pull_seconds": None, "wait_seconds": None,
            "image_bytes": None, "already_present": True}  # fmt: skip
    doc = document([container("init", 0, attempts=[attempt(0, 4, 6, 0)], pull=pull)])
    html = markup.lanes(waterfall_layout(doc, now=T0 + timedelta(seconds=10)))
    (present,) = re.findall(r'<g class="wf-seg wf-present"[^>]*><line[^>]*></line></g>', html)
    assert 'data-segment="pull"' in present


def test_cluster_strings_are_escaped():
    evil = '"><script>alert(1)</script>{x}'
    doc = document(
        [container(evil, 0, attempts=[attempt(0, 4, 6, 1, evil, message=evil)], state_reason=evil)]
    )
    html = markup.lanes(waterfall_layout(doc, now=T0 + timedelta(seconds=10)))
    assert "<script>" not in html and '"><script' not in html
    assert 'data-container="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;{x}"' in html
    assert 'aria-label="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;{x} attempt 0: failed' in html


def test_the_page_writes_the_details_as_json_that_cannot_close_its_script():
    from pods.web.templatetags.initscope import waterfall_details

    evil = "</script><script>alert(1)</script>"
    doc = document([container("init", 0, attempts=[attempt(0, 4, 6, 1, "Error", message=evil)])])
    layout = waterfall_layout(doc, now=T0 + timedelta(seconds=10))
    html = str(waterfall_details(layout, "p0-"))
    assert html.startswith('<script id="p0-wf-details" type="application/json">')
    assert html.count("</script>") == 1 and "<script>" not in html
    body = html.removeprefix('<script id="p0-wf-details" type="application/json">').removesuffix("</script>")
    assert evil in json.loads(body)["p0-c0-g0-a0"]


def test_the_labels_beside_the_bars_are_escaped_text_at_percentage_x():
    layout = waterfall_layout(crash_looping(), now=NOW, width=1000)
    labelled = [(lane, s) for lane in layout.lanes for s in lane.segments if s.label]
    assert labelled
    labelled[0][1].label = "<b>Err&</b>"  # a waiting reason is the cluster's words
    html = markup.notes(layout)
    assert html.count("<text ") == len(labelled)
    for lane, s in labelled:
        text = s.label.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert (
            f'<text class="wf-note wf-note--{s.kind}" x="{s.mid / 10:.3f}%" y="{lane.text_y}"'
            f' data-x="{s.mid}" data-w="{s.w}">{text}</text>'
        ) in html
    assert "<b>" not in html


def test_a_time_is_formatted_once_a_layout_and_as_format_utc_does():
    from pods.timeline.times import format_utc

    layout = waterfall_layout(crash_looping(), now=NOW)
    lane = next(lane for lane in layout.lanes if lane.name == "migrate")
    first, gap = lane.segments[0], next(s for s in lane.segments if s.kind == "backoff")
    assert f"finished {format_utc(first.end)}" in first.title
    assert gap.title.split("\n")[1] == f"{format_utc(gap.start)} → {format_utc(gap.end)}"
