import "./dom.js";
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { filtersOf, LiveList, patchRow } from "../../frontend/js/list-live.js";
import { fakeFetch, page } from "./dom.js";

const ROW = `
<tr id="pod-u1">
  <td><a class="pod-link" href="/pods/u1/">shop/api</a></td>
  <td><span class="status tone-wait" data-field="status">Init:0/1</span></td>
  <td data-field="restarts">0</td>
  <td data-field="step">init 1/1: migrate</td>
  <td data-field="step_since"><span class="muted">—</span></td>
</tr>`;

const LIST = (rows, uids = "u1") =>
  `<div id="pod-list-live" data-uids="${uids}"><table><tbody>${rows}</tbody></table></div>`;

function summary(fields = {}) {
  return {
    uid: "u1",
    phase: "Pending",
    terminal: false,
    status: "Init:0/1",
    tone: "wait",
    restarts: 0,
    step: "init 1/1: migrate",
    step_since: "2025-06-01T10:00:00Z",
    deleted: false,
    ...fields,
  };
}

const originalFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = originalFetch;
  history.replaceState(null, "", "/");
});

test("the list's live filters are the non-empty ones of its query string", () => {
  assert.deepEqual(filtersOf("?cluster=a&namespace=&status=Init%3AError&page=2&stuck=1"), {
    cluster: "a",
    status: "Init:Error",
    stuck: "1",
  });
});

test("a restart is patched in place and needs no refetch", () => {
  page(LIST(ROW));
  const row = document.getElementById("pod-u1");
  assert.equal(patchRow(row, summary({ restarts: 3 })), false);
  assert.equal(row.querySelector("[data-field=restarts]").textContent, "3");
});

test("a new status takes the server's tone and asks for a refetch (rows may move)", () => {
  page(LIST(ROW));
  const row = document.getElementById("pod-u1");
  assert.equal(patchRow(row, summary({ status: "Init:CrashLoopBackOff", tone: "bad" })), true);
  const status = row.querySelector("[data-field=status]");
  assert.equal(status.textContent, "Init:CrashLoopBackOff");
  assert.equal(status.className, "status tone-bad");
});

test("a new step is patched and the time in step starts ticking from the summary", () => {
  page(LIST(ROW));
  const row = document.getElementById("pod-u1");
  assert.equal(patchRow(row, summary({ step: "running", step_since: "2025-06-01T10:01:00Z" })), true);
  assert.equal(row.querySelector("[data-field=step]").textContent, "running");
  const since = row.querySelector("[data-field=step_since] [data-since]");
  assert.equal(since.dataset.since, "2025-06-01T10:01:00Z");
  patchRow(row, summary({ step: "running", step_since: "2025-06-01T10:02:00Z" }));
  assert.equal(row.querySelectorAll("[data-since]").length, 1);
  assert.equal(since.dataset.since, "2025-06-01T10:02:00Z");
});

test("the time in step of a finished or deleted Pod does not tick; a deletion asks for a refetch", () => {
  page(LIST(ROW));
  const row = document.getElementById("pod-u1");
  assert.equal(patchRow(row, summary({ phase: "Succeeded", terminal: true })), false);
  assert.equal(row.querySelector("[data-since]"), null);
  assert.equal(patchRow(row, summary({ deleted: true })), true);
  assert.equal(row.querySelector("[data-since]"), null);
});

test("a summary for a Pod not shown refetches the rows; one for a shown row flashes it", async () => {
  page(LIST(ROW));
  const list = new LiveList("/fragments/pods/", { gapMs: 0 });
  let refreshes = 0;
  list.refresh = () => refreshes++;
  list.pending.set("u1", summary({ restarts: 1 }));
  list.flush();
  assert.equal(refreshes, 0);
  assert.ok(document.getElementById("pod-u1").classList.contains("is-changed"));
  list.pending.set("u9", summary({ uid: "u9" }));
  list.flush();
  assert.equal(refreshes, 1);
  assert.equal(list.pending.size, 0);
});

test("a reload swaps in the server's rows, keeps the focus and subscribes to the rows shown", async () => {
  history.replaceState(null, "", "/?namespace=shop");
  page(LIST(ROW));
  document.querySelector(".pod-link").focus();
  const sent = [];
  const connect = () => ({ send: (message) => sent.push(message) });
  const list = new LiveList("/fragments/pods/", { connect });
  list.socket = connect();
  const second = ROW.replaceAll("u1", "u2");
  globalThis.fetch = fakeFetch(LIST(second + ROW, "u2 u1"));
  await list.reload();
  assert.equal(globalThis.fetch.calls[0].url, "/fragments/pods/?namespace=shop");
  assert.deepEqual(
    [...document.querySelectorAll("tr")].map((tr) => tr.id),
    ["pod-u2", "pod-u1"],
  );
  assert.equal(document.activeElement, document.querySelector("#pod-u1 .pod-link"));
  assert.deepEqual(sent, [{ type: "subscribe", filters: { namespace: "shop" }, uids: ["u2", "u1"] }]);
});

