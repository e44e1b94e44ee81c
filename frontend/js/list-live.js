// The Pod list's live rows: a socket subscribed to the page's filters (and the Pods it shows). A change
// to a shown row is patched in place at the next animation frame from the message (status, tone, ready,
// restarts, step, time in step, node), then the server re-renders just that row (its diagnosis and tags
// are the server's). Only a change that can move rows (a Pod not shown, a shown row whose stuck or failed
// verdict changed) re-reads the page's order (its uids); a new STATUS re-reads the counts. Those reads are
// coalesced (one in flight, one pending, at most one per REFRESH_GAP_MS) into one request for the parts
// needed (`?part=head`, `?part=order`, `?part=rows&uid=`), and the rows are morphed by Pod uid: a row
// shown, or that the server renders as before, stays the same element. On resynchronisation and every
// PERIODIC_CHECK_MS the page checks every row against the server's (`?part=digests`: the order and a
// digest of what each row is rendered from) and reads again only the rows that differ or are missing,
// so it converges after a missed message without reading every row. A row off screen is read again
// only when it comes into view (its patch from the message shows the change meanwhile). Everything from
// a message is written with textContent (the status colour is the server's `tone`); fragments come from
// the server, autoescaped.
import { coalesce, connectLive, fetchFragment, patchStatus, tickDurationsIn, Viewport } from "./live.js";
import { localizeTimes } from "./time.js";

const REFRESH_GAP_MS = 500;
const PERIODIC_CHECK_MS = 30000; // Pods become stuck by time alone, without any change message
export const FLASH_MS = 1200;
// The most rows one request re-renders by uid (its query string stays short); the rest wait for the next.
export const MAX_ROW_UIDS = 100;
const FILTERS = ["cluster", "namespace", "workload", "status", "stuck", "failed", "q"];
// The parts of the live list the server renders alone (pods/_list_parts.html), replaced by id.
const HEAD_PARTS = ["pod-list-head", "pod-list-pager"];

/** The live filters of a list URL's query string (empty ones left out). */
export function filtersOf(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const key of FILTERS) {
    if (params.get(key)) filters[key] = params.get(key);
  }
  return filters;
}

/**
 * Patch one row in place from a change summary. Returns what else the page must ask the server for:
 * `moved` when the row's stuck or failed verdict (the server's: the summary's `stuck` and `failed`
 * against the row's `data-stuck` / `data-failed`) changed, so rows may change order; `counted` when the
 * counts per STATUS may have changed (a new STATUS, a verdict or a deletion).
 */
