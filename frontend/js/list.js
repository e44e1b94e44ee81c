// The Pod list: local times, ticking "in step" durations, filters that apply on change, and live rows.
//
// Live: a socket subscribed to the page's filters (and the Pods it shows). A change to a shown row is
// patched in place at once (status, restarts, step, time in step); anything that can change which rows
// show or their order (a new Pod, a status change, a deletion) re-fetches the server-rendered rows for
// the same query string, coalesced to at most one fetch per REFRESH_GAP_MS so bursts stay cheap.
// Everything from a message is written with textContent; fragments come from the server, autoescaped.
import { coalesce, connectLive, fetchFragment } from "./live.js";
import { localizeTimes, tickDurations } from "./time.js";

const REFRESH_GAP_MS = 500;
const PERIODIC_REFRESH_MS = 30000; // Pods become stuck by time alone, without any change message
const FLASH_MS = 1200;
const BAD_WORDS = ["Err", "BackOff", "OOM", "Failed", "Invalid", "Error", "Signal", "ExitCode", "Unknown", "Evicted"];
const OK_STATUSES = ["Running", "Completed", "Succeeded"];

localizeTimes();
tickDurations();

for (const el of document.querySelectorAll("[data-autosubmit]")) {
  el.addEventListener("change", () => {
    const form = el.form;
    if (!form) return;
    if (el.name === "cluster" && form.elements.namespace) form.elements.namespace.value = "";
    form.requestSubmit();
  });
}

// Leave out empty parameters so shared URLs stay short: ?status=Init%3AError rather than ?cluster=&...
for (const form of document.querySelectorAll("form.filters")) {
  form.addEventListener("formdata", (event) => {
    for (const [key, value] of [...event.formData.entries()]) {
      if (value === "") event.formData.delete(key);
    }
  });
}

/** The colour family of a kubectl STATUS (same rules as the `tone` template filter). */
function tone(status) {
  if (status === "Terminating") return "gone";
  if (BAD_WORDS.some((word) => status.includes(word))) return "bad";
  if (OK_STATUSES.includes(status)) return "ok";
  return "wait";
}

class LiveList {
  constructor(fragmentUrl) {
    this.fragmentUrl = fragmentUrl;
    this.pending = new Map(); // uid -> newest summary, applied on the next animation frame
    this.frame = 0;
    this.socket = null;
    this.refresh = coalesce(() => this.reload(), REFRESH_GAP_MS);
  }

  get root() {
    return document.getElementById("pod-list-live");
  }

  uids() {
    return (this.root?.dataset.uids || "").split(" ").filter(Boolean);
  }

  filters() {
    const params = new URLSearchParams(location.search);
    const filters = {};
    for (const key of ["cluster", "namespace", "workload", "status", "stuck", "q"]) {
      if (params.get(key)) filters[key] = params.get(key);
    }
    return filters;
  }

  subscribe() {
    this.socket?.send({ type: "subscribe", filters: this.filters(), uids: this.uids() });
  }

  start() {
    this.socket = connectLive({
      path: "/ws/pods/",
      onHello: () => {
        this.subscribe();
        this.refresh(); // resynchronise: changes may have happened while we were not connected
      },
      onMessage: (message) => {
        if (message.type === "pods.changed") this.receive(message.pods || []);
      },
    });
    setInterval(() => this.refresh(), PERIODIC_REFRESH_MS);
    window.initscopeLive = this.socket;
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
      if (!row) reorder = true;
      else if (this.patch(row, pod)) reorder = true;
    }
    this.pending.clear();
    if (reorder) this.refresh();
  }

  /** Patch one row in place; true when the change may move rows or counts (refetch needed). */
  patch(row, pod) {
    const cell = (field) => row.querySelector(`[data-field="${field}"]`);
    const status = cell("status");
    const statusChanged = Boolean(status) && status.textContent.trim() !== (pod.status || "—");
    if (statusChanged) {
      status.textContent = pod.status || "—";
      status.className = `status tone-${tone(pod.status || "")}`;
    }
    const restarts = cell("restarts");
    if (restarts && restarts.textContent !== String(pod.restarts)) restarts.textContent = String(pod.restarts);
    const step = cell("step");
    const stepChanged = Boolean(step) && step.textContent !== (pod.step || "—");
    if (stepChanged) step.textContent = pod.step || "—";
    this.patchSince(cell("step_since"), pod);
    row.classList.remove("is-changed");
    void row.offsetWidth; // restart the highlight animation
    row.classList.add("is-changed");
    setTimeout(() => row.classList.remove("is-changed"), FLASH_MS);
    return statusChanged || stepChanged || Boolean(pod.deleted);
  }

  patchSince(cell, pod) {
    if (!cell) return;
    const ticking = cell.querySelector("[data-since]");
    if (!pod.step_since || pod.deleted || pod.phase === "Succeeded" || pod.phase === "Failed") return;
    if (ticking) {
      if (ticking.dataset.since !== pod.step_since) ticking.dataset.since = pod.step_since;
      return;
    }
    const span = document.createElement("span");
    span.dataset.since = pod.step_since;
    span.title = `since ${pod.step_since}`;
    cell.replaceChildren(span);
  }

  async reload() {
    const url = `${this.fragmentUrl}${location.search}`;
    const fresh = await fetchFragment(url);
    const root = this.root;
    if (!fresh || !root || fresh.id !== "pod-list-live") return;
    const focused = this.focusKey(root);
    localizeTimes(fresh);
    root.replaceWith(fresh);
    this.restoreFocus(fresh, focused);
    this.subscribe();
  }

  focusKey(root) {
    const active = document.activeElement;
    if (!active || !root.contains(active)) return null;
    const row = active.closest("tr[id]");
    return row ? { row: row.id, className: active.className } : null;
  }

  restoreFocus(root, key) {
    if (!key) return;
    const row = document.getElementById(key.row);
    const target = row && ([...row.querySelectorAll("a, button")].find((el) => el.className === key.className) || row.querySelector("a"));
    if (target) target.focus({ preventScroll: true });
    else root.querySelector("a")?.focus({ preventScroll: true });
  }
}

const holder = document.querySelector("[data-list-fragment-url]");
if (holder) new LiveList(holder.dataset.listFragmentUrl).start();
