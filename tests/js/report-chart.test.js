import "./dom.js";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, test } from "node:test";
import {
  chartData,
  chartOptions,
  countLabels,
  drawTrend,
  durationLabels,
  trendColumns,
} from "../../frontend/js/report-chart.js";
import { switchBucket, toggleRow } from "../../frontend/js/report-rows.js";
import { formatDuration } from "../../frontend/js/time.js";
import { fakeFetch, page } from "./dom.js";

const bucket = (hour, attempts, failed, p50, p95) => ({
  start: `2025-06-01T${String(hour).padStart(2, "0")}:00:00Z`,
  attempts,
  failed,
  failure_rate: attempts ? failed / attempts : null,
  duration_p50: p50,
  duration_p95: p95,
});
const TREND = {
  since: "2025-06-01T10:00:00Z",
  until: "2025-06-01T13:00:00Z",
  source: "raw",
  bucket: "hour",
  buckets: [bucket(10, 5, 4, 15, 19.5), bucket(11, 0, 0, null, null), bucket(12, 3, 2, 25, 29.5)],
};

/** uPlot's stand-in: records what it was given. */
class FakePlot {
  static paths = { bars: (options) => ({ bars: options }) };
  constructor(options, data, target) {
    Object.assign(this, { options, data, target, height: options.height });
    FakePlot.made.push(this);
  }
  destroy() {
    this.destroyed = true;
  }
}
FakePlot.made = [];

const originalFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = originalFetch;
  FakePlot.made = [];
});

test("the trend becomes uPlot's columns: epoch seconds, durations with gaps, failures where attempts ran", () => {
  assert.deepEqual(trendColumns(TREND), [
    [Date.UTC(2025, 5, 1, 10) / 1000, Date.UTC(2025, 5, 1, 11) / 1000, Date.UTC(2025, 5, 1, 12) / 1000],
    [15, null, 25],
    [19.5, null, 29.5],
    [4, null, 2],
  ]);
  // In the order of the chart's series: x, failed (bars), p50, p95.
  const [xs, failed, p50, p95] = chartData(TREND);
  assert.deepEqual([xs.length, failed, p50, p95], [3, [4, null, 2], [15, null, 25], [19.5, null, 29.5]]);
});

test("axis labels use the one duration formatter and whole counts", () => {
  assert.deepEqual(durationLabels([0, 2.5, 90, 4000, -1, null]), ["0s", "2.5s", "1m30s", "1h6m", "", ""]);
  for (const seconds of [0.4, 12, 168, 3900])
    assert.equal(durationLabels([seconds])[0], formatDuration(seconds));
  assert.deepEqual(countLabels([0, 0.5, 1, 2]), ["0", "", "1", "2"]);
});

test("the chart's options: failures as bars on their own scale, p50/p95 on a duration scale from zero", () => {
  const options = chartOptions(FakePlot, 100, "day");
  assert.equal(options.width, 240, "never narrower than the minimum");
  assert.deepEqual(
    options.series.map((s) => [s.label, s.scale]),
    [
      ["day", undefined],
      ["failed", "n"],
      ["p50", "s"],
      ["p95", "s"],
    ],
  );
  assert.deepEqual(options.series[1].paths, { bars: { size: [0.6, 48] } });
  assert.deepEqual(options.scales.s.range(null, 3, 40), [0, 44]);
  assert.deepEqual(options.scales.n.range(null, null, null), [0, 1]);
  assert.equal(options.series[2].value(null, 125), "2m5s");
  assert.equal(options.series[3].value(null, null), "—");
  assert.deepEqual(options.axes[1].values(null, [0, 60]), ["0s", "1m"]);
});

test("drawTrend reads the embedded trend document and hands it to uPlot", () => {
  page(
    `<div class="trend-chart" data-trend="t1"></div><script id="t1" type="application/json">${JSON.stringify(TREND)}</script>`,
  );
  const holder = document.querySelector("[data-trend]");
  const chart = drawTrend(holder, FakePlot);
  assert.equal(chart.target, holder);
  assert.deepEqual(chart.data, chartData(TREND));
  assert.equal(holder.dataset.drawn, "3");
  assert.equal(drawTrend(holder, undefined), null, "no uPlot, no chart");
});

const TABLE = `
<div class="table-wrap"><table><tbody>
  <tr class="report-row"><td>migrate</td><td>9</td>
    <td><a href="/reports/row/?container=migrate" data-report-row aria-expanded="false">Trend &amp; Pods</a></td></tr>
</tbody></table></div>`;
const FRAGMENT = (bucketName) => `<div class="report-detail" data-row-detail>
  <a href="/reports/row/?container=migrate&bucket=day" data-bucket="day">day</a>
  <div class="trend-chart" data-trend="t-${bucketName}"></div>
  <script id="t-${bucketName}" type="application/json">${JSON.stringify({ ...TREND, bucket: bucketName })}</script>
  <a href="/pods/c/?cluster=c1" data-uid="c">shop/api-1 &lt;b&gt;</a>
</div>`;

test("a row's link opens the server's fragment under the row, and closes it again", async () => {
  page(TABLE);
  globalThis.fetch = fakeFetch(FRAGMENT("hour"));
  const link = document.querySelector("[data-report-row]");
  const detail = await toggleRow(link);
  assert.equal(
    globalThis.fetch.calls[0].url,
    "http://initscope.test/reports/row/?container=migrate&fragment=1",
  );
  assert.equal(link.closest("tr").nextElementSibling, detail);
  assert.equal(detail.querySelector("td").colSpan, 3);
  assert.equal(link.getAttribute("aria-expanded"), "true");
  assert.equal(
    detail.querySelector("[data-uid=c]").textContent,
    "shop/api-1 <b>",
    "the server's escaping kept",
  );
  await toggleRow(link);
  assert.equal(detail.hidden, true);
  assert.equal(link.getAttribute("aria-expanded"), "false");
  assert.equal(globalThis.fetch.calls.length, 1, "closing and reopening needs no new fetch");
  await toggleRow(link);
  assert.equal(detail.hidden, false);
});

test("the bucket switch replaces the row's fragment with the server's for that bucket", async () => {
  page(TABLE);
  globalThis.fetch = fakeFetch(FRAGMENT("hour"));
  const detail = await toggleRow(document.querySelector("[data-report-row]"));
  globalThis.fetch = fakeFetch(FRAGMENT("day"));
  await switchBucket(detail.querySelector("[data-bucket]"));
  assert.equal(
    globalThis.fetch.calls[0].url,
    "http://initscope.test/reports/row/?container=migrate&bucket=day&fragment=1",
  );
  assert.equal(detail.querySelectorAll("[data-row-detail]").length, 1);
  assert.ok(detail.querySelector("[data-trend=t-day]"));
});

test("the vendored uPlot is the pinned npm package's build, unchanged", () => {
  const root = new URL("../../", import.meta.url);
  const read = (path) => readFileSync(new URL(path, root));
  const pinned = JSON.parse(read("package.json")).dependencies.uplot;
  assert.equal(JSON.parse(read("node_modules/uplot/package.json")).version, pinned);
  for (const file of ["uPlot.iife.min.js", "uPlot.min.css"]) {
    assert.ok(read(`frontend/vendor/uplot/${file}`).equals(read(`node_modules/uplot/dist/${file}`)), file);
  }
});
