// The Pod list's live rows: a socket subscribed to the page's filters (and the Pods it shows). A change
// to a shown row is patched in place at once (status, restarts, step, time in step); anything that can
// change which rows show or their order (a new Pod, a status change, a deletion) re-fetches the
// server-rendered rows for the same query string, coalesced to at most one fetch per REFRESH_GAP_MS so
// bursts stay cheap. Everything from a message is written with textContent (the status colour is the
// server's `tone`); fragments come from the server, autoescaped.
import { coalesce, connectLive, fetchFragment, patchStatus } from "./live.js";
import { localizeTimes } from "./time.js";

const REFRESH_GAP_MS = 500;
const PERIODIC_REFRESH_MS = 30000; // Pods become stuck by time alone, without any change message
const FLASH_MS = 1200;
const FILTERS = ["cluster", "namespace", "workload", "status", "stuck", "failed", "q"];

/** The live filters of a list URL's query string (empty ones left out). */
export function filtersOf(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const key of FILTERS) {
    if (params.get(key)) filters[key] = params.get(key);
  }
  return filters;
}

/** Patch one row in place from a change summary; true when rows or counts may move (refetch needed). */
export function patchRow(row, pod) {
  const cell = (field) => row.querySelector(`[data-field="${field}"]`);
  const statusChanged = patchStatus(cell("status"), pod);
  const ready = cell("ready");
  if (ready && pod.ready && ready.textContent !== pod.ready) ready.textContent = pod.ready;
  const restarts = cell("restarts");
  if (restarts && restarts.textContent !== String(pod.restarts)) restarts.textContent = String(pod.restarts);
  const step = cell("step");
  const stepChanged = Boolean(step) && step.textContent !== (pod.step || "—");
  if (stepChanged) step.textContent = pod.step || "—";
  patchSince(cell("step_since"), pod);
  return statusChanged || stepChanged || Boolean(pod.deleted);
}

/** Make the "in step" cell tick from the Pod's step_since (left as it is once the Pod is done). */
function patchSince(cell, pod) {
  if (!cell) return;
  if (!pod.step_since || pod.deleted || pod.terminal) return;
  const ticking = cell.querySelector("[data-since]");
  if (ticking) {
    if (ticking.dataset.since !== pod.step_since) ticking.dataset.since = pod.step_since;
    return;
  }
  const span = document.createElement("span");
  span.dataset.since = pod.step_since;
  span.title = `since ${pod.step_since}`;
  cell.replaceChildren(span);
}

/** Restart the highlight of `rows` with one layout for all of them: a layout forced per row, after each
 * row's patch, costs a layout of the whole table each (seconds a frame at 500 rows and 200 updates/s). */
export function flash(rows) {
  if (!rows.length) return;
  for (const row of rows) row.classList.remove("is-changed");
  void rows[0].offsetWidth; // the one layout that restarts the animation
  for (const row of rows) row.classList.add("is-changed");
  setTimeout(() => {
    for (const row of rows) row.classList.remove("is-changed");
  }, FLASH_MS);
}

/** Where the focus is inside `root`, as something that survives a swap (row id and control class). */
export function focusKey(root) {
  const active = document.activeElement;
  if (!active || !root.contains(active)) return null;
  const row = active.closest("tr[id]");
  return row ? { row: row.id, className: active.className } : null;
}

export function restoreFocus(root, key) {
  if (!key) return;
  const row = document.getElementById(key.row);
  const controls = row ? [...row.querySelectorAll("a, button")] : [];
  const target = controls.find((el) => el.className === key.className) || row?.querySelector("a");
  if (target) target.focus({ preventScroll: true });
  else root.querySelector("a")?.focus({ preventScroll: true });
}

export class LiveList {
  constructor(fragmentUrl, { connect = connectLive, gapMs = REFRESH_GAP_MS } = {}) {
    this.fragmentUrl = fragmentUrl;
    this.connect = connect;
    this.pending = new Map(); // uid -> newest summary, applied on the next animation frame
    this.frame = 0;
    this.socket = null;
    this.refresh = coalesce(() => this.reload(), gapMs);
  }

  get root() {
    return document.getElementById("pod-list-live");
  }

  uids() {
    return (this.root?.dataset.uids || "").split(" ").filter(Boolean);
  }

  /** Tell the socket what the page shows; after a reload only when that changed (under churn the rows are
   * re-fetched twice a second, and the server limits the messages a socket may send a minute). */
  subscribe({ always = true } = {}) {
    const message = { type: "subscribe", filters: filtersOf(location.search), uids: this.uids() };
    const key = JSON.stringify([message.filters, [...message.uids].sort()]); // the rows' order is no matter
    if (!always && key === this.subscribed) return;
    this.subscribed = key;
    this.socket?.send(message);
  }

  start() {
    this.socket = this.connect({
      path: "/ws/pods/",
      onHello: () => {
        this.subscribe();
        this.refresh(); // resynchronise: changes may have happened while we were not connected
      },
      onMessage: (message) => {
        if (message.type === "pods.changed") this.receive(message.pods || []);
      },
    });
    this.periodic = setInterval(() => this.refresh(), PERIODIC_REFRESH_MS);
    return this.socket;
  }

  receive(pods) {
    for (const pod of pods) {
      this.pending.set(pod.uid, pod);
      this.arrived?.set(pod.uid, pod);
    }
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    let reorder = false;
    const patched = [];
    for (const pod of this.pending.values()) {
      const row = document.getElementById(`pod-${pod.uid}`);
      if (!row) {
        reorder = true;
        continue;
      }
      if (patchRow(row, pod)) reorder = true;
      patched.push(row);
    }
    this.pending.clear();
    flash(patched);
    if (reorder) this.refresh();
  }

  async reload() {
    const arrived = new Map(); // changes that come while the fragment is on its way
    this.arrived = arrived;
    let fresh;
    try {
      fresh = await fetchFragment(`${this.fragmentUrl}${location.search}`);
    } finally {
      if (this.arrived === arrived) this.arrived = null;
    }
    const root = this.root;
    if (!fresh || !root || fresh.id !== "pod-list-live") return;
    const focused = focusKey(root);
    localizeTimes(fresh);
    // The fragment may have been rendered before those changes: they are patched in again, so a row never
    // steps back to an older status (the refetch they asked for settles the order).
    if (arrived.size) {
      const rows = new Map([...fresh.querySelectorAll("tr[data-uid]")].map((row) => [row.dataset.uid, row]));
      for (const pod of arrived.values()) if (rows.has(pod.uid)) patchRow(rows.get(pod.uid), pod);
    }
    root.replaceWith(fresh);
    restoreFocus(fresh, focused);
    this.subscribe({ always: false });
  }
}
