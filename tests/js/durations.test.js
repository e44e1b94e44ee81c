import "./dom.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeViewport, page } from "./dom.js";

const { observers, report } = fakeViewport(); // before live.js makes its IntersectionObserver
const { updateFreshDurations } = await import("../../frontend/js/live.js");

test("durations off screen are not ticked; one coming into view is ticked at once", () => {
  const since = Date.parse("2026-12-07T10:00:00Z");
  page(`<table><tbody><tr><td><span id="a" data-since="2026-12-07T10:00:00Z">?</span></td></tr>
    <tr><td><span id="b" data-since="2026-12-07T10:00:00Z">?</span></td></tr></tbody></table>`);
  const [a, b] = [document.getElementById("a"), document.getElementById("b")];
  updateFreshDurations(document, since + 5000); // not reported yet: both ticked
  assert.deepEqual([a.textContent, b.textContent], ["5s", "5s"]);
  report(a, true);
  report(b, false);
  updateFreshDurations(document, since + 7000);
  assert.deepEqual([a.textContent, b.textContent], ["7s", "5s"]);
  report(b, true); // scrolled into view: ticked to the clock now, not a second later
  assert.notEqual(b.textContent, "5s");
});

test("a duration removed from the page is no longer observed", () => {
  page(`<span id="c" data-since="2026-12-07T10:00:00Z">?</span>`);
  const c = document.getElementById("c");
  updateFreshDurations(document, Date.parse("2026-12-07T10:00:03Z"));
  assert.ok(observers[0].targets.has(c));
  c.remove();
  updateFreshDurations(document, Date.parse("2026-12-07T10:00:04Z"));
  assert.ok(!observers[0].targets.has(c));
});
