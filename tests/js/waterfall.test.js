import "./dom.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { Waterfall } from "../../frontend/js/waterfall.js";
import { page } from "./dom.js";

// The shape of pods/web/templates/pods/_waterfall.html (bars by pods/web/waterfall/markup.py): 1000 layout
// units for 100 s, three lanes; one element per bar, the back-offs' dashes a path per lane (a line of its own
// while one grows), the bars' details in the section's JSON.
const DETAILS = {
  sched: "scheduled in 2s",
  "i0-a1": "migrate attempt 1",
  "i0-a1-backoff": "back-off 10s",
  "i0-a2": "migrate attempt 2",
  "i0-a2-backoff": "back-off…",
  "c1-pull": "image pull 6s",
  "c1-a1": "app running",
};
const CHART = `
<section id="waterfall" data-width="1000" data-span="100" data-live="1" data-tick-steps="0.1 0.5 1 5 10 30 60">
  <span data-zoom-range></span>
  <button data-zoom="in">+</button><button data-zoom="reset">Reset</button>
  <svg class="wf-chart">
    <g class="wf-axis"></g>
    <svg class="wf-plot" viewBox="0 0 1000 90" data-width="1000" data-height="90">
      <g class="wf-rows"><rect class="wf-row" x="0" width="1000"></rect><rect class="wf-row" x="0" width="1000"></rect></g>
      <g class="wf-grid"></g>
      <g class="wf-lane" id="lane-scheduling">
        <rect class="wf-seg" id="sched" tabindex="0" x="0" width="20"></rect>
      </g>
      <g class="wf-lane" id="lane-i0">
        <path class="wf-backoff-line" d="M130 39H230"></path>
        <line class="wf-backoff-line is-open" data-live="1" x1="330" x2="1000"></line>
        <rect class="wf-seg" id="i0-a1" tabindex="-1" x="30" width="100"></rect>
        <rect class="wf-seg wf-backoff" id="i0-a1-backoff" tabindex="-1" x="130" width="100"></rect>
        <rect class="wf-seg" id="i0-a2" tabindex="-1" x="230" width="100"></rect>
        <rect class="wf-seg wf-backoff" id="i0-a2-backoff" tabindex="-1" data-live="1" x="330" width="670"></rect>
      </g>
      <g class="wf-lane" id="lane-c0"></g>
      <g class="wf-lane" id="lane-c1">
        <rect class="wf-seg" id="c1-pull" tabindex="-1" x="240" width="60"></rect>
        <rect class="wf-seg" id="c1-a1" tabindex="-1" x="900" width="100" data-live="1"></rect>
      </g>
      <rect class="wf-brush"></rect>
    </svg>
    <g class="wf-notes"><text data-x="500">back-off</text></g>
    <g class="wf-mark-labels"></g>
  </svg>
  <p data-wf-detail>Hover or focus a bar</p>
  <script id="wf-details" type="application/json">${JSON.stringify(DETAILS)}</script>
</section>`;

function chart() {
  const body = page(CHART);
  let ms = 0;
  const waterfall = new Waterfall(body.querySelector("#waterfall"), { now: () => ms }).init();
  return { waterfall, advance: (seconds) => (ms += seconds * 1000) };
}

const $ = (id) => document.getElementById(id);
const press = (key, options = {}) =>
  document.activeElement.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, ...options }));
const tabStops = () => [...document.querySelectorAll('.wf-seg[tabindex="0"]')].map((seg) => seg.id);

test("while live, the axis runs on and running bars grow with it", () => {
  const { waterfall, advance } = chart();
  advance(10); // 10 s at 10 units a second
  waterfall.grow();
  assert.equal($("c1-a1").getAttribute("width"), "200.00");
  assert.equal($("i0-a2-backoff").getAttribute("width"), "770.00");
  assert.equal(document.querySelector("line.wf-backoff-line").getAttribute("x2"), "1100.00");
  assert.equal(document.querySelector("path.wf-backoff-line").getAttribute("d"), "M130 39H230");
  assert.equal($("i0-a1").getAttribute("width"), "100", "finished bars do not grow");
  assert.equal(document.querySelector(".wf-row").getAttribute("width"), "1100.00");
  assert.equal(document.querySelector(".wf-plot").getAttribute("viewBox"), "0 0 1100 90");
  assert.equal(waterfall.span, 110);
});

