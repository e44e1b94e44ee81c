// The trend of one init-container row (the Reports page), drawn with uPlot (vendored in
// frontend/vendor/uplot, loaded as a classic script: the global `uPlot`). The numbers are the trend document
// the server embeds (`GET /api/v1/reports/init-containers/trend`); durations on the axis and in the legend
// use the one JS duration formatter (time.js `formatDuration`). Only ever writes textContent.
import { formatDuration } from "./time.js";

export const CHART_HEIGHT = 220;
const MIN_WIDTH = 240;

/**
 * The trend document as uPlot's columns: x (seconds since the epoch, a bucket's start), p50 and p95 (seconds,
 * null where nothing was measured: a gap), failed attempts (null in a bucket without attempts).
 */
export function trendColumns(trend) {
  const columns = [[], [], [], []];
  for (const bucket of trend.buckets) {
    columns[0].push(Date.parse(bucket.start) / 1000);
    columns[1].push(bucket.duration_p50);
    columns[2].push(bucket.duration_p95);
    columns[3].push(bucket.attempts ? bucket.failed : null);
  }
  return columns;
}

/** Axis labels of a duration scale: `formatDuration`, and nothing for a negative split. */
export function durationLabels(splits) {
  return splits.map((value) => (value == null || value < 0 ? "" : formatDuration(value)));
}

/** Axis labels of a count scale: whole numbers only (uPlot may split 0…1 into tenths). */
export function countLabels(splits) {
  return splits.map((value) => (Number.isInteger(value) ? String(value) : ""));
}

/** From 0 to a little above the highest value (at least `floor`). */
function fromZero(floor) {
  return (_u, _min, max) => [0, Math.max(floor, (max || 0) * 1.1)];
}

/** uPlot's options for a trend `width` pixels wide (`lib`: uPlot itself, for its bar path builder). */
export function chartOptions(lib, width, bucket) {
  const shown = (_u, value) => (value == null ? "—" : formatDuration(value));
  return {
    width: Math.max(MIN_WIDTH, Math.floor(width)),
    height: CHART_HEIGHT,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, s: { range: fromZero(1) }, n: { range: fromZero(1) } },
    series: [
      { label: bucket === "day" ? "day" : "hour" },
      {
        label: "failed",
        scale: "n",
        stroke: "#d03b3b",
        fill: "rgba(208, 59, 59, 0.3)",
        paths: lib.paths.bars({ size: [0.6, 48] }),
        points: { show: false },
      },
      { label: "p50", scale: "s", stroke: "#2f6fd0", width: 2, value: shown, spanGaps: false },
      { label: "p95", scale: "s", stroke: "#c77c02", width: 2, value: shown, spanGaps: false },
    ],
    axes: [
      {},
      { scale: "s", size: 60, values: (_u, splits) => durationLabels(splits) },
      { scale: "n", side: 1, size: 40, grid: { show: false }, values: (_u, splits) => countLabels(splits) },
    ],
  };
}

/** uPlot's data in the order of `chartOptions`' series: x, failed, p50, p95. */
export function chartData(trend) {
  const [xs, p50, p95, failed] = trendColumns(trend);
  return [xs, failed, p50, p95];
}

/** Draw the trend whose JSON `<script id>` the holder's `data-trend` names; returns the uPlot instance. */
export function drawTrend(holder, lib = globalThis.uPlot) {
  const source = document.getElementById(holder.dataset.trend);
  if (!source || !lib) return null;
  const trend = JSON.parse(source.textContent);
  holder.replaceChildren();
  const width = holder.clientWidth || holder.parentElement?.clientWidth || MIN_WIDTH;
  const chart = new lib(chartOptions(lib, width, trend.bucket), chartData(trend), holder);
  holder.dataset.drawn = String(trend.buckets.length);
  return chart;
}
