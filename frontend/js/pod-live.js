// The Pod page's in-message patch: what a change summary (pods.ingest.change_summary) shows at once in the
// header, before the server-rendered fragment (diagnosis, waterfall, tables) is fetched and swapped in.
// The server decides every word: the STATUS and its tone come from the summary, written with textContent.
import { patchStatus } from "./live.js";

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
