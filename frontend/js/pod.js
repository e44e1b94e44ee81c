// The Pod page: local times, ticking durations, the waterfall's zoom and bar details, live updates
// and logs on demand.
//
// The waterfall's shapes are in <svg class="wf-plot"> in layout units (0..data-width); zooming only
// changes that viewBox. Text sits in the outer <svg> at percentage x with its layout x in data-x, and
// is re-placed here. While the Pod is live, the axis runs on to "now": the plot widens at the layout's
// units per second and running bars (data-live) grow with it, so they move between server updates.
// Live: on a change message for this Pod (and on every reconnect), the server-rendered fragment of the
// page is fetched and swapped in, keeping the zoom, the open sections and the focus.
// Everything written from data uses textContent or setAttribute, never innerHTML.
import { coalesce, connectLive, fetchFragment } from "./live.js";
import { formatDuration, localizeTimes, tickDurations } from "./time.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const STEPS = [
  0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
  86400, 172800, 604800,
];
const MIN_TICK_PX = 90;
const DRAG_MIN_PX = 5;
const MIN_VIEW_SECONDS = 0.5;
const GROW_INTERVAL_MS = 250;
const REFRESH_GAP_MS = 250;

function tickLabel(seconds) {
  if (seconds === 0) return "0";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60 && seconds !== Math.trunc(seconds)) return `${+seconds.toFixed(1)}s`;
  return formatDuration(seconds);
}