test("a hello subscribes and resynchronises; a change message is applied on the next frame", async () => {
  page(LIST(ROW));
  let handlers;
  const sent = [];
  const connect = (options) => {
    handlers = options;
    return { send: (message) => sent.push(message) };
  };
  const list = new LiveList("/fragments/pods/", { connect });
  let refreshes = 0;
  list.refresh = () => refreshes++;
  const socket = list.start();
  handlers.onHello(socket);
  assert.equal(sent[0].type, "subscribe");
  assert.equal(refreshes, 1);
  handlers.onMessage({ type: "pods.changed", pods: [summary({ restarts: 7 })] });
  await new Promise((resolve) => requestAnimationFrame(resolve));
  assert.equal(document.querySelector("[data-field=restarts]").textContent, "7");
  clearInterval(list.periodic);
});

test("the Failed filter is live too, and READY is patched in place", () => {
  assert.deepEqual(filtersOf("?failed=1&status=init%3A"), { status: "init:", failed: "1" });
  const body = page(
    `<table><tbody><tr id="pod-u1"><td data-field="ready">0/1</td><td data-field="status">Running</td></tr></tbody></table>`,
  );
  const row = body.querySelector("tr");
  patchRow(row, { uid: "u1", status: "Running", ready: "1/1", restarts: 0, step: "running" });
  assert.equal(row.querySelector('[data-field="ready"]').textContent, "1/1");
});

test("a change that arrives while the rows are fetched is patched into them: a row never steps back", async () => {
  const row = ROW.replace('<tr id="pod-u1">', '<tr id="pod-u1" data-uid="u1">');
  page(LIST(row));
  const list = new LiveList("/fragments/pods/", { connect: () => ({ send() {} }) });
  list.socket = list.connect();
  let answer;
  const served = fakeFetch(LIST(row)); // rendered before the change: still Init:0/1
  globalThis.fetch = (url, options) =>
    new Promise((resolve) => (answer = () => resolve(served(url, options))));
  const reloading = list.reload();
  list.receive([summary({ status: "Init:Error", tone: "bad" })]);
  answer();
  await reloading;
  const status = document.querySelector("#pod-u1 [data-field=status]");
  assert.equal(status.textContent, "Init:Error");
  assert.ok(status.classList.contains("tone-bad"));
  cancelAnimationFrame(list.frame);
  // A change that came before the fetch started is the fragment's to show.
  globalThis.fetch = fakeFetch(LIST(row));
  await list.reload();
  assert.equal(document.querySelector("#pod-u1 [data-field=status]").textContent, "Init:0/1");
});

test("a reload subscribes again only when the rows shown changed", async () => {
  page(LIST(ROW));
  const sent = [];
  const list = new LiveList("/fragments/pods/", { connect: () => ({ send: (m) => sent.push(m) }) });
  list.socket = list.connect();
  list.subscribe(); // on the server's hello: always
  globalThis.fetch = fakeFetch(LIST(ROW));
  await list.reload();
  assert.equal(sent.length, 1);
  globalThis.fetch = fakeFetch(LIST(ROW.replaceAll("u1", "u2") + ROW, "u2 u1"));
  await list.reload();
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1].uids, ["u2", "u1"]);
  globalThis.fetch = fakeFetch(LIST(ROW + ROW.replaceAll("u1", "u2"), "u1 u2"));
  await list.reload(); // the same rows in another order: the socket filters on the set
  assert.equal(sent.length, 2);
  list.subscribe(); // a reconnect's hello subscribes the new socket even with the same rows
  assert.equal(sent.length, 3);
});

test("a frame's changes flash every patched row with one forced layout, not one per row", () => {
  const rows = ["u1", "u2", "u3"].map((uid) => ROW.replaceAll("u1", uid)).join("");
  page(LIST(rows, "u1 u2 u3"));
  const list = new LiveList("/fragments/pods/", { gapMs: 0 });
  list.refresh = () => {};
  const owner = [HTMLElement.prototype, Element.prototype].find((p) =>
    Object.getOwnPropertyDescriptor(p, "offsetWidth"),
  );
  const original = Object.getOwnPropertyDescriptor(owner, "offsetWidth");
  let layouts = 0;
  Object.defineProperty(owner, "offsetWidth", {
    configurable: true,
    get() {
      layouts++;
      return original.get.call(this);
    },
  });
  try {
    for (const uid of ["u1", "u2", "u3"]) list.pending.set(uid, summary({ uid, restarts: 2 }));
    list.flush();
  } finally {
    Object.defineProperty(owner, "offsetWidth", original);
  }
  assert.equal(layouts, 1);
  assert.equal(document.querySelectorAll("tr.is-changed").length, 3);
});
