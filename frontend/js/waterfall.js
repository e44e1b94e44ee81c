// The Pod page's startup waterfall: zoom, ticks, live growth, bar details and keyboard movement.
//
// The shapes are in <svg class="wf-plot"> in layout units (0..data-width); zooming only changes that
// viewBox. Text sits in the outer <svg> at percentage x with its layout x in data-x, and is re-placed
// here. While the Pod is live, the axis runs on to "now": the plot widens at the layout's units per
// second and running bars (data-live) grow with it, so they move between server updates.
// Keyboard: the bars are one tab stop (a roving tabindex: the current bar has tabindex 0, the others
// -1); arrow keys move left/right within a lane and up/down across lanes, Home/End to the lane's first
// and last bar, Ctrl+Home/End to the chart's; + - 0 zoom (around the focused bar). After any zoom the tab
// stop (and the focus) moves to a bar in view. Writes only attributes and textContent.
// A bar's details (its tooltip and the line under the chart) are not in its markup: they are the JSON
// `<script id="wf-details">` of the section, by bar id (pods/web/waterfall/markup.py), read on the first
// hover or focus; the bar then gets its <title> for the browser's tooltip.
import { formatDuration, tickLabel } from "./time.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MIN_TICK_PX = 90;
const DRAG_MIN_PX = 5;
const MIN_VIEW_SECONDS = 0.5;
const ZOOM_KEYS = { "+": "in", "=": "in", "-": "out", _: "out", 0: "reset" };

function svg(name, attrs) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  return el;
}

const number = (el, name) => Number(el?.getAttribute(name)) || 0;

/** The drawn width of a note in pixels (an estimate where the SVG is not laid out). */
export function noteWidth(text) {
  try {
    const measured = text.getComputedTextLength?.();
    if (measured) return measured;
  } catch {
    // not rendered (display: none, or no layout engine)
  }
  return (text.textContent || "").length * 6.4;
}

/** [start, end] of a bar in layout units (a <rect>, or a <g> of a back-off or "present" mark). */
export function extent(seg) {
  const rect = seg.matches("rect") ? seg : seg.querySelector("rect");
  if (rect) return [number(rect, "x"), number(rect, "x") + number(rect, "width")];
  const line = seg.querySelector("line");
  return [number(line, "x1"), number(line, "x2")];
}

export class Waterfall {
  /** `now` is a clock in ms (performance.now by default): growth measures time since construction. */
  constructor(root, { now = () => performance.now() } = {}) {
    this.root = root;
    this.now = now;
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
    this.steps = (root.dataset.tickSteps || "1").split(" ").map(Number);
    this.view = [0, this.width];
    this.selected = null;
    this.detailsById = undefined; // details(): parsed on first use
    this.current = null;
    // Growth: the layout was drawn at the server's "now"; the client's clock only measures time since.
    this.live = root.dataset.live === "1";
    this.width0 = this.width;
    this.span0 = this.span;
    this.drawnAt = now();
    this.growing = [...this.plot.querySelectorAll("[data-live]")].map((seg) => {
      const shapes = [...seg.querySelectorAll("rect"), ...(seg.matches("rect") ? [seg] : [])];
      const lines = [...seg.querySelectorAll("line"), ...(seg.matches("line") ? [seg] : [])];
      return {
        shapes,
        lines,
        widths: shapes.map((r) => number(r, "width")),
        x2: lines.map((l) => number(l, "x2")),
      };
    });
    this.rows = [...this.plot.querySelectorAll(".wf-row")];
  }

