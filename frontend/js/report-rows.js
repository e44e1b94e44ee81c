// The Reports page's behaviour (reports.js starts it): local times, filters that apply on change, and per
// init-container row the server's fragment with its trend (drawn by report-chart.js) and its slowest and
// failed Pods, inserted under the row; the bucket switch (hour/day) reloads that fragment in place. The row
// page itself works the same.
import { fetchFragment } from "./live.js";
import { drawTrend } from "./report-chart.js";
import { localizeTimes } from "./time.js";

const charts = new Map(); // holder element -> uPlot instance

function draw(root) {
  localizeTimes(root);
  for (const holder of root.querySelectorAll("[data-trend]")) {
    charts.get(holder)?.destroy();
    const chart = drawTrend(holder);
    if (chart) charts.set(holder, chart);
  }
}

function fragmentUrl(href) {
  const url = new URL(href, location.href);
  url.searchParams.set("fragment", "1");
  return url.href;
}

/** Open or close the detail row under the table row of `link` (its `Trend & Pods` link). */
export async function toggleRow(link) {
  const row = link.closest("tr");
  const next = row.nextElementSibling;
  if (next?.classList.contains("report-detail-row")) {
    const open = next.hidden;
    next.hidden = !open;
    link.setAttribute("aria-expanded", String(open));
    return next;
  }
  const fragment = await fetchFragment(fragmentUrl(link.href));
  if (!fragment) return null;
  const detail = document.createElement("tr");
  detail.className = "report-detail-row";
  const cell = document.createElement("td");
  cell.colSpan = row.cells.length;
  cell.append(fragment);
  detail.append(cell);
  row.after(detail);
  const wrap = row.closest(".table-wrap");
  if (wrap) fragment.style.width = `${wrap.clientWidth}px`;
  link.setAttribute("aria-expanded", "true");
  draw(cell);
  return detail;
}

/** Replace the detail holding the bucket `link` with the fragment for that bucket. */
export async function switchBucket(link) {
  const current = link.closest("[data-row-detail]");
  const fragment = await fetchFragment(fragmentUrl(link.href));
  if (!fragment || !current) return null;
  for (const holder of current.querySelectorAll("[data-trend]")) {
    charts.get(holder)?.destroy();
    charts.delete(holder);
  }
  current.replaceWith(fragment);
  draw(fragment.parentElement || fragment);
  return fragment;
}

function plainClick(event) {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}

export function start(root = document) {
  draw(root);
  for (const el of root.querySelectorAll("[data-autosubmit]")) {
    el.addEventListener("change", () => {
      if (el.name === "cluster" && el.form?.elements.namespace) el.form.elements.namespace.value = "";
      el.form?.requestSubmit();
    });
  }
  // Leave out empty parameters so shared URLs stay short.
  for (const form of root.querySelectorAll("form.filters")) {
    form.addEventListener("formdata", (event) => {
      for (const [key, value] of [...event.formData.entries()]) {
        if (value === "") event.formData.delete(key);
      }
    });
  }
  root.addEventListener("click", (event) => {
    const link = event.target.closest?.("[data-report-row], [data-bucket]");
    if (!link || !plainClick(event)) return;
    event.preventDefault();
    const action = link.hasAttribute("data-bucket") ? switchBucket : toggleRow;
    action(link).catch((error) => console.warn("report row failed", error));
  });
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (window.innerWidth === width) return;
    width = window.innerWidth;
    for (const [holder, chart] of charts) {
      if (!holder.isConnected) {
        charts.delete(holder);
        continue;
      }
      chart.setSize({ width: Math.max(240, holder.clientWidth), height: chart.height });
    }
  });
}
