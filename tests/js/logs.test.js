import "./dom.js";
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { bindLogs, describeLog, loadLog } from "../../frontend/js/logs.js";
import { fakeFetch, page } from "./dom.js";

const PANEL = `
<article id="pod" data-cluster="prod" data-logs-url="/api/v1/pods/u1/logs">
  <form data-logs-form>
    <select name="container"><option value="migrate" selected>migrate</option></select>
    <button type="submit" name="previous" value="0" data-logs-load="current">Current</button>
    <button type="submit" name="previous" value="1" data-logs-load="previous">Previous</button>
  </form>
  <p data-logs-status></p>
  <pre data-logs-output hidden></pre>
</article>`;

const originalFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = originalFetch;
});

function panel() {
  const body = page(PANEL);
  const pod = body.querySelector("#pod");
  return {
    pod,
    form: pod.querySelector("form"),
    status: pod.querySelector("[data-logs-status]"),
    out: pod.querySelector("[data-logs-output]"),
  };
}

test("a log says whether it came live from the cluster or was kept when the attempt failed", () => {
  assert.equal(
    describeLog({ source: "live" }, "current attempt", "app"),
    "current attempt of app, from the cluster",
  );
  assert.equal(
    describeLog(
      { source: "stored", attempt: { number: 4 }, reason: "Pod deleted" },
      "previous attempt",
      "migrate",
    ),
    "lines of migrate (#4) kept when it failed — not served live: Pod deleted",
  );
  assert.equal(
    describeLog({ source: "none", reason: "RBAC" }, "current attempt", "app"),
    "current attempt of app — not served live: RBAC",
  );
});

test("the previous attempt's log is fetched for the chosen container and shown as text", async () => {
  const { pod, form, status, out } = panel();
  globalThis.fetch = fakeFetch({ source: "live", text: "<b>boom</b>\n" });
  await loadLog(pod, form, true);
  assert.equal(
    globalThis.fetch.calls[0].url,
    "/api/v1/pods/u1/logs?container=migrate&cluster=prod&previous=1",
  );
  assert.equal(out.textContent, "<b>boom</b>\n");
  assert.equal(out.querySelector("b"), null);
  assert.equal(out.hidden, false);
  assert.equal(out.dataset.previous, "1");
  assert.equal(out.dataset.container, "migrate");
  assert.equal(status.textContent, "Showing the previous attempt of migrate, from the cluster.");
});

test("an empty log is said to be empty and its output stays hidden", async () => {
  const { pod, form, status, out } = panel();
  globalThis.fetch = fakeFetch({ source: "live", text: "" });
  await loadLog(pod, form, false);
  assert.equal(out.hidden, true);
  assert.equal(status.textContent, "No log: the current attempt of migrate, from the cluster is empty.");
});

test("an HTTP error is reported in the status line", async () => {
  const { pod, form, status } = panel();
  globalThis.fetch = fakeFetch("", { status: 403 });
  await loadLog(pod, form, false);
  assert.equal(status.textContent, "Could not fetch the log: HTTP 403");
});

test("the buttons of the form fetch the current or the previous attempt", async () => {
  const { pod, form, out } = panel();
  globalThis.fetch = fakeFetch({ source: "live", text: "line\n" });
  bindLogs(pod);
  form.requestSubmit(form.querySelector("[data-logs-load=previous]"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.match(globalThis.fetch.calls[0].url, /previous=1/);
  assert.equal(out.dataset.previous, "1");
});
