import "./dom.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { fakeViewport, page } from "./dom.js";

const { observers, report: reportRow } = fakeViewport();
const { LiveList } = await import("../../frontend/js/list-live.js");

const row = (uid, digest = "d0") =>
  `<tr id="pod-${uid}" data-uid="${uid}" data-digest="${digest}" data-cluster="c"><td>${uid}` +
  `<span data-field="status"><span data-status-text>Init:0/1</span></span></td>` +
  `<td data-field="restarts">0</td></tr>`;
const list = (uids) =>
  page(
    `<div id="pod-list-live"><table id="pods"><tbody id="pod-rows">${uids.map((u) => row(u)).join("")}` +
      `</tbody></table></div>`,
  );
const report = (uid, isIntersecting) => reportRow(document.getElementById(`pod-${uid}`), isIntersecting);
const summary = (uid) => ({
  uid,
  status: "Init:Error",
  tone: "bad",
  restarts: 1,
  stuck: false,
  failed: false,
});

test("a changed row off screen is patched now and read from the server once it comes into view", () => {
  list(["u1", "u2", "u3"]);
  const live = new LiveList("/fragments/pods/", { gapMs: 0, connect: () => ({ send() {} }) });
  let syncs = 0;
  live.sync = () => syncs++;
  live.watchRows();
  report("u1", true);
  report("u2", false);
  report("u3", false);
  for (const uid of ["u1", "u2"]) live.pending.set(uid, summary(uid));
  live.flush();
  assert.equal(document.querySelector("#pod-u2 [data-status-text]").textContent, "Init:Error", "patched");
  assert.deepEqual([...live.want.uids], ["u1"], "only the row on screen is read now");
  assert.deepEqual([...live.deferred], ["u2"]);
  const before = syncs;
  report("u3", true); // nothing waits for it
  assert.equal(syncs, before);
  report("u2", true);
  assert.deepEqual([...live.want.uids].sort(), ["u1", "u2"]);
  assert.equal(live.deferred.size, 0);
  assert.equal(syncs, before + 1, "its read is asked for at once");
});

test("the periodic check reads the differing rows on screen and defers those off screen", () => {
  list(["u1", "u2", "u3"]);
  const live = new LiveList("/fragments/pods/", { gapMs: 0, connect: () => ({ send() {} }) });
  live.sync = () => {};
  live.watchRows();
  report("u1", true);
  report("u2", false);
  report("u3", false);
  const tbody = document.getElementById("pod-rows");
  live.placeInOrder(tbody, ["u1", "u2", "u3", "u4"], [], ["x1", "x2", "d0", "x4"]);
  assert.deepEqual([...live.want.uids].sort(), ["u1", "u4"], "u4 is new to the page: read now");
  assert.deepEqual([...live.deferred], ["u2"]);
  assert.ok(live.want.order);
});

test("rows that leave the page are no longer observed nor waited for", () => {
  list(["u1", "u2"]);
  const live = new LiveList("/fragments/pods/", { gapMs: 0, connect: () => ({ send() {} }) });
  live.sync = () => {};
  live.watchRows();
  const observer = observers.at(-1);
  report("u2", false);
  live.pending.set("u2", summary("u2"));
  live.flush();
  assert.deepEqual([...live.deferred], ["u2"]);
  const gone = document.getElementById("pod-u2");
  gone.remove();
  live.watchRows();
  assert.ok(!observer.targets.has(gone));
  assert.equal(live.deferred.size, 0);
  assert.ok(!live.view.isOffScreen(gone));
});
