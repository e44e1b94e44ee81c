import "./dom.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bindAttempts,
  loadAttempts,
  loadOpenAttempts,
  patchPod,
  summaryFor,
  withOpenAttempts,
} from "../../frontend/js/pod-live.js";
import { fakeFetch, page } from "./dom.js";

const LIVE = `
<div id="pod-live">
  <header class="pod-head">
    <div class="pod-title">
      <h1><span class="ns">shop/</span>api</h1>
      <span class="status status--big tone-wait" data-field="status" title="kubectl STATUS">Init:0/1</span>
    </div>
    <dl class="facts"><div><dt>Phase</dt><dd data-field="phase">Pending</dd></div></dl>
  </header>
  <table><tr><td data-field="state">waiting</td></tr></table>
</div>`;

test("a change patches the header's STATUS with the server's tone, and the phase", () => {
  page(LIVE);
  const live = document.getElementById("pod-live");
  const changed = patchPod(live, {
    uid: "u1",
    status: "Init:CrashLoopBackOff",
    tone: "bad",
    phase: "Pending",
  });
  assert.equal(changed, true);
  const status = live.querySelector("[data-field=status]");
  assert.equal(status.textContent, "Init:CrashLoopBackOff");
  assert.equal(status.className, "status status--big tone-bad");
  assert.equal(
    patchPod(live, { uid: "u1", status: "Init:CrashLoopBackOff", tone: "bad", phase: "Failed" }),
    false,
  );
  assert.equal(live.querySelector("[data-field=phase]").textContent, "Failed");
});

test("message data is text, never markup, and an odd tone reads as wait", () => {
  page(LIVE);
  const live = document.getElementById("pod-live");
  patchPod(live, { status: '<img src=x onerror="window.__xss=1">', tone: "bad onclick", phase: "" });
  const status = live.querySelector("[data-field=status]");
  assert.equal(status.querySelector("img"), null);
  assert.equal(status.textContent, '<img src=x onerror="window.__xss=1">');
  assert.equal(status.className, "status status--big tone-wait");
  assert.equal(live.querySelector("[data-field=phase]").textContent, "—");
});

test("the summary of this Pod is the newest one for its uid in a pods.changed message", () => {
  const message = {
    type: "pods.changed",
    pods: [
      { uid: "u1", status: "Init:0/1" },
      { uid: "u2", status: "Running" },
      { uid: "u1", status: "Init:Error" },
    ],
  };
  assert.equal(summaryFor(message, "u1").status, "Init:Error");
  assert.equal(summaryFor(message, "u3"), null);
  assert.equal(summaryFor({ type: "clusters.changed", cluster: "a" }, "u1"), null);
});

const ATTEMPTS = `
<div id="pod-live">
  <details class="attempts" id="attempts-lane-c0" data-lane="lane-c0" open><summary>init 1</summary>
    <div class="attempts-body" data-attempts-lane="lane-c0"><table></table></div></details>
  <details class="attempts" id="attempts-lane-c1" data-lane="lane-c1"><summary>init 2</summary>
    <p data-attempts-url="/pods/u1/fragment/?cluster=a&amp;part=attempts&amp;lane=lane-c1"><a href="#">13 attempts</a></p></details>
</div>`;
const TABLE = `<div class="attempts-body" data-attempts-lane="lane-c1"><table><tbody>
  <tr id="row-c1-g0-a12"><td><time datetime="2025-06-01T10:00:41Z" data-time="2025-06-01T10:00:41Z">2025-06-01 10:00:41Z</time></td>
  <td><pre class="message">&lt;script&gt;x&lt;/script&gt;</pre></td></tr></tbody></table></div>`;

test("a live fragment asks for the attempts of every open lane", () => {
  page(ATTEMPTS);
  const live = document.getElementById("pod-live");
  assert.equal(withOpenAttempts("/f/?cluster=a", live), "/f/?cluster=a&open=lane-c0");
  live.querySelector("#attempts-lane-c1").open = true;
  assert.equal(withOpenAttempts("/f/?cluster=a", live), "/f/?cluster=a&open=lane-c0&open=lane-c1");
});

test("a lane's attempts left out are fetched once it is opened, times localised, markup kept as text", async () => {
  page(ATTEMPTS);
  const original = globalThis.fetch;
  globalThis.fetch = fakeFetch(TABLE);
  try {
    const details = document.getElementById("attempts-lane-c1");
    assert.equal(await loadAttempts(details), false, "closed: nothing fetched");
    assert.equal(globalThis.fetch.calls.length, 0);
    details.open = true;
    assert.equal(await loadAttempts(details), true);
    assert.deepEqual(
      globalThis.fetch.calls.map((c) => c.url),
      ["/pods/u1/fragment/?cluster=a&part=attempts&lane=lane-c1"],
    );
    assert.equal(details.querySelector("[data-attempts-url]"), null);
    assert.equal(details.querySelectorAll("tr#row-c1-g0-a12").length, 1);
    const time = details.querySelector("time");
    assert.equal(time.title, "2025-06-01 10:00:41 UTC");
    assert.equal(details.querySelector("script"), null);
    assert.equal(details.querySelector("pre").textContent, "<script>x</script>");
    assert.equal(await loadAttempts(details), false, "already there: not fetched again");
    assert.equal(globalThis.fetch.calls.length, 1);
    // already written out (lane-c0): never fetched
    await loadOpenAttempts(document.getElementById("pod-live"));
    assert.equal(globalThis.fetch.calls.length, 1);
  } finally {
    globalThis.fetch = original;
  }
});

test("opening a lane fetches its attempts; a failed fetch leaves the link", async () => {
  page(ATTEMPTS);
  const original = globalThis.fetch;
  globalThis.fetch = fakeFetch("gone", { status: 404 });
  try {
    bindAttempts(document.body);
    const details = document.getElementById("attempts-lane-c1");
    details.open = true;
    details.dispatchEvent(new Event("toggle"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(globalThis.fetch.calls.length >= 1);
    const stand = details.querySelector("[data-attempts-url]");
    assert.ok(stand?.querySelector("a"), "the link to the table stays");
    assert.equal(stand.dataset.loading, undefined, "and it may be tried again");
  } finally {
    globalThis.fetch = original;
  }
});