export function patchRow(row, pod) {
  const cell = (field) => row.querySelector(`[data-field="${field}"]`);
  const statusChanged = patchStatus(cell("status"), pod);
  const ready = cell("ready");
  if (ready && pod.ready && ready.textContent !== pod.ready) ready.textContent = pod.ready;
  const restarts = cell("restarts");
  if (restarts && restarts.textContent !== String(pod.restarts)) restarts.textContent = String(pod.restarts);
  const step = cell("step");
  if (step && step.textContent !== (pod.step || "—")) step.textContent = pod.step || "—";
  const node = cell("node");
  if (node && "node" in pod && node.textContent !== (pod.node || "—")) node.textContent = pod.node || "—";
  patchSince(cell("step_since"), pod);
  row.serverMarkup = null; // no longer what the server rendered: its next rendering replaces it
  const moved =
    ("stuck" in pod && (pod.stuck === true) !== row.hasAttribute("data-stuck")) ||
    ("failed" in pod && (pod.failed === true) !== row.hasAttribute("data-failed"));
  const deleted = Boolean(pod.deleted) !== row.classList.contains("is-deleted");
  return { moved, counted: statusChanged || moved || deleted };
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

/** Highlight `rows` for FLASH_MS. The highlight is a still background, not a fade: a fading background
 * is repainted on the main thread at every frame for as long as any row fades, which on the overview
 * under churn (a few rows changing every second) meant a paint of the table at every frame, half of the
 * main thread (docs/performance.md, B5). Only classes are written: no layout is read (a layout forced per
 * row, or one a frame, costs a layout of the whole table each). A row still highlighted keeps its
 * highlight; the class is removed by row id, so a row the server re-rendered meanwhile (it carries the
 * class over) loses it too. */
export function flash(rows) {
  const ids = [];
  for (const row of rows) {
    if (row.classList.contains("is-changed")) continue;
    row.classList.add("is-changed");
    ids.push(row.id);
  }
  if (!ids.length) return;
  setTimeout(() => {
    for (const id of ids) document.getElementById(id)?.classList.remove("is-changed");
  }, FLASH_MS);
}

// The text of a ticking duration (the server's at its rendering; the page ticks it every second).
const TICKING_TEXT = /(<span data-since="[^"]*"[^>]*>)[^<]*/g;

/** The server's markup of a fresh row (its ticking durations' text left out), kept on it: a later
 * fragment that renders the row the same leaves the element shown in place. */
function remember(rows) {
  for (const row of rows) row.serverMarkup = row.outerHTML.replace(TICKING_TEXT, "$1");
  return rows;
}

/** Put `fresh` (the page's rows in order: the server's, or rows shown) into `tbody`, keyed by row id
 * (pod-<uid>): a row shown or rendered as before stays the same element, others are replaced, moved or
 * removed; one pass of writes and no layout read. A row listed twice is placed once (a page is read as of
 * one snapshot, but rows of two reads meet here), and every other element of `tbody` leaves.
 * Only the fewest rows move: the rows kept in the longest run already in the new order stay where they
 * are (a moved row is laid out and styled again from scratch: one Pod that drops 300 places must move one
 * row, not the 300 it passes). */
export function morphRows(tbody, fresh) {
  const current = new Map();
  for (const row of tbody.children) if (!current.has(row.id)) current.set(row.id, row);
  const placed = [];
  const seen = new Set();
  for (const row of fresh) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    const old = current.get(row.id);
    const keep = old && (old === row || old.serverMarkup === row.serverMarkup);
    placed.push(keep ? old : carryOver(old, row));
  }
  const kept = new Set(placed);
  for (const row of [...tbody.children]) if (!kept.has(row)) row.remove();
  const position = new Map([...tbody.children].map((row, i) => [row, i]));
  const stay = inOrder(placed.map((row) => position.get(row) ?? -1));
  let next = null;
  for (let i = placed.length - 1; i >= 0; i--) {
    if (!stay.has(i)) tbody.insertBefore(placed[i], next);
    next = placed[i];
  }
}

/** The indexes of a longest strictly increasing run of `positions` (−1, not placed yet, never in it):
 * the rows that may stay where they are (patience sorting, O(n log n)). */
export function inOrder(positions) {
  const tails = []; // tails[k]: the index of the smallest last position of a run of length k + 1
  const previous = new Array(positions.length).fill(-1);
  positions.forEach((p, i) => {
    if (p < 0) return;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (positions[tails[mid]] < p) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) previous[i] = tails[lo - 1];
    tails[lo] = i;
  });
  const stay = new Set();
  for (let i = tails.length ? tails[tails.length - 1] : -1; i >= 0; i = previous[i]) stay.add(i);
  return stay;
}

/** Replace the rows of `tbody` that `fresh` re-renders (by id) where they stand; the ids of the rows in
 * `fresh` come back (a row asked for and missing no longer matches the filters). */
export function replaceRows(tbody, fresh) {
  const found = new Set();
  for (const row of fresh) {
    found.add(row.id);
    const old = document.getElementById(row.id);
    if (old?.parentNode === tbody && old.serverMarkup !== row.serverMarkup)
      old.replaceWith(carryOver(old, row));
  }
  return found;
}

