import { formatDuration, formatLocal, localizeTimes } from "./time.js";

// A WebSocket to the live dashboard that reconnects with back-off and shows its state.
//
// Contract: `connectLive({ path, onHello, onMessage })` opens `ws(s)://<host><path>`. Every
// `{"type": "hello"}` from the server (first connect and every reconnect) calls `onHello(socket)`: the
// page resynchronises from the server there, because it cannot know what it missed while disconnected.
// Other messages go to `onMessage(message)`. Close code 4401 (signed out) stops reconnecting. The
// `[data-live-indicator]` element shows "Live", "Connecting…", "Reconnecting in Ns…" or "Signed out".
//
// Freshness: whether the data behind the page is current is the server's verdict (the one staleness rule,
// pods/selectors/clusters.py), rendered as `#freshness[data-freshness]` (live | stale | recorded) with a
// `[data-cluster-freshness]` entry per stale or recorded cluster (its known-at time, its error).
// `startFreshness` re-reads it from the server every few seconds (and at once on `clusters.changed`), and
// every second turns the indicator's `data-live-state` to one of `live`, `reconnecting` (the socket),
// `stale`, `recorded`, `signed-out`, and ticks `[data-since]` durations, stopped for a stale cluster at the
// time its data was last known. Cluster strings (error messages) are written with textContent only.
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_NOT_FOUND = 4404;
export const FIRST_DELAY_MS = 500;
export const MAX_DELAY_MS = 15000;
export const FRESHNESS_POLL_MS = 10000;
const INDICATOR_TEXT_MAX = 90;

// The socket's side of the indicator ("none" on a page without a socket, as a recording's).
const socketStatus = { state: "none", text: "" };
// When a stale cluster without a known-at time was first seen stale (its timers stop there).
const frozenAt = new Map();

function indicate(state, text) {
  socketStatus.state = state;
  socketStatus.text = text;
  renderIndicator();
}

/** The indicator's `data-live-state` from the socket's state and the freshness of the page's data. */
export function liveState(socket, freshness) {
  if (socket === "signed-out") return "signed-out";
  if (freshness === "recorded") return "recorded";
  if (socket === "connecting" || socket === "reconnecting" || socket === "paused") return "reconnecting";
  if (freshness === "stale" || socket === "not-live") return "stale";
  return "live";
}

/** What the server said about the page's clusters (`root` is or holds `[data-freshness]`):
 * `{ state, clusters: Map(name -> { name, state, knownAt, error, reason }) }`. */
export function readFreshness(root = document) {
  const holder = root.matches?.("[data-freshness]") ? root : root.querySelector("[data-freshness]");
  const clusters = new Map();
  for (const el of holder ? holder.querySelectorAll("[data-cluster-freshness]") : []) {
    const knownAt = Date.parse(el.dataset.knownAt || "");
    clusters.set(el.dataset.clusterFreshness, {
      name: el.dataset.clusterFreshness,
      state: el.dataset.state,
      knownAt: Number.isNaN(knownAt) ? null : knownAt,
      error: el.dataset.error || "",
      reason: el.dataset.reason || "",
    });
  }
  return { state: holder ? holder.dataset.freshness : null, clusters };
}

function clip(text) {
  return text.length > INDICATOR_TEXT_MAX ? `${text.slice(0, INDICATOR_TEXT_MAX - 1)}…` : text;
}

/** The indicator's words for a state (the full text goes to its title). */
export function indicatorText(state, freshness, socketText = "") {
  const entries = [...freshness.clusters.values()];
  if (state === "stale") {
    const stale = entries.filter((e) => e.state === "stale");
    if (!stale.length) return "Stale: not live";
    const [first] = stale;
    const why = first.error || first.reason || "not current";
    const more = stale.length > 1 ? ` (+${stale.length - 1} more)` : "";
    return `Stale: ${first.name}${more}: ${why}`;
  }
  if (state === "recorded") {
    const ends = entries.map((e) => e.knownAt).filter((t) => t != null);
    return ends.length ? `Recorded: data up to ${formatLocal(new Date(Math.max(...ends)))}` : "Recorded";
  }
  if (state === "signed-out") return "Signed out — reload to sign in";
  if (state === "live") return "Live";
  return socketText || "Connecting…";
}

