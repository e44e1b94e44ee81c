// The Pod page's live part, the pieces that are not the chart: the in-message patch, what a change
// summary (pods.ingest.change_summary) shows at once in the header before the server-rendered fragment
// (diagnosis, waterfall, tables) is fetched and swapped in; and the containers' attempts tables that the
// page leaves out (pods/web/views.py `_open_attempts`: a container of many attempts, not the diagnosis's),
// fetched when their `<details>` is opened and asked for again, open, with every live fragment.
// The server decides every word: the STATUS and its tone come from the summary, written with textContent;
// the attempts tables are the server's HTML.
import { fetchFragment, patchStatus } from "./live.js";
import { localizeTimes } from "./time.js";

/** Patch the header of `live` (`#pod-live`) from `pod`, this page's Pod; true when the STATUS changed. */
export function patchPod(live, pod) {
  if (!live) return false;
  const changed = patchStatus(live.querySelector(".pod-title [data-field=status]"), pod);
  const phase = live.querySelector("[data-field=phase]");
  const text = pod.phase || "—";
  if (phase && phase.textContent !== text) phase.textContent = text;
  return changed;
}

/** The newest summary of Pod `uid` in a `pods.changed` message, or null. */
export function summaryFor(message, uid) {
  if (message?.type !== "pods.changed" || !Array.isArray(message.pods)) return null;
  return message.pods.findLast((p) => p?.uid === uid) || null;
}

/** The live fragment's `url` asking for the attempts of every lane open under `live`, written out. */
export function withOpenAttempts(url, live) {
  const lanes = [...(live?.querySelectorAll("details.attempts[data-lane]") || [])]
    .filter((details) => details.open)
    .map((details) => `&open=${encodeURIComponent(details.dataset.lane)}`);
  return url + lanes.join("");
}

/**
 * Fetch the attempts table of `details` when it is open and its table was left out of the page (a
 * `[data-attempts-url]` stands in its place), and put it there, times localised. Once at a time; a
 * failure leaves the link (to the table alone) in place. Resolves to whether a table was put in.
 */
export async function loadAttempts(details) {
  const stand = details?.open && details.querySelector(":scope > [data-attempts-url]");
  if (!stand || stand.dataset.loading) return false;
  stand.dataset.loading = "1";
  let table = null;
  try {
    table = await fetchFragment(stand.dataset.attemptsUrl);
  } catch {
    table = null;
  }
  delete stand.dataset.loading;
  if (!table || !stand.isConnected || !table.matches("[data-attempts-lane]")) return false;
  localizeTimes(table);
  stand.replaceWith(table);
  return true;
}

/** Fetch the attempts of every open lane under `root` whose table was left out (after a swap). */
export function loadOpenAttempts(root) {
  return Promise.all([...root.querySelectorAll("details.attempts")].map((details) => loadAttempts(details)));
}

/** From now on, a lane's attempts left out of the page are fetched when it is opened (under `page`). */
export function bindAttempts(page) {
  // `toggle` does not bubble: caught on its way down, for every <details>, swapped-in ones too.
  page.addEventListener(
    "toggle",
    (event) => {
      if (event.target.matches?.("details.attempts")) loadAttempts(event.target);
    },
    true,
  );
}