  /** Seconds since the view was drawn (the time the axis has to run on by). */
  elapsed() {
    return (this.now() - this.drawnAt) / 1000;
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
      g.shapes.forEach((r, i) => {
        r.setAttribute("width", (g.widths[i] + extra).toFixed(2));
      });
      g.lines.forEach((l, i) => {
        l.setAttribute("x2", (g.x2[i] + extra).toFixed(2));
      });
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
    this.rove(this.plot.querySelector('.wf-seg[tabindex="0"]') || this.plot.querySelector(".wf-seg"));
    this.render();
    return this;
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

  /** Where "+" zooms around for a focused bar: the middle of its part in view (all of it when none). */
  focusPoint(seg) {
    const [start, end] = extent(seg);
    const [a, b] = this.view;
    const from = Math.max(start, a);
    const to = Math.min(end, b);
    return from <= to ? (from + to) / 2 : (start + end) / 2;
  }

  /** Whether any of a bar is in the view. */
  inView(seg) {
    const [start, end] = extent(seg);
    return end >= this.view[0] && start <= this.view[1];
  }

  /** After a zoom or pan, keep the tab stop on a bar in view (the nearest of its lane, else of any lane),
   * and the focus with it when it was there: the focus ring never sits outside the chart. */
  keepCurrentInView() {
    const current = this.current;
    if (!current || this.inView(current)) return;
    const mid = (this.view[0] + this.view[1]) / 2;
    const distance = (bar) => Math.abs((extent(bar)[0] + extent(bar)[1]) / 2 - mid);
    const nearest = (bars) =>
      bars.filter((bar) => this.inView(bar)).sort((p, q) => distance(p) - distance(q))[0];
    const next =
      nearest(this.bars(current.closest(".wf-lane"))) ||
      nearest(this.lanes().flatMap((lane) => this.bars(lane)));
    if (!next) return;
    const focused = document.activeElement === current;
    this.rove(next);
    if (focused) next.focus({ preventScroll: true });
  }

  setView(a, b) {
    const minWidth = Math.min(this.width, (MIN_VIEW_SECONDS / this.span) * this.width);
    if (b - a < minWidth) {
      const mid = (a + b) / 2;
      [a, b] = [mid - minWidth / 2, mid + minWidth / 2];
    }
    const w = Math.min(b - a, this.width);
    const start = Math.min(Math.max(a, 0), this.width - w);
    this.view = [start, start + w];
    this.plot.setAttribute("viewBox", `${start} 0 ${w} ${this.height}`);
    this.render();
    this.keepCurrentInView();
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
    // pixels per layout unit at this zoom: a note (a back-off or waiting label) is shown only when its
    // segment is wider than the text, so that it never covers the bars beside it
    const pxPerUnit = (this.plotRect().width || this.width) / (this.view[1] - this.view[0] || 1);
    for (const text of this.chart.querySelectorAll(".wf-notes text, .wf-mark-labels text")) {
      const p = this.percent(Number(text.dataset.x));
      text.setAttribute("x", `${p.toFixed(3)}%`);
      const fits = text.dataset.w === undefined || Number(text.dataset.w) * pxPerUnit >= noteWidth(text) + 4;
      text.setAttribute("visibility", p < -0.5 || p > 100.5 || !fits ? "hidden" : "visible");
    }
  }

  /** The tick step in seconds for `seconds` shown on `px` pixels: the server's round steps, at least
   * MIN_TICK_PX apart, then whole multiples of the largest. */
  tickStep(seconds, px) {
    const wanted = (seconds * MIN_TICK_PX) / px;
    const largest = this.steps[this.steps.length - 1];
    return this.steps.find((s) => s >= wanted) ?? Math.ceil(wanted / largest) * largest;
  }

  drawTicks() {
    const pxWidth = this.plotRect().width || this.width;
    const toSeconds = this.span / this.width;
    const t0 = this.view[0] * toSeconds;
    const t1 = this.view[1] * toSeconds;
    const step = this.tickStep(t1 - t0, pxWidth);
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
    const target = event.target;
    if (target.closest?.("input, select, textarea")) return;
    const seg = target.closest?.(".wf-seg");
    if (seg && !event.altKey && !event.metaKey) {
      const next = this.neighbour(seg, event.key, event.ctrlKey);
      if (next !== undefined) {
        event.preventDefault(); // at an edge too: the page does not scroll under a keyboard user
        if (next) this.rove(next, { focus: true });
        return;
      }
    }
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (ZOOM_KEYS[event.key]) {
      event.preventDefault();
      this.zoom(ZOOM_KEYS[event.key], seg ? this.focusPoint(seg) : undefined); // around the focused bar
    }
  }

  /** The lanes that have bars, top to bottom. */
  lanes() {
    return [...this.plot.querySelectorAll(".wf-lane")].filter((lane) => lane.querySelector(".wf-seg"));
  }

  /** A lane's bars, left to right. */
  bars(lane) {
    const segs = lane ? [...lane.querySelectorAll(".wf-seg")] : [];
    return segs
      .map((seg) => [extent(seg)[0], seg])
      .sort((p, q) => p[0] - q[0])
      .map((pair) => pair[1]);
  }

  /** The bar of `lane` whose middle is closest in time to the middle of `seg` (null without a lane). */
  closest(lane, seg) {
    if (!lane) return null;
    const middle = (bar) => extent(bar)[0] + extent(bar)[1];
    const distance = (bar) => Math.abs(middle(bar) - middle(seg));
    return this.bars(lane).reduce((best, bar) => (distance(bar) < distance(best) ? bar : best));
  }

  /** The bar `key` moves to from `seg`: null at an edge, undefined when the key is not a move. */
  neighbour(seg, key, ctrl = false) {
    const lanes = this.lanes();
    const index = lanes.findIndex((lane) => lane.contains(seg));
    const bars = this.bars(lanes[index]);
    const at = bars.indexOf(seg);
    if (ctrl) {
      if (key === "Home") return this.bars(lanes[0])[0] ?? null;
      if (key === "End") return this.bars(lanes[lanes.length - 1]).at(-1) ?? null;
      return undefined;
    }
    const moves = {
      ArrowLeft: () => bars[at - 1],
      ArrowRight: () => bars[at + 1],
      ArrowUp: () => this.closest(lanes[index - 1], seg),
      ArrowDown: () => this.closest(lanes[index + 1], seg),
      Home: () => bars[0],
      End: () => bars.at(-1),
    };
    return moves[key] ? moves[key]() || null : undefined;
  }

  /** Make `seg` the waterfall's one tab stop (and focus it, scrolling a zoomed view to it). */
  rove(seg, { focus = false } = {}) {
    if (!seg) return;
    for (const other of this.plot.querySelectorAll('.wf-seg[tabindex="0"]')) {
      if (other !== seg) other.setAttribute("tabindex", "-1");
    }
    seg.setAttribute("tabindex", "0");
    this.current = seg;
    if (!focus) return;
    this.reveal(seg);
    seg.focus({ preventScroll: true }); // a zoomed bar's box can be far wider than the page
  }

  /** Pan a zoomed view (same width) so that `seg` shows. */
  reveal(seg) {
    const [a, b] = this.view;
    const [start, end] = extent(seg);
    if (!this.zoomed || (end >= a && start <= b)) return;
    const half = (b - a) / 2;
    const mid = (start + end) / 2;
    this.setView(mid - half, mid + half);
  }

  // --- bar details --------------------------------------------------------------------------------
  /** The bars' details by id, parsed from the section's JSON when first asked for. */
  details() {
    if (this.detailsById === undefined) {
      const script = this.root.querySelector("script[type='application/json'][id$='wf-details']");
      this.detailsById = script ? JSON.parse(script.textContent) : {};
    }
    return this.detailsById;
  }

  describe(seg) {
    return (seg && this.details()[seg.id]) || "";
  }

  /** The bar's <title> (the browser's tooltip), made on its first hover or focus. */
  entitle(seg) {
    const text = this.describe(seg);
    if (!text || seg.querySelector(":scope > title")) return;
    const title = document.createElementNS(SVG_NS, "title");
    title.textContent = text;
    seg.prepend(title);
  }

  show(seg) {
    if (seg) this.entitle(seg);
    if (!this.detail) return;
    const text = this.describe(seg || this.selected);
    this.detail.textContent = text || this.hint;
    this.detail.classList.toggle("is-set", Boolean(text));
  }

  bindDetails() {
    const segOf = (event) => event.target.closest?.(".wf-seg");
    this.plot.addEventListener("pointerover", (event) => this.show(segOf(event)));
    this.plot.addEventListener("pointerleave", () => this.show(null));
    this.plot.addEventListener("focusin", (event) => {
      this.rove(segOf(event));
      this.show(segOf(event));
    });
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
