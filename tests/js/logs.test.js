import "./dom.js";
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { bindLogs, copyLog, describeLog, loadLog } from "../../frontend/js/logs.js";
import { fakeFetch, page } from "./dom.js";

const PANEL = `
<article id="pod" data-cluster="prod" data-logs-url="/api/v1/pods/u1/logs">
  <form data-logs-form>
    <select name="container"><option value="wait">wait</option><option value="migrate" selected>migrate</option></select>
    <button type="submit" name="previous" value="0" data-logs-load="current">Current</button>
    <button type="submit" name="previous" value="1" data-logs-load="previous">Previous</button>
    <input type="checkbox" name="timestamps" value="1">
  </form>
  <section id="logs"><p data-logs-status tabindex="-1"></p></section>
  <button type="button" data-logs-copy hidden>Copy</button>
  <span data-logs-copied></span>
  <pre data-logs-output hidden></pre>
  <table><tr><td><a href="#logs" data-logs-open data-container="wait" data-attempt="2" data-generation="1">Log</a></td></tr></table>
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

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const LIVE = { container: "migrate", source: "live", reason: "", text: "a\nb\n", lines: 2 };
const asked = (more = {}) => ({ container: "migrate", previous: false, attempt: null, ...more });

test("the status says which attempt, where from and how many lines", () => {
  assert.equal(
    describeLog({ ...LIVE, attempt: { number: 4, generation: 0 } }, asked()),
    "Attempt #4 (current) of migrate, live from the cluster: 2 lines.",
  );
  assert.equal(
    describeLog({ ...LIVE, previous: true, timestamps: true, attempt: null }, asked({ previous: true })),
    "The previous attempt of migrate, live from the cluster: 2 lines, with timestamps.",
  );
  assert.equal(
    describeLog({ ...LIVE, lines: 1, attempt: { number: 2, generation: 1 } }, asked()),
    "Attempt #2 (current, sandbox generation 1) of migrate, live from the cluster: 1 line.",
  );
});

test("kept lines are labelled by their own attempt, with why they are not live", () => {
  const stored = {
    ...LIVE,
    source: "stored",
    reason: "the Pod was deleted",
    attempt: { number: 3, generation: 0, exit_code: 1 },
  };
  assert.equal(
    describeLog(stored, asked({ timestamps: true })),
    "Attempt #3 of migrate: 2 lines kept when it ended (exit 1). Not served live: the Pod was deleted. Kept lines have no timestamps.",
  );
});

test("a missing previous attempt is said plainly", () => {
  const none = {
    ...LIVE,
    source: "none",
    text: "",
    lines: 0,
    reason: "the container has no previous attempt",
  };
  assert.equal(
    describeLog({ ...none, previous: true, attempt: null }, asked({ previous: true })),
    "No log for the previous attempt of migrate: the container has no previous attempt.",
  );
});

test("the previous attempt is never shown with the current attempt's lines", async () => {
  const { pod, form, status, out } = panel();
  globalThis.fetch = fakeFetch({
    ...LIVE,
    previous: true,
    same_as_current: true,
    attempt: { number: 3, generation: 0 },
  });
  await loadLog(pod, form, true);
  assert.equal(out.hidden, true);
  assert.equal(out.textContent, "");
  assert.match(
    status.textContent,
    /^Attempt #3 \(previous\) of migrate wrote the same 2 lines as the current attempt/,
  );
  assert.equal(pod.querySelector("[data-logs-copy]").hidden, true);
});

test("the previous attempt's log is fetched for the chosen container and shown as text", async () => {
  const { pod, form, status, out } = panel();
  globalThis.fetch = fakeFetch({ ...LIVE, previous: true, text: "<b>boom</b>\n", lines: 1 });
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
  assert.equal(status.textContent, "The previous attempt of migrate, live from the cluster: 1 line.");
  assert.equal(pod.querySelector("[data-logs-copy]").hidden, false);
});

test("timestamps are asked for when ticked, and switching them fetches the same attempt again", async () => {
  const { pod, form } = panel();
  globalThis.fetch = fakeFetch(LIVE);
  bindLogs(pod);
  form.requestSubmit(form.querySelector("[data-logs-load=previous]"));
  await tick();
  form.elements.timestamps.checked = true;
  form.elements.timestamps.dispatchEvent(new Event("change"));
  await tick();
  assert.equal(
    globalThis.fetch.calls[1].url,
    "/api/v1/pods/u1/logs?container=migrate&cluster=prod&previous=1&timestamps=1",
  );
});

test("an empty log is said to be empty and its output stays hidden", async () => {
  const { pod, form, status, out } = panel();
  globalThis.fetch = fakeFetch({ ...LIVE, text: "", lines: 0 });
  await loadLog(pod, form, false);
  assert.equal(out.hidden, true);
  assert.equal(status.textContent, "The current attempt of migrate, live from the cluster: no lines.");
});

test("errors are said in plain words, never with the answer's or the exception's text", async () => {
  const { pod, form, status } = panel();
  globalThis.fetch = fakeFetch("<html>Traceback (most recent call last)</html>", { status: 500 });
  await loadLog(pod, form, false);
  assert.equal(status.textContent, "Could not fetch the log: the server failed (HTTP 500). Try again.");
  globalThis.fetch = fakeFetch("", { status: 403 });
  await loadLog(pod, form, false);
  assert.equal(
    status.textContent,
    "Could not fetch the log: you are signed out. Reload the page to sign in again.",
  );
  globalThis.fetch = fakeFetch({ attempt: ["the container has no attempt #9"] }, { status: 400 });
  await loadLog(pod, form, false);
  assert.equal(status.textContent, "Could not fetch the log: the container has no attempt #9.");
  globalThis.fetch = async () => {
    throw new TypeError("NetworkError when attempting to fetch resource.");
  };
  await loadLog(pod, form, false);
  assert.equal(status.textContent, "Could not fetch the log: the server could not be reached. Try again.");
});

test("a late answer to an older request does not replace a newer one", async () => {
  const { pod, form, out } = panel();
  let release;
  globalThis.fetch = async () => {
    await new Promise((resolve) => {
      release = resolve;
    });
    return { ok: true, status: 200, json: async () => ({ ...LIVE, text: "old\n" }) };
  };
  const slow = loadLog(pod, form, false);
  globalThis.fetch = fakeFetch({ ...LIVE, text: "new\n" });
  await loadLog(pod, form, true);
  release();
  await slow;
  assert.equal(out.textContent, "new\n");
});

test("an attempt's Log link opens the panel on that attempt of its container", async () => {
  const { pod, status } = panel();
  globalThis.fetch = fakeFetch({ ...LIVE, container: "wait", attempt: { number: 2, generation: 1 } });
  bindLogs(pod);
  pod.querySelector("[data-logs-open]").click();
  await tick();
  assert.equal(
    globalThis.fetch.calls[0].url,
    "/api/v1/pods/u1/logs?container=wait&cluster=prod&attempt=2&generation=1",
  );
  assert.equal(pod.querySelector("select").value, "wait");
  assert.equal(
    status.textContent,
    "Attempt #2 (current, sandbox generation 1) of wait, live from the cluster: 2 lines.",
  );
  assert.equal(document.activeElement, status);
});

test("the copy button copies the shown lines and says so", async () => {
  const { pod, form } = panel();
  globalThis.fetch = fakeFetch(LIVE);
  await loadLog(pod, form, false);
  const copied = [];
  Object.defineProperty(navigator, "clipboard", {
    value: { writeText: async (text) => copied.push(text) },
    configurable: true,
  });
  assert.equal(await copyLog(pod), true);
  assert.deepEqual(copied, ["a\nb\n"]);
  assert.equal(pod.querySelector("[data-logs-copy]").textContent, "Copied");
  assert.equal(pod.querySelector("[data-logs-copied]").textContent, "Copied 2 lines.");
});

test("the buttons of the form fetch the current or the previous attempt", async () => {
  const { pod, form, out } = panel();
  globalThis.fetch = fakeFetch({ ...LIVE, previous: true });
  bindLogs(pod);
  form.requestSubmit(form.querySelector("[data-logs-load=previous]"));
  await tick();
  assert.match(globalThis.fetch.calls[0].url, /previous=1/);
  assert.equal(out.dataset.previous, "1");
});
