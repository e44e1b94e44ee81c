import "./dom.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { patchPod, summaryFor } from "../../frontend/js/pod-live.js";
import { page } from "./dom.js";

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