function carryOver(old, row) {
  if (old?.classList.contains("is-changed")) row.classList.add("is-changed");
  return row;
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
    this.want = wanted(); // what the next request asks the server for
    this.sync = coalesce(() => this.fetchParts(), gapMs);
    // Rows off screen are not read again while they are: their patch from the message shows the change,
    // and the server's rendering (diagnosis, tags) is read when the row comes into view. Under churn the
    // server re-rendered ~100 rows a read, most of them off screen, and laying out the new rows was the
    // page's largest cost (docs/performance.md, B5). Without an IntersectionObserver every row is on
    // screen. A Pod new to the page is always read (it must be placed).
    this.deferred = new Set(); // uids to read once their row is on screen
    this.view = new Viewport((rows) => this.entered(rows), { rootMargin: "200px 0px" });
  }

  /** Read the server's rendering of a shown row now, or once it is on screen. */
  reRead(row) {
    if (this.view.isOffScreen(row)) this.deferred.add(row.dataset.uid);
    else this.want.uids.add(row.dataset.uid);
  }

  entered(rows) {
    let wake = false;
    for (const row of rows) {
      if (!this.deferred.delete(row.dataset.uid)) continue;
      this.want.uids.add(row.dataset.uid);
      wake = true;
    }
    if (wake) this.sync();
  }

  /** Watch the rows shown (after any change of them); forget the rows that left, and their reads. */
  watchRows() {
    this.view.sweep();
    const shown = new Set();
    for (const row of this.root?.querySelectorAll("#pod-rows > tr[data-uid]") || []) {
      shown.add(row.dataset.uid);
      this.view.watch(row);
    }
    for (const uid of this.deferred) if (!shown.has(uid)) this.deferred.delete(uid);
  }

  get root() {
    return document.getElementById("pod-list-live");
  }

  uids() {
    return [...(this.root?.querySelectorAll("tr[data-uid]") || [])].map((row) => row.dataset.uid);
  }

  /** Re-read every row (the server's rendering of each) in order, and the counts: when more rows differ
   * from the server's than one request of rows by uid takes. */
  refresh() {
    this.want.all = true;
    this.sync();
  }

  /** Check every row against the server's (`?part=digests`) and the counts; the rows that differ or are
   * missing are read next: resynchronising, the periodic check (Pods become stuck, and their diagnosis
   * changes, by time alone; a message may have been missed). */
  check() {
    this.want.check = true;
    this.sync();
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
    // The rows as the server rendered them with the page: a first read that renders them the same (the
    // resynchronisation on the socket's hello) writes nothing.
    remember([...(this.root?.querySelectorAll("#pod-rows > tr") || [])]);
    this.watchRows();
    this.socket = this.connect({
      path: "/ws/pods/",
      onHello: () => {
        this.subscribe();
        this.check(); // resynchronise: changes may have happened while we were not connected
      },
      onMessage: (message) => {
        if (message.type === "pods.changed") this.receive(message.pods || []);
      },
    });
    this.periodic = setInterval(() => this.check(), PERIODIC_CHECK_MS);
    return this.socket;
  }

  receive(pods) {
    for (const pod of pods) {
      this.pending.set(pod.uid, pod);
      this.arrived?.set(pod.uid, pod);
    }
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Apply the frame's changes: patch shown rows, then ask for what the patches cannot show. */
  flush() {
    this.frame = 0;
    const patched = [];
    for (const pod of this.pending.values()) {
      const row = document.getElementById(`pod-${pod.uid}`);
      if (!row) {
        this.want.order = true; // a Pod not shown: it may belong on this page
        this.want.head = true;
        continue;
      }
      const { moved, counted } = patchRow(row, pod);
      if (moved) this.want.order = true;
      if (counted) this.want.head = true;
      this.reRead(row); // the server's whole row (diagnosis, tags)
      patched.push(row);
    }
    this.pending.clear();
    flash(patched);
    if (this.want.order || this.want.head || this.want.uids.size) this.sync();
  }

  /** One request for the parts wanted: every row (`part=head&part=rows`), or the counts (`part=head`),
   * the page's order (`part=order`: its uids; `part=digests`: with each row's digest) and the rows of
   * some uids (`part=rows&uid=...`). */
  async fetchParts() {
    const want = this.want;
    this.want = wanted();
    const tbody = this.root?.querySelector("#pod-rows");
    if (!tbody) return this.reload(); // no rows shown (an empty list): the whole live part
    const params = new URLSearchParams(location.search);
    if (want.all || want.check || want.order || want.head) params.append("part", "head");
    let uids = [];
    if (want.all) params.append("part", "rows");
    else {
      if (want.check) params.append("part", "digests");
      else if (want.order) params.append("part", "order");
      if (want.uids.size) {
        uids = [...want.uids];
        for (const uid of uids.splice(MAX_ROW_UIDS)) this.want.uids.add(uid); // the next request's
        params.append("part", "rows");
        for (const uid of uids) params.append("uid", uid);
      }
    }
    if (this.want.uids.size) this.sync();
    if (!params.has("part")) return;
    const arrived = new Map(); // changes that come while the fragment is on its way
    this.arrived = arrived;
    let fresh;
    try {
      fresh = await fetchFragment(`${this.fragmentUrl}?${params}`);
    } finally {
      if (this.arrived === arrived) this.arrived = null;
    }
    const root = this.root;
    const shown = root?.querySelector("#pod-rows");
    if (!fresh || !shown || fresh.id !== "pod-list-parts") return;
    const rowsPart = fresh.querySelector("#pod-rows");
    const rows = rowsPart ? remember([...rowsPart.children]) : [];
    const orderPart = fresh.querySelector("#pod-order");
    const order = orderPart ? orderPart.dataset.uids.split(" ").filter(Boolean) : null;
    const digests = orderPart?.dataset.digests?.split(" ") ?? null;
    if ((want.all && !rows.length) || (order && !order.length)) return this.reload(); // the list is empty
    localizeTimes(fresh);
    for (const row of rows) tickDurationsIn(row);
    // The fragment may have been rendered before those changes: they are patched in again, so a row never
    // steps back to an older status (the read they asked for follows).
    for (const row of rows) {
      const pod = arrived.get(row.dataset.uid);
      if (pod) patchRow(row, pod);
    }
    const focused = focusKey(root);
    for (const id of HEAD_PARTS) {
      const part = fresh.querySelector(`#${id}`);
      if (part) root.querySelector(`#${id}`)?.replaceWith(part);
    }
    if (want.all) morphRows(shown, rows);
    else if (order) this.placeInOrder(shown, order, rows, digests);
    else if (rowsPart) {
      const found = replaceRows(shown, rows);
      if (uids.some((uid) => !found.has(`pod-${uid}`))) {
        this.want.order = true; // it left the filters: re-read the order
        this.sync();
      }
    }
    if (focused && !root.contains(document.activeElement)) restoreFocus(root, focused);
    this.watchRows();
    this.subscribe({ always: false });
  }

  /** Put the rows in the server's `order` (uids): fresh rows of `rows`, else the rows shown; a uid with
   * neither (a Pod new to the page) is asked for, with the order again, by the next request. With the
   * server's `digests` (one per uid of `order`), a row shown whose digest differs stays where the order
   * puts it and is read again by the next request; when more differ than a request takes, every row is. */
  placeInOrder(tbody, order, rows, digests = null) {
    const fresh = new Map(rows.map((row) => [row.dataset.uid, row]));
    const placed = [];
    let missing = false;
    const stale = []; // read by the next request: rows missing, and differing rows on screen
    order.forEach((uid, i) => {
      const shown = document.getElementById(`pod-${uid}`);
      const row = fresh.get(uid) || (shown?.parentNode === tbody ? shown : null);
      if (!row) {
        missing = true;
        stale.push(uid);
        return;
      }
      placed.push(row);
      if (!digests || row !== shown || row.dataset.digest === digests[i]) return;
      if (this.view.isOffScreen(row)) this.deferred.add(uid);
      else stale.push(uid);
    });
    morphRows(tbody, placed);
    if (stale.length > MAX_ROW_UIDS) return this.refresh();
    for (const uid of stale) this.want.uids.add(uid);
    if (missing) this.want.order = true;
    if (stale.length) this.sync();
  }

  /** Swap in the whole live part (counts, rows, pager): when the list turns empty or stops being empty. */
  async reload() {
    const arrived = new Map();
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
    const rows = remember([...fresh.querySelectorAll("tr[data-uid]")]);
    localizeTimes(fresh);
    tickDurationsIn(fresh);
    for (const row of rows) {
      const pod = arrived.get(row.dataset.uid);
      if (pod) patchRow(row, pod);
    }
    root.replaceWith(fresh);
    restoreFocus(fresh, focused);
    this.watchRows();
    this.subscribe({ always: false });
  }
}

function wanted() {
  return { all: false, check: false, order: false, head: false, uids: new Set() };
}