function renderIndicator(root = document) {
  const freshness = readFreshness(root);
  if (socketStatus.state === "none" && freshness.state !== "recorded" && freshness.state !== "stale") return;
  const socket = socketStatus.state === "none" ? "live" : socketStatus.state;
  const state = liveState(socket, freshness.state);
  const full = indicatorText(state, freshness, socketStatus.text);
  for (const el of document.querySelectorAll("[data-live-indicator]")) {
    el.hidden = false;
    el.dataset.liveState = state;
    // `data-state` styles the dot: the socket's own states while it is not open, else the data's.
    el.dataset.state = state === "reconnecting" || state === "signed-out" ? socket : state;
    if (socket === "signed-out" || socket === "not-live" || socket === "paused") el.dataset.state = "offline";
    const label = el.querySelector("[data-live-text]") || el;
    const text =
      state === "reconnecting" || socket === "not-live" || socket === "paused"
        ? socketStatus.text
        : clip(full);
    if (label.textContent !== text) label.textContent = text;
    el.title = state === "live" ? "Receiving live updates" : full;
  }
}

/** The time (ms) the durations of `el` count to: for a stale cluster, the time the server drew its part of
 * the page at (`data-clock`, rendered while stale: the server's rule, e.g. never before the Pod's own
 * newest news), else the cluster's known-at time; `now` for a current one. */
export function clockFor(el, freshness, now = Date.now()) {
  const holder = el.closest("[data-cluster]");
  const entry = holder ? freshness.clusters.get(holder.dataset.cluster) : null;
  if (entry?.state !== "stale") return now;
  const drawnAt = Date.parse(el.closest("[data-clock]")?.dataset.clock ?? "");
  if (!Number.isNaN(drawnAt)) return Math.min(now, drawnAt);
  if (entry.knownAt != null) return Math.min(now, entry.knownAt);
  if (!frozenAt.has(entry.name)) frozenAt.set(entry.name, now);
  return frozenAt.get(entry.name);
}

/** Tick every `[data-since]` under `root` to its clock (stopped for stale clusters); mark stale holders. */
export function updateFreshDurations(root = document, now = Date.now(), freshness = readFreshness(root)) {
  for (const holder of root.querySelectorAll("[data-cluster]")) {
    const entry = freshness.clusters.get(holder.dataset.cluster);
    const stale = entry?.state === "stale";
    if (stale !== (holder.dataset.stale === "1")) {
      if (stale) holder.dataset.stale = "1";
      else delete holder.dataset.stale;
    }
  }
  for (const [name] of frozenAt) {
    if (freshness.clusters.get(name)?.state !== "stale") frozenAt.delete(name);
  }
  const view = durationsView();
  view.sweep();
  for (const el of root.querySelectorAll("[data-since]")) {
    view.watch(el);
    if (!view.isOffScreen(el)) tickDuration(el, freshness, now);
  }
}

/** Tick the durations of a part of the page just swapped in (rendered by the server at its own "now"), so
 * they never show the server's figure for up to a second before the next tick. */
export function tickDurationsIn(root, now = Date.now(), freshness = readFreshness()) {
  for (const el of root.querySelectorAll("[data-since]")) tickDuration(el, freshness, now);
}

function tickDuration(el, freshness, now) {
  const since = Date.parse(el.dataset.since);
  if (Number.isNaN(since)) return;
  setText(el, formatDuration((clockFor(el, freshness, now) - since) / 1000));
}

/** Which of the elements it watches are off screen, from an IntersectionObserver (`options`: its root
 * margin); `onEnter(elements)` runs with those that came into view. An element it has not reported on
 * yet counts as on screen, and without an IntersectionObserver every element does. `sweep()` forgets the
 * elements that left the page. The one home of "is it on screen" for the overview's durations (here)
 * and its rows (list-live.js). */