function svg(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

class Waterfall {
  constructor(root, serverNow) {
    this.root = root;
    this.chart = root.querySelector(".wf-chart");
    this.plot = root.querySelector(".wf-plot");
    this.axis = root.querySelector(".wf-axis");
    this.grid = root.querySelector(".wf-grid");
    this.brush = root.querySelector(".wf-brush");
    this.rangeOut = root.querySelector("[data-zoom-range]");
    this.detail = root.querySelector("[data-wf-detail]");
    this.hint = this.detail ? this.detail.textContent : "";
    this.width = Number(root.dataset.width) || 1000;
    this.height = Number(this.plot.dataset.height) || 100;
    this.span = Number(root.dataset.span) || 1;
    this.view = [0, this.width];
    this.selected = null;
    // Growth: the layout was drawn at `serverNow`; the client's clock only measures time since then.
    this.live = root.dataset.live === "1";
    this.width0 = this.width;
    this.span0 = this.span;
    this.drawnAt = performance.now();
    this.growing = [...this.plot.querySelectorAll("[data-live]")].map((seg) => ({
      seg,
      shapes: [...seg.querySelectorAll("rect"), ...(seg.tagName === "rect" ? [seg] : [])],
      lines: [...seg.querySelectorAll("line")],
      widths: null,
    }));
    for (const g of this.growing) {
      g.widths = g.shapes.map((r) => Number(r.getAttribute("width")) || 0);
      g.x2 = g.lines.map((l) => Number(l.getAttribute("x2")) || 0);
    }
    this.rows = [...this.plot.querySelectorAll(".wf-row")];
    this.serverNow = serverNow;
  }

  /** Seconds since the view was drawn (the time the axis has to run on by). */
  elapsed() {
    return (performance.now() - this.drawnAt) / 1000;
  }

  /** Widen the axis to "now" and grow the running bars; keeps a zoomed view where it is. */
  grow() {
    if (!this.live) return;
    const unit = this.width0 / this.span0;
    const extra = this.elapsed() * unit;
    const full = !this.zoomed;
    this.width = this.width0 + extra;
    this.span = this.span0 + this.elapsed();
    for (const g of this.growing) {
      g.shapes.forEach((r, i) => r.setAttribute("width", (g.widths[i] + extra).toFixed(2)));
      g.lines.forEach((l, i) => l.setAttribute("x2", (g.x2[i] + extra).toFixed(2)));
    }
    for (const row of this.rows) row.setAttribute("width", this.width.toFixed(2));
    if (full) this.setView(0, this.width);
    else this.render();
  }

  /** The visible range in seconds from the axis start (to carry a zoom over to a fresh layout). */
  viewSeconds() {
    const toSeconds = this.span / this.width;
    return this.zoomed ? [this.view[0] * toSeconds, this.view[1] * toSeconds] : null;
  }

  showSeconds(range) {
    if (!range) return;
    const toUnits = this.width / this.span;
    this.setView(range[0] * toUnits, range[1] * toUnits);
  }

  init() {
    for (const button of this.root.querySelectorAll("[data-zoom]")) {
      button.addEventListener("click", () => this.zoom(button.dataset.zoom));
    }
    this.root.addEventListener("keydown", (event) => this.onKey(event));
    this.bindDrag();
    this.bindDetails();
    this.render();
  }

  // --- zoom ---------------------------------------------------------------------------------------
  zoom(action, center) {
    const [a, b] = this.view;
    const mid = center ?? (a + b) / 2;
    if (action === "reset") return this.setView(0, this.width);
    const factor = action === "in" ? 0.5 : 2;
    const half = ((b - a) * factor) / 2;
    return this.setView(mid - half, mid + half);
  }

  setView(a, b) {
    const minWidth = Math.min(this.width, (MIN_VIEW_SECONDS / this.span) * this.width);
    if (b - a < minWidth) {
      const mid = (a + b) / 2;
      [a, b] = [mid - minWidth / 2, mid + minWidth / 2];
    }
    const w = Math.min(b - a, this.width);
    a = Math.min(Math.max(a, 0), this.width - w);
    this.view = [a, a + w];
    this.plot.setAttribute("viewBox", `${a} 0 ${w} ${this.height}`);
    this.render();
  }

  get zoomed() {
    return this.view[0] > 0.001 || this.view[1] < this.width - 0.001;
  }

  render() {
    this.placeTexts();
    this.drawTicks();
    if (this.rangeOut) {
      const toSeconds = this.span / this.width;
      this.rangeOut.textContent = this.zoomed
        ? `${tickLabel(+(this.view[0] * toSeconds).toFixed(1))} – ${formatDuration(this.view[1] * toSeconds)}`
        : "";
    }
  }

  percent(x) {
    const [a, b] = this.view;
    return ((x - a) / (b - a)) * 100;
  }

  placeTexts() {
    for (const text of this.chart.querySelectorAll(".wf-notes text, .wf-mark-labels text")) {
      const p = this.percent(Number(text.dataset.x));
      text.setAttribute("x", `${p.toFixed(3)}%`);
      text.setAttribute("visibility", p < -0.5 || p > 100.5 ? "hidden" : "visible");
    }
  }

  drawTicks() {
    const pxWidth = this.plotRect().width || this.width;
    const toSeconds = this.span / this.width;
    const t0 = this.view[0] * toSeconds;
    const t1 = this.view[1] * toSeconds;
    const wanted = ((t1 - t0) * MIN_TICK_PX) / pxWidth;
    const step = STEPS.find((s) => s >= wanted) ?? Math.ceil(wanted / 604800) * 604800;
    this.axis.replaceChildren();
    this.grid.replaceChildren();
    const first = Math.ceil(t0 / step - 1e-9);
    for (let i = first; i * step <= t1 + 1e-9; i++) {
      const seconds = +(i * step).toFixed(3);
      const x = seconds / toSeconds;
      const p = this.percent(x);
      const anchor = p < 2 ? "start" : p > 98 ? "end" : "middle";
      const text = svg("text", { x: `${p.toFixed(3)}%`, y: 14, "data-x": x, "text-anchor": anchor });
      text.textContent = tickLabel(seconds);
      this.axis.append(text);
      this.grid.append(
        svg("line", { x1: x, x2: x, y1: 0, y2: this.height, "vector-effect": "non-scaling-stroke" }),
      );
    }
  }

  // --- drag to zoom -------------------------------------------------------------------------------
  plotRect() {
    // The outer <svg> has the plot's on-screen width; the nested one's box grows with off-view content.
    return this.chart.getBoundingClientRect();
  }

  layoutX(clientX) {
    const rect = this.plotRect();
    const [a, b] = this.view;
    return a + ((clientX - rect.left) / rect.width) * (b - a);
  }

  bindDrag() {
    let start = null;
    let startClient = 0;
    this.plot.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      start = this.layoutX(event.clientX);
      startClient = event.clientX;
      this.plot.setPointerCapture(event.pointerId);
    });
    this.plot.addEventListener("pointermove", (event) => {
      if (start === null || Math.abs(event.clientX - startClient) < DRAG_MIN_PX) return;
      const x = this.layoutX(event.clientX);
      this.brush.setAttribute("x", Math.min(start, x));
      this.brush.setAttribute("width", Math.abs(x - start));
      this.brush.setAttribute("visibility", "visible");
    });
    const finish = (event) => {
      if (start === null) return;
      const dragged = Math.abs(event.clientX - startClient) >= DRAG_MIN_PX;
      const x = this.layoutX(event.clientX);
      this.brush.setAttribute("visibility", "hidden");
      if (dragged && event.type === "pointerup") this.setView(Math.min(start, x), Math.max(start, x));
      start = null;
    };
    this.plot.addEventListener("pointerup", finish);
    this.plot.addEventListener("pointercancel", finish);
    this.plot.addEventListener("dblclick", (event) => this.zoom("in", this.layoutX(event.clientX)));
  }

  // --- keyboard -----------------------------------------------------------------------------------
  onKey(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target.closest && target.closest("input, select, textarea")) return;
    const keys = { "+": "in", "=": "in", "-": "out", _: "out", 0: "reset" };
    if (keys[event.key]) {
      event.preventDefault();
      this.zoom(keys[event.key]);
      return;
    }
    if ((event.key === "ArrowRight" || event.key === "ArrowLeft") && target.classList?.contains("wf-seg")) {
      event.preventDefault();
      this.step(target, event.key === "ArrowRight" ? 1 : -1);
    }
  }

  step(seg, direction) {
    const segs = [...seg.closest(".wf-lane").querySelectorAll(".wf-seg")];
    const next = segs[segs.indexOf(seg) + direction];
    if (next) next.focus();
  }

  // --- bar details --------------------------------------------------------------------------------
  describe(seg) {
    const title = seg?.querySelector(":scope > title");
    return title ? title.textContent : "";
  }

  show(seg) {
    if (!this.detail) return;
    const text = this.describe(seg || this.selected);
    this.detail.textContent = text || this.hint;
    this.detail.classList.toggle("is-set", Boolean(text));
  }

  bindDetails() {
    const segOf = (event) => event.target.closest?.(".wf-seg");
    this.plot.addEventListener("pointerover", (event) => this.show(segOf(event)));
    this.plot.addEventListener("pointerleave", () => this.show(null));
    this.plot.addEventListener("focusin", (event) => this.show(segOf(event)));
    this.plot.addEventListener("click", (event) => this.select(segOf(event)));
    this.plot.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.select(segOf(event));
      }
    });
  }

  select(seg) {
    if (this.selected) this.selected.classList.remove("is-selected");
    this.selected = seg && seg !== this.selected ? seg : null;
    if (this.selected) this.selected.classList.add("is-selected");
    this.show(this.selected);
  }
}

