// Times and durations shared by the pages. Only ever writes textContent.

/** Seconds as a short duration: 0.4s, 12s, 2m40s, 1h5m, 3d4h (same rules as pods/waterfall.py). */
export function formatDuration(seconds) {
  if (seconds == null || Number.isNaN(seconds)) return "";
  seconds = Math.max(0, seconds);
  if (seconds < 10 && seconds !== Math.trunc(seconds)) return `${seconds.toFixed(1)}s`;
  const total = Math.trunc(seconds);
  if (total < 60) return `${total}s`;
  const days = Math.trunc(total / 86400);
  const hours = Math.trunc((total % 86400) / 3600);
  const minutes = Math.trunc((total % 3600) / 60);
  const secs = total % 60;
  if (days) return hours ? `${days}d${hours}h` : `${days}d`;
  if (hours) return minutes ? `${hours}h${minutes}m` : `${hours}h`;
  return secs ? `${minutes}m${secs}s` : `${minutes}m`;
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

function zoneName() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
  } catch {
    return "local time";
  }
}

/** Rewrite every `<time data-time>` under `root` in local time; the UTC text moves to the title. */
export function localizeTimes(root = document) {
  const zone = zoneName();
  for (const el of root.querySelectorAll("time[data-time]")) {
    const date = new Date(el.dataset.time);
    if (Number.isNaN(date.getTime())) continue;
    if (!el.dataset.utc) el.dataset.utc = el.textContent;
    el.title = `${el.dataset.utc} UTC`.replace("Z UTC", " UTC");
    el.textContent = formatLocal(date);
    el.setAttribute("aria-label", `${el.textContent} ${zone}`);
  }
}

/** Keep every `[data-since]` under `root` showing the time elapsed since its RFC 3339 value. */
export function tickDurations(root = document, intervalMs = 1000) {
  const update = () => {
    const now = Date.now();
    for (const el of root.querySelectorAll("[data-since]")) {
      const since = Date.parse(el.dataset.since);
      if (Number.isNaN(since)) continue;
      const text = formatDuration((now - since) / 1000);
      if (el.textContent !== text) el.textContent = text;
    }
  };
  update();
  return setInterval(update, intervalMs);
}
