// Times and durations shared by the pages. Only ever writes textContent.
//
// The duration rules live in Python (pods/timeline/times.py, pods/web/waterfall/axis.py): the server
// formats every duration it can.
// Durations that tick in the browser are formatted here, and the unit tests check these functions
// against tests/js/tables.json, which scripts/js_tables.py writes from the Python formatters.

/** `Math.round` as Python's `round` does it: an exact half goes to the even neighbour. */
function roundHalfEven(x) {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Python's `f"{x:.1f}"` for x >= 0: toFixed, except that an exact tie (x = n/4, n odd) goes to even. */
function fixed1(x) {
  if (!Number.isInteger(x * 4) || Number.isInteger(x * 2)) return x.toFixed(1);
  return (roundHalfEven(x * 10) / 10).toFixed(1);
}

/** Seconds as a short duration: 0.4s, 12s, 2m40s, 1h5m, 3d4h ("" for null). */
export function formatDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return "";
  const s = Math.max(0, seconds);
  if (s < 10 && s !== Math.trunc(s)) return `${fixed1(s)}s`;
  const total = Math.trunc(s);
  if (total < 60) return `${total}s`;
  const days = Math.trunc(total / 86400);
  const hours = Math.trunc((total % 86400) / 3600);
  const minutes = Math.trunc((total % 3600) / 60);
  const secs = total % 60;
  if (days) return hours ? `${days}d${hours}h` : `${days}d`;
  if (hours) return minutes ? `${hours}h${minutes}m` : `${hours}h`;
  return secs ? `${minutes}m${secs}s` : `${minutes}m`;
}

/** A label of the waterfall's time axis: 0, 200ms, 1.5s, 30s, 2m, 1h30m. */
export function tickLabel(seconds) {
  if (seconds === 0) return "0";
  if (seconds < 1) return `${roundHalfEven(seconds * 1000)}ms`;
  if (seconds < 60 && seconds !== Math.trunc(seconds)) return `${Number(seconds.toPrecision(6))}s`;
  return formatDuration(seconds);
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** A Date in the viewer's time zone as `2025-06-01 12:00:41` (+ `.123` when not whole seconds). */
export function formatLocal(date) {
  let text =
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  if (date.getMilliseconds()) text += `.${pad(date.getMilliseconds(), 3)}`;
  return text;
}

/** The viewer's time zone (`Europe/Paris`), or "local time" when the browser does not say. */
export function zoneName() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  } catch {
    return "local time";
  }
}

let zoneFormat = null; // made once: a new Intl.DateTimeFormat per time cost ~0.1 ms (a Pod page has thousands)

/** The zone's short name at `date` (`CEST`, `GMT+2`, `UTC`): what a shown time is followed by. */
export function zoneAbbreviation(date) {
  try {
    zoneFormat ??= new Intl.DateTimeFormat("en-US", { timeZoneName: "short" });
    const parts = zoneFormat.formatToParts(date);
    return parts.find((part) => part.type === "timeZoneName")?.value || zoneName();
  } catch {
    return zoneName();
  }
}

/**
 * The one time convention of the pages: every `<time data-time>` under `root` is rewritten in the
 * viewer's zone with the zone shown (`2025-06-01 12:00:41 CEST`); the UTC text moves to the title. Every
 * `[data-time-zone]` of the page (the footer's legend) names the zone.
 */
export function localizeTimes(root = document) {
  const zone = zoneName();
  for (const el of root.querySelectorAll("time[data-time]")) {
    const date = new Date(el.dataset.time);
    if (Number.isNaN(date.getTime())) continue;
    if (!el.dataset.utc) el.dataset.utc = el.textContent;
    el.title = `${el.dataset.utc} UTC`.replace("Z UTC", " UTC");
    el.textContent = `${formatLocal(date)} ${zoneAbbreviation(date)}`;
    el.setAttribute("aria-label", `${formatLocal(date)} ${zone}`);
  }
  const page = root.ownerDocument || root;
  for (const el of page.querySelectorAll?.("[data-time-zone]") || []) {
    if (el.textContent !== zone) el.textContent = zone;
  }
}

/** Show in every `[data-since]` under `root` the time elapsed from its RFC 3339 value to `now` (ms). */
export function updateDurations(root = document, now = Date.now()) {
  for (const el of root.querySelectorAll("[data-since]")) {
    const since = Date.parse(el.dataset.since);
    if (Number.isNaN(since)) continue;
    const text = formatDuration((now - since) / 1000);
    if (el.textContent !== text) el.textContent = text;
  }
}

/** Keep every `[data-since]` under `root` ticking; returns the interval's id. */
export function tickDurations(root = document, intervalMs = 1000) {
  updateDurations(root);
  return setInterval(() => updateDurations(root), intervalMs);
}