// --- the page ----------------------------------------------------------------------------------------
let waterfall = null;

function setUp(live) {
  localizeTimes(live);
  const root = live.querySelector("#waterfall");
  waterfall = root ? new Waterfall(root, live.dataset.now) : null;
  waterfall?.init();
}

/** Swap in the server's current fragment of the page, keeping zoom, open sections and focus. */
async function reload(url) {
  const fresh = await fetchFragment(url);
  const current = document.getElementById("pod-live");
  if (!fresh || !current || fresh.id !== "pod-live") return;
  const zoom = waterfall?.viewSeconds();
  const open = new Map([...current.querySelectorAll("details[id]")].map((d) => [d.id, d.open]));
  const focusedId = current.contains(document.activeElement) ? document.activeElement.id : "";
  for (const details of fresh.querySelectorAll("details[id]")) {
    if (open.has(details.id)) details.open = open.get(details.id);
  }
  current.replaceWith(fresh);
  setUp(fresh);
  waterfall?.showSeconds(zoom);
  if (focusedId) document.getElementById(focusedId)?.focus({ preventScroll: true });
}

function startLive(page) {
  const refresh = coalesce(() => reload(page.dataset.fragmentUrl), REFRESH_GAP_MS);
  const uid = page.dataset.uid;
  const path = `/ws/pods/${encodeURIComponent(uid)}/?cluster=${encodeURIComponent(page.dataset.cluster)}`;
  window.initscopeLive = connectLive({
    path,
    onHello: () => refresh(), // resynchronise on every (re)connect
    onMessage: (message) => {
      if (message.type === "pods.changed" && (message.pods || []).some((p) => p.uid === uid)) refresh();
    },
  });
}

// --- logs on demand ------------------------------------------------------------------------------
// The logs API answers live text from the cluster, or (Pod gone, RBAC, cluster not watched) the lines
// kept when the attempt failed; `source` says which, `reason` why not live.
function describeLog(data, which, container) {
  if (data.source === "live") return `${which} of ${container}, from the cluster`;
  const kept = data.attempt ? ` (#${data.attempt.number})` : "";
  const why = data.reason ? ` — not served live: ${data.reason}` : "";
  if (data.source === "stored") return `lines of ${container}${kept} kept when it failed${why}`;
  return `${which} of ${container}${why}`;
}

async function loadLog(page, form, previous) {
  const status = page.querySelector("[data-logs-status]");
  const out = page.querySelector("[data-logs-output]");
  const container = form.elements.container.value;
  const which = previous ? "previous attempt" : "current attempt";
  status.textContent = `Fetching the ${which} of ${container}…`;
  const params = new URLSearchParams({ container, cluster: page.dataset.cluster });
  if (previous) params.set("previous", "1");
  const response = await fetch(`${page.dataset.logsUrl}?${params}`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) {
    status.textContent = `Could not fetch the log: HTTP ${response.status}`;
    return;
  }
  const data = await response.json();
  const text = data.text || "";
  const source = describeLog(data, which, container);
  status.textContent = text ? `Showing the ${source}.` : `No log: the ${source} is empty.`;
  out.textContent = text;
  out.hidden = !text;
  out.dataset.container = container;
  out.dataset.previous = previous ? "1" : "0";
}

function bindLogs(page) {
  const form = page.querySelector("[data-logs-form]");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const previous = event.submitter?.value === "1";
    loadLog(page, form, previous).catch((error) => {
      page.querySelector("[data-logs-status]").textContent = `Could not fetch the log: ${error}`;
    });
  });
}

tickDurations();
window.addEventListener("resize", () => requestAnimationFrame(() => waterfall?.render()));
setInterval(() => waterfall?.grow(), GROW_INTERVAL_MS);
const page = document.getElementById("pod");
const live = document.getElementById("pod-live");
if (live) setUp(live);
if (page) {
  bindLogs(page);
  if (page.dataset.watched === "1") startLive(page);
}
