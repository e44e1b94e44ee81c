// Logs on demand on the Pod page. The logs API answers one attempt of a container: live text from the
// cluster, or (Pod gone, RBAC, cluster not watched, an attempt the kubelet no longer keeps) the lines kept
// when that attempt failed; `source` says which, `reason` why not live, `attempt` which attempt the lines
// belong to and `lines` how many. The previous attempt is never shown with the current one's lines
// (`same_as_current`). Log text is only ever set with textContent; messages never carry an exception's
// text.

const COPIED_MS = 2000;
let latest = 0; // the newest request: an older answer arriving late is dropped

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** "attempt #3", or "" when the API names none. */
export function attemptName(attempt) {
  return attempt ? `attempt #${attempt.number}` : "";
}

/** The role asked for: "current", "previous" or "" (an older attempt, by number). */
function role(asked) {
  if (asked.attempt != null && asked.attempt !== "") return "";
  return asked.previous ? "previous" : "current";
}

/** The sentence that says which attempt the lines belong to, where they came from and how many. */
export function describeLog(data, asked) {
  const container = data.container || asked.container;
  // Only the current and the previous attempt are served live: an attempt asked by number is one of them.
  const which = data.previous ? "previous" : role(asked) || (data.source === "live" ? "current" : "");
  const name = attemptName(data.attempt);
  // Kept lines are labelled by their own attempt only: for "current" they may be an earlier one's.
  const tags = [
    data.source === "stored" ? "" : which,
    data.attempt?.generation ? `sandbox generation ${data.attempt.generation}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const label = name ? `${name}${tags ? ` (${tags})` : ""}` : which ? `the ${which} attempt` : "the attempt";
  const subject = `${label[0].toUpperCase()}${label.slice(1)} of ${container}`;
  const why = data.reason ? ` Not served live: ${data.reason}.` : "";
  const count = plural(data.lines ?? 0, "line");
  if (data.same_as_current) {
    return `${subject} wrote the same ${count} as the current attempt; they are not shown twice. Turn on timestamps to tell the attempts apart.`;
  }
  if (data.source === "live") {
    const stamps = data.timestamps ? ", with timestamps" : "";
    return data.lines
      ? `${subject}, live from the cluster: ${count}${stamps}.`
      : `${subject}, live from the cluster: no lines.`;
  }
  if (data.source === "stored") {
    const exit = data.attempt?.exit_code != null ? ` (exit ${data.attempt.exit_code})` : "";
    const stamps = asked.timestamps ? " Kept lines have no timestamps." : "";
    return `${subject}: ${count} kept when it ended${exit}.${why}${stamps}`;
  }
  return `No log for ${label} of ${container}: ${data.reason || "nothing was kept"}.`;
}

/** A clean sentence for an answer that is not a log (never the body's or an exception's raw text). */
export async function failure(response) {
  if (response.status === 400) {
    try {
      const body = await response.json();
      const said = Object.values(body)
        .flat()
        .filter((m) => typeof m === "string");
      if (said.length) return `Could not fetch the log: ${said.join("; ")}.`;
    } catch {
      // no JSON: the generic sentence below
    }
    return "Could not fetch the log: the request was not valid.";
  }
  if (response.status === 401 || response.status === 403) {
    return "Could not fetch the log: you are signed out. Reload the page to sign in again.";
  }
  if (response.status === 404) return "Could not fetch the log: Initscope no longer knows this Pod.";
  return `Could not fetch the log: the server failed (HTTP ${response.status}). Try again.`;
}

/** What the panel's form asks for now (with `overrides` from a button or an attempt's link). */
function request(form, overrides = {}) {
  return {
    container: form.elements.container.value,
    previous: false,
    attempt: null,
    generation: null,
    timestamps: Boolean(form.elements.timestamps?.checked),
    ...overrides,
  };
}

export async function loadLog(page, form, previousOrAsked) {
  const asked =
    typeof previousOrAsked === "object" && previousOrAsked !== null
      ? request(form, previousOrAsked)
      : request(form, { previous: Boolean(previousOrAsked) });
  const status = page.querySelector("[data-logs-status]");
  const out = page.querySelector("[data-logs-output]");
  const copy = page.querySelector("[data-logs-copy]");
  const mine = ++latest;
  const wanted = role(asked) ? `the ${role(asked)} attempt` : `attempt #${asked.attempt}`;
  status.textContent = `Fetching ${wanted} of ${asked.container}…`;
  page.querySelector("[data-logs-form]")?.setAttribute("aria-busy", "true");
  const params = new URLSearchParams({ container: asked.container, cluster: page.dataset.cluster });
  if (role(asked) === "previous") params.set("previous", "1");
  if (asked.attempt != null && asked.attempt !== "") params.set("attempt", String(asked.attempt));
  if (asked.generation != null && asked.generation !== "") params.set("generation", String(asked.generation));
  if (asked.timestamps) params.set("timestamps", "1");
  let message;
  let data = null;
  try {
    const response = await fetch(`${page.dataset.logsUrl}?${params}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (response.ok) data = await response.json();
    else message = await failure(response);
  } catch {
    message = "Could not fetch the log: the server could not be reached. Try again.";
  } finally {
    page.querySelector("[data-logs-form]")?.removeAttribute("aria-busy");
  }
  if (mine !== latest) return; // a newer request was made meanwhile
  page.logsAsked = asked;
  const text = data && !data.same_as_current ? data.text || "" : "";
  status.textContent = data ? describeLog(data, asked) : message;
  out.textContent = text;
  out.hidden = !text;
  out.dataset.container = asked.container;
  out.dataset.previous = data?.previous ? "1" : "0";
  out.dataset.attempt = data?.attempt ? String(data.attempt.number) : "";
  out.dataset.source = data?.source || "";
  if (copy) copy.hidden = !text;
}

/** Copy the shown lines to the clipboard; says so on the button (and to screen readers). */
export async function copyLog(page) {
  const out = page.querySelector("[data-logs-output]");
  const button = page.querySelector("[data-logs-copy]");
  const done = page.querySelector("[data-logs-copied]");
  const text = out?.textContent || "";
  if (!text) return false;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    // No clipboard API (an insecure origin): select the lines for Ctrl+C and try the old command.
    const range = document.createRange();
    range.selectNodeContents(out);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    copied = Boolean(document.execCommand?.("copy"));
  }
  const said = copied
    ? `Copied ${plural(text.split("\n").filter(Boolean).length, "line")}.`
    : "Selected: press Ctrl+C to copy.";
  if (done) done.textContent = said;
  if (button) {
    button.textContent = copied ? "Copied" : "Copy";
    setTimeout(() => {
      button.textContent = "Copy";
    }, COPIED_MS);
  }
  return copied;
}

/** Open the panel on one attempt (a link beside it in the attempts table, or the header's "Logs"). */
export function openLog(page, link) {
  const form = page.querySelector("[data-logs-form]");
  const panel = page.querySelector("#logs");
  if (!form || !panel) return null;
  const container = link.dataset.container;
  if (container && [...form.elements.container.options].some((o) => o.value === container)) {
    form.elements.container.value = container;
  }
  const loading = loadLog(page, form, {
    attempt: link.dataset.attempt ?? null,
    generation: link.dataset.generation ?? null,
  });
  panel.scrollIntoView?.({ block: "start" });
  panel.querySelector("[data-logs-status]")?.focus({ preventScroll: true });
  return loading;
}

const quietly = (page, promise) =>
  promise?.catch(() => {
    page.querySelector("[data-logs-status]").textContent = "Could not show the log. Try again.";
  });

/** Fetch the chosen container's log when the form's "Current"/"Previous attempt" button is pressed, an
 * attempt's "Log" link is followed or the timestamps are switched; copy on demand. */
export function bindLogs(page) {
  const form = page.querySelector("[data-logs-form]");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const previous = event.submitter?.value === "1";
    return quietly(page, loadLog(page, form, previous));
  });
  form.elements.timestamps?.addEventListener("change", () => {
    const last = page.logsAsked;
    if (last && last.container === form.elements.container.value) {
      quietly(page, loadLog(page, form, { ...last, timestamps: form.elements.timestamps.checked }));
    }
  });
  page.querySelector("[data-logs-copy]")?.addEventListener("click", () => quietly(page, copyLog(page)));
  // Delegated: the attempts table is swapped in by live updates.
  page.addEventListener("click", (event) => {
    const link = event.target.closest?.("[data-logs-open]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    quietly(page, openLog(page, link));
  });
}
