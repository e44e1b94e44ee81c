import "./dom.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { setUpReportPage } from "../../frontend/js/report-print.js";
import { page } from "./dom.js";

// The shape of pods/web/templates/pods/incident.html: two waterfalls (ids prefixed per Pod), a print button.
const WATERFALL = (prefix) => `
<section class="card wf" id="${prefix}waterfall" data-width="1000" data-span="100" data-live="0" data-tick-steps="1 10 60">
  <button data-zoom="in">+</button><button data-zoom="reset">Reset</button>
  <svg class="wf-chart"><g class="wf-axis"></g>
    <svg class="wf-plot" viewBox="0 0 1000 30" data-width="1000" data-height="30">
      <g class="wf-rows"></g><g class="wf-grid"></g>
      <g class="wf-lane" id="${prefix}lane-i0"><rect class="wf-seg" id="${prefix}i0-a1" tabindex="0" x="30" width="100"></rect></g>
      <rect class="wf-brush"></rect>
    </svg>
  </svg>
  <p data-wf-detail>Hover</p>
</section>`;

test("every waterfall of the page gets its own zoom, and the print button prints", () => {
  const body = page(
    `<main><button data-print>Print / Save as PDF</button>
     <time data-time="2025-06-01T10:00:00Z">2025-06-01 10:00:00Z</time>${WATERFALL("p0-")}${WATERFALL("p1-")}</main>`,
  );
  let printed = 0;
  const waterfalls = setUpReportPage(body, { print: () => printed++ });
  assert.equal(waterfalls.length, 2);
  body.querySelector("#p1-waterfall [data-zoom=in]").click();
  assert.notEqual(body.querySelector("#p1-waterfall .wf-plot").getAttribute("viewBox"), "0 0 1000 30");
  assert.equal(body.querySelector("#p0-waterfall .wf-plot").getAttribute("viewBox"), "0 0 1000 30");
  body.querySelector("[data-print]").click();
  assert.equal(printed, 1);
  assert.match(body.querySelector("time").title, /UTC/);
});