test("a zoomed view stays where it is while the axis grows", () => {
  const { waterfall, advance } = chart();
  waterfall.setView(100, 300);
  advance(5);
  waterfall.grow();
  assert.equal(document.querySelector(".wf-plot").getAttribute("viewBox"), "100 0 200 90");
  assert.deepEqual(waterfall.viewSeconds(), [10, 30]);
  assert.equal(document.querySelector("[data-zoom-range]").textContent, "10s – 30s");
});

test("a finished Pod's waterfall does not grow", () => {
  const body = page(CHART.replace('data-live="1" data-tick', 'data-live="0" data-tick'));
  let ms = 0;
  const waterfall = new Waterfall(body.querySelector("#waterfall"), { now: () => ms }).init();
  ms = 10000;
  waterfall.grow();
  assert.equal($("c1-a1").getAttribute("width"), "100");
});

test("zoom keys and buttons change the plot's viewBox only, and reset shows everything", () => {
  const { waterfall } = chart();
  document.querySelector("[data-zoom=in]").click(); // a button: around the view's middle
  assert.equal(document.querySelector(".wf-plot").getAttribute("viewBox"), "250 0 500 90");
  assert.equal(document.querySelector(".wf-notes text").getAttribute("x"), "50.000%");
  document.querySelector("[data-zoom=reset]").click();
  assert.equal(waterfall.zoomed, false);
  assert.equal(document.querySelector("[data-zoom-range]").textContent, "");
});

test("ticks use the server's round steps", () => {
  const { waterfall } = chart();
  const labels = () => [...document.querySelectorAll(".wf-axis text")].map((t) => t.textContent);
  assert.equal(waterfall.tickStep(100, 1000), 10);
  assert.equal(waterfall.tickStep(100, 100), 60 * 2, "past the largest step: its multiples");
  assert.deepEqual(labels().slice(0, 3), ["0", "10s", "20s"]); // happy-dom has no layout: 1000 px
  waterfall.setView(0, 10);
  assert.deepEqual(labels().slice(0, 3), ["0", "100ms", "200ms"]);
});

test("the bars are one tab stop", () => {
  chart();
  assert.deepEqual(tabStops(), ["sched"]);
  assert.equal(document.querySelectorAll('.wf-seg[tabindex="-1"]').length, 6);
});

test("left and right move across the attempts of a lane, in time order", () => {
  chart();
  $("i0-a1").focus();
  press("ArrowRight");
  assert.equal(document.activeElement.id, "i0-a1-backoff");
  press("ArrowRight");
  press("ArrowRight");
  press("ArrowRight"); // stays at the end
  assert.equal(document.activeElement.id, "i0-a2-backoff");
  press("ArrowLeft");
  assert.equal(document.activeElement.id, "i0-a2");
  assert.deepEqual(tabStops(), ["i0-a2"]);
});

test("up and down move to the closest bar in time of the next lane with bars", () => {
  chart();
  $("i0-a2").focus(); // 230..330
  press("ArrowDown"); // lane-c0 has no bars
  assert.equal(document.activeElement.id, "c1-pull");
  press("ArrowDown"); // no lane below
  assert.equal(document.activeElement.id, "c1-pull");
  press("ArrowUp");
  assert.equal(document.activeElement.id, "i0-a2");
  press("ArrowUp");
  assert.equal(document.activeElement.id, "sched");
  assert.deepEqual(tabStops(), ["sched"]);
});

test("Home and End go to a lane's first and last bar, with Ctrl to the chart's", () => {
  chart();
  $("i0-a2").focus();
  press("Home");
  assert.equal(document.activeElement.id, "i0-a1");
  press("End");
  assert.equal(document.activeElement.id, "i0-a2-backoff");
  press("End", { ctrlKey: true });
  assert.equal(document.activeElement.id, "c1-a1");
  press("Home", { ctrlKey: true });
  assert.equal(document.activeElement.id, "sched");
});

