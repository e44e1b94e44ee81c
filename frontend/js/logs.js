// Logs on demand on the Pod page. The logs API answers live text from the cluster, or (Pod gone, RBAC,
// cluster not watched) the lines kept when the attempt failed; `source` says which, `reason` why not
// live. Log text is only ever set with textContent.

/** The sentence that says where a log came from. */
export function describeLog(data, which, container) {
  if (data.source === "live") return `${which} of ${container}, from the cluster`;
  const kept = data.attempt ? ` (#${data.attempt.number})` : "";
  const why = data.reason ? ` — not served live: ${data.reason}` : "";
  if (data.source === "stored") return `lines of ${container}${kept} kept when it failed${why}`;
  return `${which} of ${container}${why}`;
}

export async function loadLog(page, form, previous) {
  const status = page.querySelector("[data-logs-status]");
  const out = page.querySelector("[data-logs-output]");
  const container = form.elements.container.value;
  const which = previous ? "previous attempt" : "current attempt";
  status.textContent = `Fetching the ${which} of ${container}…`;
  const params = new URLSearchParams({ container, cluster: page.dataset.cluster });
  if (previous) params.set("previous", "1");
  const response = await fetch(`${page.dataset.logsUrl}?${params}`, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) {
    status.textContent = `Could not fetch the log: HTTP ${response.status}`;
    return;
  }
  const data = await response.json();
  const text = data.text || "";
  const source = describeLog(data, which, container);
  status.textContent = text ? `Showing the ${source}.` : `No log: the ${source} is empty.`;
  out.textContent = text;
  out.hidden = !text;
  out.dataset.container = container;
  out.dataset.previous = previous ? "1" : "0";
}

/** Fetch the chosen container's log when the form's "Current"/"Previous attempt" button is pressed. */
export function bindLogs(page) {
  const form = page.querySelector("[data-logs-form]");
  if (!form) return;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const previous = event.submitter?.value === "1";
    return loadLog(page, form, previous).catch((error) => {
      page.querySelector("[data-logs-status]").textContent = `Could not fetch the log: ${error}`;
    });
  });
}