export class Viewport {
  constructor(onEnter, options = {}) {
    this.onEnter = onEnter;
    this.offScreen = new WeakSet();
    this.watched = new Set();
    this.viewer =
      typeof IntersectionObserver === "function"
        ? new IntersectionObserver((entries) => this.seen(entries), options)
        : null;
  }

  watch(el) {
    if (!this.viewer || this.watched.has(el)) return;
    this.watched.add(el);
    this.viewer.observe(el);
  }

  isOffScreen(el) {
    return this.offScreen.has(el);
  }

  sweep() {
    for (const el of this.watched) if (!el.isConnected) this.forget(el);
  }

  forget(el) {
    this.viewer?.unobserve(el);
    this.watched.delete(el);
    this.offScreen.delete(el);
  }

  seen(entries) {
    const entered = [];
    for (const { target, isIntersecting } of entries) {
      if (!target.isConnected) this.forget(target);
      else if (isIntersecting) {
        this.offScreen.delete(target);
        entered.push(target);
      } else this.offScreen.add(target);
    }
    if (entered.length) this.onEnter(entered);
  }
}

// Durations off screen are not ticked: the overview shows up to 1,000 of them, and each tick of a table's
// cells lays the whole table out again (docs/performance.md, B5); one coming into view is ticked at once.
// Made on first use (tests install their IntersectionObserver before).
let durations;

function durationsView() {
  durations ??= new Viewport((entered) => {
    const now = Date.now();
    const freshness = readFreshness();
    for (const el of entered) tickDuration(el, freshness, now);
  });
  return durations;
}

/** Write `text` into `el`: into its one text node when it has one (no node replaced, so nothing to style
 * again: hundreds of durations tick every second on the overview). */
function setText(el, text) {
  const node = el.firstChild;
  if (node && node === el.lastChild && node.nodeType === Node.TEXT_NODE) {
    if (node.data !== text) node.data = text;
  } else if (el.textContent !== text) el.textContent = text;
}

/** True while no cluster behind the page is stale (running waterfall bars may grow). */
export function dataIsCurrent(root = document) {
  return readFreshness(root).state !== "stale";
}

function freshnessKey(freshness) {
  const parts = [...freshness.clusters.values()].map((e) => `${e.name}|${e.state}|${e.knownAt}|${e.error}`);
  return `${freshness.state}:${parts.join(";")}`;
}

/**
 * Keep the page honest about its data: every second the indicator and the durations follow
 * `#freshness`; every `pollMs` (and at once on `check()`, e.g. on a `clusters.changed` message) the
 * server's current `#freshness` is fetched from its `data-url` and swapped in; `onChange()` runs when the
 * verdict changed, for the page to re-fetch its data (stale: drawn as last known; live again: current).
 */