test("the focused bar's details show below the chart; Enter keeps them", () => {
  chart();
  const detail = document.querySelector("[data-wf-detail]");
  $("i0-a1").focus();
  assert.equal(detail.textContent, "migrate attempt 1");
  press("ArrowRight");
  assert.equal(detail.textContent, "back-off 10s");
  press("Enter");
  assert.ok($("i0-a1-backoff").classList.contains("is-selected"));
  document.querySelector(".wf-plot").dispatchEvent(new PointerEvent("pointerleave"));
  assert.equal(detail.textContent, "back-off 10s");
});

test("a bar gets its tooltip, its details as <title>, when first hovered or focused", () => {
  chart();
  assert.equal(document.querySelectorAll(".wf-seg title").length, 0, "none in the markup");
  $("i0-a2").dispatchEvent(new PointerEvent("pointerover", { bubbles: true }));
  assert.equal($("i0-a2").querySelector("title").textContent, "migrate attempt 2");
  assert.equal(document.querySelector("[data-wf-detail]").textContent, "migrate attempt 2");
  $("c1-pull").focus();
  $("i0-a2").dispatchEvent(new PointerEvent("pointerover", { bubbles: true }));
  assert.equal($("i0-a2").querySelectorAll("title").length, 1, "made once");
  assert.equal($("c1-pull").querySelector("title").textContent, "image pull 6s");
});

test("a bar without details keeps the hint", () => {
  const body = page(CHART.replace('"sched":"scheduled in 2s",', ""));
  new Waterfall(body.querySelector("#waterfall")).init();
  $("sched").focus();
  assert.equal(document.querySelector("[data-wf-detail]").textContent, "Hover or focus a bar");
  assert.equal($("sched").querySelector("title"), null);
});

test("a keyboard move to a bar outside a zoomed view pans the view to it", () => {
  const { waterfall } = chart();
  waterfall.setView(0, 200);
  $("i0-a1").focus();
  press("ArrowRight");
  press("ArrowRight"); // i0-a2 at 230..330
  assert.deepEqual(waterfall.view, [180, 380]);
});

test("the current bar can be carried over to a fresh layout", () => {
  const { waterfall } = chart();
  waterfall.rove($("c1-pull"));
  assert.deepEqual(tabStops(), ["c1-pull"]);
  assert.notEqual(document.activeElement, $("c1-pull"));
});

test('"+" zooms around the focused bar, not the middle of the view', () => {
  const { waterfall } = chart();
  $("c1-a1").focus(); // 900..1000
  press("+");
  assert.deepEqual(waterfall.view, [500, 1000]);
  press("+");
  assert.deepEqual(waterfall.view, [750, 1000]);
  assert.equal(document.activeElement, $("c1-a1"));
  $("i0-a1").focus(); // 30..130: out of view, so around its own middle
  press("+");
  assert.deepEqual(waterfall.view, [17.5, 142.5]);
});

test("after a zoom the tab stop and the focus move to a bar in view, the nearest of the lane first", () => {
  const { waterfall } = chart();
  $("i0-a1").focus(); // 30..130
  waterfall.setView(600, 700); // only the running back-off of that lane shows
  assert.equal(document.activeElement, $("i0-a2-backoff"));
  assert.deepEqual(tabStops(), ["i0-a2-backoff"]);
  waterfall.setView(0, 10); // nothing of that lane: the scheduling bar
  assert.equal(document.activeElement, $("sched"));
  assert.deepEqual(tabStops(), ["sched"]);
});

test("a zoom keeps a tab stop in view even without focus, and does not take the focus", () => {
  const { waterfall } = chart();
  document.querySelector("[data-zoom=in]").focus();
  waterfall.setView(900, 1000);
  assert.deepEqual(tabStops(), ["c1-a1"]);
  assert.equal(document.activeElement, document.querySelector("[data-zoom=in]"));
});

test("up and down move between lanes in a zoomed view too", () => {
  const { waterfall } = chart();
  waterfall.setView(200, 400);
  $("i0-a2").focus();
  press("ArrowDown");
  assert.equal(document.activeElement.id, "c1-pull");
  press("ArrowUp");
  assert.equal(document.activeElement.id, "i0-a2");
});
