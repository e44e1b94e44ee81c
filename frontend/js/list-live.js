// The Pod list's live rows: a socket subscribed to the page's filters (and the Pods it shows). A change
// to a shown row is patched in place at once (status, restarts, step, time in step); anything that can
// change which rows show or their order (a new Pod, a status change, a deletion) re-fetches the
// server-rendered rows for the same query string, coalesced to at most one fetch per REFRESH_GAP_MS so
// bursts stay cheap. Everything from a message is written with textContent (the status colour is the
// server's `tone`); fragments come from the server, autoescaped.
import { coalesce, connectLive, fetchFragment } from "./live.js";
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
  const status = cell("status");
  const statusChanged = Boolean(status) && status.textContent.trim() !== (pod.status || "—");
  if (statusChanged) {
    status.textContent = pod.status || "—";
    status.className = `status tone-${pod.tone || "wait"}`;
  }
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

function flash(row) {
  row.classList.remove("is-changed");
  void row.offsetWidth; // restart the highlight animation
  row.classList.add("is-changed");
  setTimeout(() => row.classList.remove("is-changed"), FLASH_MS);
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

  subscribe() {
    this.socket?.send({ type: "subscribe", filters: filtersOf(location.search), uids: this.uids() });
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
    for (const pod of pods) this.pending.set(pod.uid, pod);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    let reorder = false;
    for (const pod of this.pending.values()) {
      const row = document.getElementById(`pod-${pod.uid}`);
      if (!row) {
        reorder = true;
        continue;
      }
      if (patchRow(row, pod)) reorder = true;
      flash(row);
    }
    this.pending.clear();
    if (reorder) this.refresh();
  }

  async reload() {
    const fresh = await fetchFragment(`${this.fragmentUrl}${location.search}`);
    const root = this.root;
    if (!fresh || !root || fresh.id !== "pod-list-live") return;
    const focused = focusKey(root);
    localizeTimes(fresh);
    root.replaceWith(fresh);
    restoreFocus(fresh, focused);
    this.subscribe();
  }
}