export function startFreshness({ onChange, pollMs = FRESHNESS_POLL_MS, tickMs = 1000 } = {}) {
  const tick = () => {
    renderIndicator();
    updateFreshDurations();
  };
  const poll = async () => {
    const current = document.getElementById("freshness");
    const url = current?.dataset.url;
    if (!url || current.dataset.freshness === "recorded") return;
    const fresh = await fetchFragment(url);
    const now = document.getElementById("freshness");
    if (fresh?.id !== "freshness" || !now) return;
    localizeTimes(fresh);
    const changed = freshnessKey(readFreshness(now)) !== freshnessKey(readFreshness(fresh));
    now.replaceWith(fresh);
    tick();
    if (changed) onChange?.();
  };
  const check = coalesce(poll, 250);
  tick();
  const timers = [setInterval(tick, tickMs), setInterval(check, pollMs)];
  return {
    check,
    tick,
    stop() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}

/** Reconnect delays: 0.5 s doubling to 15 s, each with ±25 % jitter; `reset()` after a good connect. */
export class Backoff {
  constructor(random = Math.random) {
    this.random = random;
    this.delay = FIRST_DELAY_MS;
  }

  /** True until the first failure after a reset (the indicator says "connecting", not "reconnecting"). */
  get fresh() {
    return this.delay === FIRST_DELAY_MS;
  }

  /** The next wait in ms (and double the one after). */
  next() {
    const wait = Math.round(this.delay * (0.75 + this.random() * 0.5));
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    return wait;
  }

  reset() {
    this.delay = FIRST_DELAY_MS;
  }
}

export function connectLive({ path, onHello, onMessage, backoff = new Backoff() }) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${location.host}${path}`;
  let socket = null;
  let timer = null;
  let stopped = false;

  const schedule = () => {
    const wait = backoff.next();
    indicate("reconnecting", `Reconnecting in ${Math.max(1, Math.round(wait / 1000))}s…`);
    timer = setTimeout(open, wait);
  };

  const onClose = (event) => {
    socket = null;
    if (stopped) return;
    if (event.code === CLOSE_UNAUTHENTICATED) {
      indicate("signed-out", "Signed out — reload to sign in");
      return;
    }
    if (event.code === CLOSE_NOT_FOUND) {
      indicate("not-live", "Not live");
      return;
    }
    schedule();
  };

  function open() {
    timer = null;
    indicate(backoff.fresh ? "connecting" : "reconnecting", "Connecting…");
    socket = new WebSocket(url);
    socket.addEventListener("message", (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message.type === "hello") {
        backoff.reset();
        indicate("live", "Live");
        onHello?.(handle);
      } else {
        onMessage?.(message);
      }
    });
    socket.addEventListener("close", onClose);
  }

  const handle = {
    send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      socket?.close();
      indicate("paused", "Paused");
    },
    // Reconnect after stop(), as after an outage (the page resynchronises on the server's hello).
    resume() {
      if (!stopped) return;
      stopped = false;
      backoff.reset();
      open();
    },
    // For tests and the console: drop the connection as a network failure would (it reconnects).
    drop() {
      socket?.close(4000, "dropped by the page");
    },
  };
  window.addEventListener("online", () => {
    if (timer && !stopped) {
      clearTimeout(timer);
      backoff.reset();
      open();
    }
  });
  open();
  return handle;
}

/**
 * Run `task` (returns a Promise) at most once per `minGapMs`, never twice at once, and once more
 * after a run if it was requested meanwhile: bursts of requests collapse into few runs.
 */
export function coalesce(task, minGapMs, now = () => performance.now()) {
  let running = false;
  let wanted = false;
  let last = Number.NEGATIVE_INFINITY; // the first request runs at once, however young the page is
  let timer = null;
  const run = async () => {
    timer = null;
    if (running) return;
    running = true;
    wanted = false;
    last = now();
    try {
      await task();
    } catch (error) {
      console.warn("live refresh failed", error);
    } finally {
      running = false;
      if (wanted) request();
    }
  };
  function request() {
    wanted = true;
    if (running || timer) return;
    timer = setTimeout(run, Math.max(0, last + minGapMs - now()));
  }
  return request;
}

const TONE = /^[a-z][a-z-]{0,31}$/;

/**
 * Show a change summary's kubectl STATUS in `el` as the server decided it: its text (textContent only,
 * into its `[data-status-text]` child when it has one, so marks beside the text such as the list's stuck
 * dot stay) and its `tone-*` class (the summary's `tone`, pods/timeline/tone.py; anything but a plain word
 * reads as "wait"). Other classes stay. True when the text changed.
 */
export function patchStatus(el, pod) {
  if (!el) return false;
  const text = pod.status || "—";
  const tone = `tone-${TONE.test(pod.tone || "") ? pod.tone : "wait"}`;
  const changed = el.textContent.trim() !== text;
  if (changed) (el.querySelector("[data-status-text]") || el).textContent = text;
  if (!el.classList.contains(tone)) {
    for (const name of [...el.classList]) if (name.startsWith("tone-")) el.classList.remove(name);
    el.classList.add(tone);
  }
  return changed;
}

/** Fetch an HTML fragment and return its first element (parsed inertly: scripts never run). */
export async function fetchFragment(url) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
    cache: "no-store",
  });
  if (response.redirected && new URL(response.url).pathname.startsWith("/login")) {
    location.reload();
    return null;
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  return doc.body.firstElementChild;
}
