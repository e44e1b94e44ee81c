// The Pod page: local times, ticking durations, the waterfall (waterfall.js), live updates and logs on
// demand (logs.js). Live: a change message for this Pod patches the header at once (STATUS, its tone and
// the phase, from the message: pod-live.js), then the server-rendered fragment of the page is fetched and
// swapped in (also on every reconnect), keeping the zoom, the waterfall's current bar, the open sections
// (the attempts of each open container written out: `?open=`) and the focus. A container's attempts that
// the page leaves out are fetched when opened (pod-live.js).
import {
  coalesce,
  connectLive,
  dataIsCurrent,
  fetchFragment,
  startFreshness,
  tickDurationsIn,
} from "./live.js";
import { bindLogs } from "./logs.js";
import { bindAttempts, loadOpenAttempts, patchPod, summaryFor, withOpenAttempts } from "./pod-live.js";
import { localizeTimes } from "./time.js";
import { Waterfall } from "./waterfall.js";

const GROW_INTERVAL_MS = 250;
const REFRESH_GAP_MS = 250;

let waterfall = null;
let refresh = null;
let arrived = null; // the newest change that came while a fragment was on its way

const isSetUp = new WeakSet(); // each #pod-live once: the first one's set-up may come after a reload's

function setUp(live) {
  if (isSetUp.has(live)) return;
  isSetUp.add(live);
  localizeTimes(live);
  const root = live.querySelector("#waterfall");
  waterfall = root ? new Waterfall(root).init() : null;
  loadOpenAttempts(live); // left out of a fragment that came while they were being opened
}

/** Swap in the server's current fragment of the page, keeping zoom, open sections and focus. */
async function reload(url) {
  const waiting = { pod: null };
  arrived = waiting;
  let fresh;
  try {
    fresh = await fetchFragment(withOpenAttempts(url, document.getElementById("pod-live")));
  } finally {
    if (arrived === waiting) arrived = null;
  }
  const current = document.getElementById("pod-live");
  if (!fresh || !current || fresh.id !== "pod-live") return;
  // Rendered before that change, perhaps: patched in again, so the header never steps back (the refetch
  // it asked for follows).
  if (waiting.pod) patchPod(fresh, waiting.pod);
  const zoom = waterfall?.viewSeconds();
  const bar = waterfall?.current?.id;
  const open = new Map([...current.querySelectorAll("details[id]")].map((d) => [d.id, d.open]));
  const focusedId = current.contains(document.activeElement) ? document.activeElement.id : "";
  for (const details of fresh.querySelectorAll("details[id]")) {
    if (open.has(details.id)) details.open = open.get(details.id);
  }
  current.replaceWith(fresh);
  tickDurationsIn(fresh);
  setUp(fresh);
  waterfall?.showSeconds(zoom);
  if (bar) waterfall?.rove(document.getElementById(bar));
  if (focusedId) document.getElementById(focusedId)?.focus({ preventScroll: true });
}

function startLive(page, freshness) {
  refresh = coalesce(() => reload(page.dataset.fragmentUrl), REFRESH_GAP_MS);
  const uid = page.dataset.uid;
  const path = `/ws/pods/${encodeURIComponent(uid)}/?cluster=${encodeURIComponent(page.dataset.cluster)}`;
  window.initscopeLive = connectLive({
    path,
    onHello: () => refresh(), // resynchronise on every (re)connect
    onMessage: (message) => {
      const pod = summaryFor(message, uid);
      if (pod) {
        patchPod(document.getElementById("pod-live"), pod);
        if (arrived) arrived.pod = pod;
        refresh();
      } else if (message.type === "clusters.changed") freshness.check();
    },
  });
}

// Durations tick, stopped at the last known time while the cluster's data is stale (the bars then stop
// growing too); when the server's verdict changes the fragment is fetched again.
const freshness = startFreshness({ onChange: () => refresh?.() });
window.addEventListener("resize", () => requestAnimationFrame(() => waterfall?.render()));
setInterval(() => {
  if (dataIsCurrent()) waterfall?.grow();
}, GROW_INTERVAL_MS);
// "Skip to the waterfall" (the second tab stop of the page) lands on the chart's current bar, not on
// the zoom buttons before it; without this script the link still scrolls to the chart.
document.querySelector("[data-skip-waterfall]")?.addEventListener("click", (event) => {
  if (!waterfall?.current) return;
  event.preventDefault();
  waterfall.root.scrollIntoView({ block: "start" });
  waterfall.rove(waterfall.current, { focus: true });
});
const page = document.getElementById("pod");
const live = document.getElementById("pod-live");
// The server's page is drawn first, then set up: the chart's labels, ticks and tab stop and the local
// times come one frame after the bars (setting a 20 × 50 waterfall up reads its layout: it held the
// first frame back by ~30 ms, docs/performance.md, B5). A live reload that comes sooner sets its own
// fragment up, and this one then finds it set up.
if (live) requestAnimationFrame(() => setTimeout(() => setUp(document.getElementById("pod-live") || live)));
if (page) {
  bindLogs(page);
  bindAttempts(page);
  if (page.dataset.watched === "1") startLive(page, freshness);
}
