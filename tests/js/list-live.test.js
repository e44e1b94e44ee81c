import "./dom.js";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { afterEach, mock, test } from "node:test";
import {
  FLASH_MS,
  filtersOf,
  flash,
  inOrder,
  LiveList,
  MAX_ROW_UIDS,
  morphRows,
  patchRow,
} from "../../frontend/js/list-live.js";
import { fakeFetch, page } from "./dom.js";

const ROW = `
<tr id="pod-u1" data-uid="u1" data-cluster="prod">
  <td><a class="pod-link" href="/pods/u1/">shop/api</a></td>
  <td><span class="status tone-wait" data-field="status"><span data-status-text>Init:0/1</span></span></td>
  <td data-field="restarts">0</td>
  <td data-field="step">init 1/1: migrate</td>
  <td data-field="step_since"><span class="muted">—</span></td>
  <td data-field="node">node-1</td>
</tr>`;

const rowOf = (uid, extra = "") => ROW.replaceAll("u1", uid).replace("<tr ", `<tr ${extra} `);
const HEAD = (n) => `<div id="pod-list-head"><p data-field="summary">${n} Pods</p></div>`;
const PAGER = `<div id="pod-list-pager"></div>`;
const LIST = (rows, n = 1) =>
  `<div id="pod-list-live">${HEAD(n)}<table id="pods"><tbody id="pod-rows">${rows}</tbody></table>${PAGER}</div>`;
const PARTS = ({ head = null, order = null, digests = null, rows = null } = {}) =>
  `<div id="pod-list-parts">${head === null ? "" : HEAD(head) + PAGER}${
    order === null
      ? ""
      : `<div id="pod-order" data-uids="${order}"${digests === null ? "" : ` data-digests="${digests}"`}></div>`
  }${rows === null ? "" : `<table><tbody id="pod-rows">${rows}</tbody></table>`}</div>`;

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
    node: "node-1",
    stuck: false,
    failed: false,
    deleted: false,
    ...fields,
  };
}

/** A fetch that answers `answer(url)` (parts markup); records the URLs. */
function serve(answer) {
  const urls = [];
  const fetch = async (url, options) => {
    urls.push(String(url));
    return fakeFetch(answer(new URL(url, location.href)))(url, options);
  };
  fetch.urls = urls;
  return fetch;
}

/** A list whose reads run only when a test awaits `fetchParts()` (no timers left behind). */
function listOf(connect = () => ({ send() {} })) {
  const list = new LiveList("/fragments/pods/", { gapMs: 0, connect });
  list.sync = () => {};
  return list;
}

const ids = () => [...document.querySelectorAll("#pod-rows tr")].map((tr) => tr.id);

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

test("a restart is patched in place: no row moves and the counts stay", () => {
  page(LIST(ROW));
  const row = document.getElementById("pod-u1");
  assert.deepEqual(patchRow(row, summary({ restarts: 3 })), { moved: false, counted: false });
  assert.equal(row.querySelector("[data-field=restarts]").textContent, "3");
});

test("a new status takes the server's tone and asks for the counts, not for a new order", () => {
  page(LIST(ROW));
  const row = document.getElementById("pod-u1");
  const change = patchRow(row, summary({ status: "Init:CrashLoopBackOff", tone: "bad" }));
  assert.deepEqual(change, { moved: false, counted: true });
  const status = row.querySelector("[data-field=status]");
  assert.equal(status.textContent, "Init:CrashLoopBackOff");
  assert.equal(status.className, "status tone-bad");
});

test("the status text is patched beside the row's stuck mark, which stays", () => {
  page(
    LIST(
      rowOf("u1", "data-stuck").replace(
        "<span data-status-text>",
        '<span class="stuck-dot"></span><span data-status-text>',
      ),
    ),
  );
  const row = document.getElementById("pod-u1");
  patchRow(row, summary({ status: "Init:Error", tone: "bad", stuck: true }));
  assert.ok(row.querySelector(".stuck-dot"));
  assert.equal(row.querySelector("[data-status-text]").textContent, "Init:Error");
});

test("a change of the stuck or failed verdict may move the row", () => {
  page(LIST(ROW + rowOf("u2", "data-stuck")));
  const [first, second] = document.querySelectorAll("#pod-rows tr");
  assert.equal(patchRow(first, summary({ stuck: true })).moved, true);
  assert.equal(patchRow(second, summary({ uid: "u2", stuck: true })).moved, false);
  assert.equal(patchRow(second, summary({ uid: "u2", stuck: true, failed: true })).moved, true);
});

test("a new step and node are patched and the time in step starts ticking from the summary", () => {
  page(LIST(ROW));
  const row = document.getElementById("pod-u1");
  patchRow(row, summary({ step: "running", step_since: "2025-06-01T10:01:00Z", node: "node-7" }));
  assert.equal(row.querySelector("[data-field=step]").textContent, "running");
  assert.equal(row.querySelector("[data-field=node]").textContent, "node-7");
  const since = row.querySelector("[data-field=step_since] [data-since]");
  assert.equal(since.dataset.since, "2025-06-01T10:01:00Z");
  patchRow(row, summary({ step: "running", step_since: "2025-06-01T10:02:00Z" }));
  assert.equal(row.querySelectorAll("[data-since]").length, 1);
  assert.equal(since.dataset.since, "2025-06-01T10:02:00Z");
});

test("the time in step of a finished or deleted Pod does not tick; a deletion changes the counts", () => {
  page(LIST(ROW));
  const row = document.getElementById("pod-u1");
  assert.equal(patchRow(row, summary({ phase: "Succeeded", terminal: true })).counted, false);
  assert.equal(row.querySelector("[data-since]"), null);
  assert.equal(patchRow(row, summary({ deleted: true })).counted, true);
  assert.equal(row.querySelector("[data-since]"), null);
});

test("a change of a shown row re-reads that row alone; the server's row replaces it in place", async () => {
  history.replaceState(null, "", "/?namespace=shop");
  page(LIST(ROW + rowOf("u2"), 2));
  const list = listOf();
  const other = document.getElementById("pod-u2");
  const served = ROW.replace("node-1", "node-9").replace('data-field="diagnosis"', "");
  globalThis.fetch = serve(() => PARTS({ rows: served }));
  list.pending.set("u1", summary({ restarts: 1 }));
  list.flush();
  assert.ok(document.getElementById("pod-u1").classList.contains("is-changed"));
  await list.fetchParts();
  assert.deepEqual(globalThis.fetch.urls, ["/fragments/pods/?namespace=shop&part=rows&uid=u1"]);
  assert.equal(document.querySelector("#pod-u1 [data-field=node]").textContent, "node-9");
  assert.equal(document.getElementById("pod-u2"), other, "the other row is the same element");
  assert.ok(document.getElementById("pod-u1").classList.contains("is-changed"), "its highlight carries over");
  assert.deepEqual(ids(), ["pod-u1", "pod-u2"]);
});

test("a new STATUS re-reads the counts with the row; a Pod not shown is placed by the server's order", async () => {
  page(LIST(ROW));
  const list = listOf();
  globalThis.fetch = serve(() => PARTS({ head: 5, rows: ROW }));
  list.pending.set("u1", summary({ status: "Init:Error", tone: "bad" }));
  list.flush();
  await list.fetchParts();
  assert.equal(globalThis.fetch.urls[0], "/fragments/pods/?part=head&part=rows&uid=u1");
  assert.equal(document.querySelector("[data-field=summary]").textContent, "5 Pods");
  const shown = document.getElementById("pod-u1");
  // A Pod new to the page: the order (its uids) first, then its row with the order again.
  globalThis.fetch = serve((url) =>
    url.searchParams.has("uid")
      ? PARTS({ head: 6, order: "u9 u1", rows: rowOf("u9") })
      : PARTS({ head: 6, order: "u9 u1" }),
  );
  list.pending.set("u9", summary({ uid: "u9" }));
  list.flush();
  await list.fetchParts();
  assert.equal(globalThis.fetch.urls[0], "/fragments/pods/?part=head&part=order");
  assert.deepEqual(ids(), ["pod-u1"]);
  await list.fetchParts();
  assert.equal(globalThis.fetch.urls[1], "/fragments/pods/?part=head&part=order&part=rows&uid=u9");
  assert.deepEqual(ids(), ["pod-u9", "pod-u1"]);
  assert.equal(document.getElementById("pod-u1"), shown, "the row shown is not read again");
});

test("a new Pod appears, a deleted one leaves and unchanged rows stay the same elements", async () => {
  page(LIST(ROW + rowOf("u2") + rowOf("u3"), 3));
  const list = listOf();
  globalThis.fetch = serve(() => PARTS({ head: 3, rows: ROW + rowOf("u2") + rowOf("u3") }));
  list.refresh();
  await list.fetchParts(); // the first read: rows shown since the page loaded are the server's again
  const [u1, u2] = [document.getElementById("pod-u1"), document.getElementById("pod-u2")];
  globalThis.fetch = serve(() => PARTS({ head: 3, rows: rowOf("u4") + ROW + rowOf("u2") }));
  list.refresh();
  await list.fetchParts();
  assert.deepEqual(ids(), ["pod-u4", "pod-u1", "pod-u2"]);
  assert.equal(document.getElementById("pod-u1"), u1);
  assert.equal(document.getElementById("pod-u2"), u2);
});

test("a row the server renders again with only its durations older stays the same element", async () => {
  const ticking = (text) =>
    ROW.replace('<span class="muted">—</span>', `<span data-since="2025-06-01T10:00:00Z">${text}</span>`);
  page(LIST(ticking("1m")));
  const list = listOf();
  globalThis.fetch = serve(() => PARTS({ head: 1, rows: ticking("1m") }));
  list.refresh();
  await list.fetchParts();
  const row = document.getElementById("pod-u1");
  globalThis.fetch = serve(() => PARTS({ head: 1, rows: ticking("1m5s") }));
  list.refresh();
  await list.fetchParts();
  assert.equal(document.getElementById("pod-u1"), row);
  globalThis.fetch = serve(() => PARTS({ head: 1, rows: ticking("1m9s").replace("node-1", "node-2") }));
  list.refresh();
  await list.fetchParts();
  assert.notEqual(document.getElementById("pod-u1"), row);
});

test("the rows the page was served with stay when the first read renders them the same", async () => {
  const ticking = ROW.replace(
    '<span class="muted">—</span>',
    '<span data-since="2025-06-01T10:00:00Z">1m</span>',
  );
  page(LIST(ticking));
  document.querySelector("[data-since]").textContent = "3m"; // ticked since
  const list = listOf(() => ({ send() {} }));
  list.start();
  clearInterval(list.periodic);
  const row = document.getElementById("pod-u1");
  globalThis.fetch = serve(() => PARTS({ head: 1, rows: ticking }));
  list.refresh();
  await list.fetchParts();
  assert.equal(document.getElementById("pod-u1"), row);
});

test("a row whose verdict changed moves to where the server ranks it", async () => {
  page(LIST(rowOf("u2", "data-stuck") + ROW, 2));
  const other = document.getElementById("pod-u2");
  const list = listOf();
  globalThis.fetch = serve(() => PARTS({ head: 2, order: "u1 u2", rows: rowOf("u1", "data-stuck") }));
  list.pending.set("u1", summary({ stuck: true, status: "Init:Error" }));
  list.flush();
  await list.fetchParts();
  assert.equal(globalThis.fetch.urls[0], "/fragments/pods/?part=head&part=order&part=rows&uid=u1");
  assert.deepEqual(ids(), ["pod-u1", "pod-u2"]);
  assert.ok(document.getElementById("pod-u1").hasAttribute("data-stuck"));
  assert.equal(document.getElementById("pod-u2"), other);
});

test("a row asked for that no longer matches the filters re-reads the order, and leaves", async () => {
  history.replaceState(null, "", "/?status=Init%3A");
  page(LIST(ROW + rowOf("u2"), 2));
  const list = listOf();
  globalThis.fetch = serve((url) =>
    PARTS(url.searchParams.has("uid") ? { rows: "" } : { head: 1, order: "u2" }),
  );
  list.pending.set("u1", summary({ restarts: 2 }));
  list.flush();
  await list.fetchParts();
  await list.fetchParts();
  assert.equal(globalThis.fetch.urls[1], "/fragments/pods/?status=Init%3A&part=head&part=order");
  assert.deepEqual(ids(), ["pod-u2"]);
});

test("more changed rows than one request takes wait for the next", async () => {
  const uids = Array.from({ length: MAX_ROW_UIDS + 20 }, (_, i) => `p${i}`);
  page(LIST(uids.map((uid) => rowOf(uid)).join(""), uids.length));
  const list = listOf();
  globalThis.fetch = serve(() => PARTS({ rows: "" }));
  for (const uid of uids) list.pending.set(uid, summary({ uid, restarts: 1 }));
  list.flush();
  await list.fetchParts();
  assert.equal(
    new URL(globalThis.fetch.urls[0], location.href).searchParams.getAll("uid").length,
    MAX_ROW_UIDS,
  );
  assert.equal(list.want.uids.size, 20);
});

test("a row the server lists twice is shown once, and a duplicate shown leaves", () => {
  page(LIST(ROW + rowOf("u2") + rowOf("u2"), 3));
  const fresh = new DOMParser().parseFromString(
    `<table><tbody>${ROW + rowOf("u2") + ROW}</tbody></table>`,
    "text/html",
  );
  morphRows(document.getElementById("pod-rows"), [...fresh.querySelectorAll("tr")]);
  assert.deepEqual(ids(), ["pod-u1", "pod-u2"]);
});

test("morphing rows writes nothing for rows the server renders as before", () => {
  page(LIST(ROW + rowOf("u2"), 2));
  const tbody = document.getElementById("pod-rows");
  const fresh = (markup) => {
    const parsed = new DOMParser().parseFromString(`<table><tbody>${markup}</tbody></table>`, "text/html");
    const rows = [...parsed.querySelectorAll("tr")];
    for (const row of rows) row.serverMarkup = row.outerHTML;
    return rows;
  };
  morphRows(tbody, fresh(ROW + rowOf("u2")));
  const before = ids().map((id) => document.getElementById(id));
  let writes = 0;
  new MutationObserver((records) => (writes += records.length)).observe(tbody, { childList: true });
  morphRows(tbody, fresh(ROW + rowOf("u2")));
  assert.deepEqual(
    ids().map((id) => document.getElementById(id)),
    before,
  );
  return new Promise((resolve) => setTimeout(resolve, 0)).then(() => assert.equal(writes, 0));
});

test("a row that drops many places is the only row moved; any new order comes out exact", () => {
  const uids = Array.from({ length: 30 }, (_, i) => `m${i}`);
  const markup = (order) => order.map((uid) => rowOf(uid)).join("");
  const fresh = (order) => {
    const parsed = new DOMParser().parseFromString(
      `<table><tbody>${markup(order)}</tbody></table>`,
      "text/html",
    );
    const rows = [...parsed.querySelectorAll("tr")];
    for (const row of rows) row.serverMarkup = row.outerHTML;
    return rows;
  };
  page(LIST(markup(uids), uids.length));
  const tbody = document.getElementById("pod-rows");
  morphRows(tbody, fresh(uids)); // every row now carries its server markup
  let moves = 0;
  const insertBefore = tbody.insertBefore.bind(tbody);
  tbody.insertBefore = (node, ref) => {
    moves++;
    return insertBefore(node, ref);
  };
  const dropped = [...uids.slice(1), uids[0]]; // the first Pod falls to the bottom
  morphRows(tbody, fresh(dropped));
  assert.deepEqual(
    ids(),
    dropped.map((uid) => `pod-${uid}`),
  );
  assert.equal(moves, 1);
  let seed = 7;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  for (let round = 0; round < 20; round++) {
    const order = [...uids].sort(() => random() - 0.5).slice(0, 20 + Math.floor(random() * 10));
    const before = new Map(ids().map((id, i) => [id, i]));
    const positions = order.map((uid) => before.get(`pod-${uid}`) ?? -1);
    moves = 0;
    morphRows(tbody, fresh(order));
    assert.deepEqual(
      ids(),
      order.map((uid) => `pod-${uid}`),
    );
    // the fewest moves: every row but a longest run already in order (inOrder, checked by brute force)
    const longest = inOrder(positions).size;
    const best = positions.reduce((acc, p, i) => {
      if (p < 0) return acc;
      let run = 1;
      for (let j = 0; j < i; j++) if (positions[j] >= 0 && positions[j] < p) run = Math.max(run, acc[j] + 1);
      acc[i] = run;
      return acc;
    }, new Array(positions.length).fill(0));
    assert.equal(longest, Math.max(0, ...best));
    assert.equal(moves, order.length - longest);
  }
});

test("a change that arrives while the rows are fetched is patched into them: a row never steps back", async () => {
  page(LIST(ROW));
  const list = listOf();
  list.socket = list.connect();
  let answer;
  const served = serve(() => PARTS({ head: 1, rows: ROW })); // rendered before the change: still Init:0/1
  globalThis.fetch = (url, options) =>
    new Promise((resolve) => (answer = () => resolve(served(url, options))));
  list.refresh();
  const reading = list.fetchParts();
  list.receive([summary({ status: "Init:Error", tone: "bad" })]);
  answer();
  await reading;
  const status = document.querySelector("#pod-u1 [data-field=status]");
  assert.equal(status.textContent, "Init:Error");
  assert.ok(status.classList.contains("tone-bad"));
  cancelAnimationFrame(list.frame);
  // A change that came before the fetch started is the fragment's to show.
  globalThis.fetch = serve(() => PARTS({ head: 1, rows: ROW }));
  list.refresh();
  await list.fetchParts();
  assert.equal(document.querySelector("#pod-u1 [data-field=status]").textContent, "Init:0/1");
});

test("a read of the rows keeps the focus and subscribes again only when the rows shown changed", async () => {
  history.replaceState(null, "", "/?namespace=shop");
  page(LIST(ROW));
  const sent = [];
  const list = listOf(() => ({ send: (m) => sent.push(m) }));
  list.socket = list.connect();
  list.subscribe(); // on the server's hello: always
  document.querySelector(".pod-link").focus();
  globalThis.fetch = serve(() => PARTS({ head: 1, rows: ROW }));
  list.refresh();
  await list.fetchParts();
  assert.equal(sent.length, 1);
  assert.equal(document.activeElement, document.querySelector("#pod-u1 .pod-link"));
  globalThis.fetch = serve(() => PARTS({ head: 2, rows: rowOf("u2") + ROW }));
  list.refresh();
  await list.fetchParts();
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1], { type: "subscribe", filters: { namespace: "shop" }, uids: ["u2", "u1"] });
  globalThis.fetch = serve(() => PARTS({ head: 2, rows: ROW + rowOf("u2") }));
  list.refresh();
  await list.fetchParts(); // the same rows in another order: the socket filters on the set
  assert.equal(sent.length, 2);
  list.subscribe(); // a reconnect's hello subscribes the new socket even with the same rows
  assert.equal(sent.length, 3);
});

test("when the list turns empty, or shows no rows yet, the whole live part is swapped in", async () => {
  page(LIST(ROW));
  const list = listOf();
  const empty = `<div id="pod-list-live">${HEAD(0)}<section class="empty">No Pods yet</section></div>`;
  globalThis.fetch = serve((url) => (url.searchParams.has("part") ? PARTS({ head: 0, rows: "" }) : empty));
  list.refresh();
  await list.fetchParts();
  assert.deepEqual(globalThis.fetch.urls, ["/fragments/pods/?part=head&part=rows", "/fragments/pods/"]);
  assert.ok(document.querySelector(".empty"));
  globalThis.fetch = serve(() => LIST(ROW));
  list.refresh();
  await list.fetchParts();
  assert.deepEqual(ids(), ["pod-u1"]);
});

test("a frame's changes flash every patched row without reading a layout", () => {
  const rows = ["u1", "u2", "u3"].map((uid) => rowOf(uid)).join("");
  page(LIST(rows, 3));
  const list = listOf();
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
  assert.equal(layouts, 0);
  assert.equal(document.querySelectorAll("tr.is-changed").length, 3);
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
  let checks = 0;
  list.check = () => checks++;
  list.sync = () => {};
  const socket = list.start();
  clearInterval(list.periodic);
  handlers.onHello(socket);
  assert.equal(sent[0].type, "subscribe");
  assert.deepEqual(sent[0].uids, ["u1"]);
  assert.equal(checks, 1);
  handlers.onMessage({ type: "pods.changed", pods: [summary({ restarts: 7 })] });
  await new Promise((resolve) => requestAnimationFrame(resolve));
  assert.equal(document.querySelector("[data-field=restarts]").textContent, "7");
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

test("the check reads again only the rows whose digest differs from the server's, and the missing ones", async () => {
  const digested = (uid, digest) => rowOf(uid, `data-digest="${digest}"`);
  page(LIST(digested("u1", "a1") + digested("u2", "a2") + digested("u3", "a3"), 3));
  const [u1, u3] = [document.getElementById("pod-u1"), document.getElementById("pod-u3")];
  const list = listOf();
  globalThis.fetch = serve(() => PARTS({ head: 4, order: "u4 u1 u2 u3", digests: "a4 a1 b2 a3" }));
  list.check();
  await list.fetchParts();
  assert.equal(globalThis.fetch.urls[0], "/fragments/pods/?part=head&part=digests");
  assert.deepEqual(ids(), ["pod-u1", "pod-u2", "pod-u3"]); // u4 is not known yet
  assert.equal(document.getElementById("pod-u1"), u1, "a row that matches is not read again");
  assert.deepEqual([...list.want.uids].sort(), ["u2", "u4"]);
  assert.ok(list.want.order, "a missing row is read with the order");
  globalThis.fetch = serve(() =>
    PARTS({ head: 4, order: "u4 u1 u2 u3", rows: digested("u4", "a4") + digested("u2", "b2") }),
  );
  await list.fetchParts();
  assert.equal(globalThis.fetch.urls[0], "/fragments/pods/?part=head&part=order&part=rows&uid=u4&uid=u2");
  assert.deepEqual(ids(), ["pod-u4", "pod-u1", "pod-u2", "pod-u3"]);
  assert.equal(document.getElementById("pod-u2").dataset.digest, "b2");
  assert.equal(document.getElementById("pod-u3"), u3);
  assert.equal(list.want.uids.size, 0);
});

test("when more rows differ than one request of rows takes, the check reads every row", async () => {
  const uids = Array.from({ length: MAX_ROW_UIDS + 1 }, (_, i) => `p${i}`);
  page(LIST(uids.map((uid) => rowOf(uid, 'data-digest="old"')).join(""), uids.length));
  const list = listOf();
  globalThis.fetch = serve(() =>
    PARTS({ head: uids.length, order: uids.join(" "), digests: uids.map(() => "new").join(" ") }),
  );
  list.check();
  await list.fetchParts();
  assert.ok(list.want.all);
  assert.equal(list.want.uids.size, 0);
});

test("a changed row is highlighted with a still background for FLASH_MS, then its highlight goes", () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    page(LIST(["p1", "p2"].map((uid) => rowOf(uid)).join(""), 2));
    const [first, second] = document.querySelectorAll("#pods tbody tr");
    flash([first]);
    mock.timers.tick(FLASH_MS / 2);
    flash([first, second]); // the first keeps its highlight (and its removal time); the second gets one
    assert.ok(first.classList.contains("is-changed") && second.classList.contains("is-changed"));
    mock.timers.tick(FLASH_MS / 2);
    assert.ok(!first.classList.contains("is-changed"), "FLASH_MS after its first change");
    assert.ok(second.classList.contains("is-changed"));
    mock.timers.tick(FLASH_MS / 2);
    assert.ok(!second.classList.contains("is-changed"));
    const css = readFileSync(new URL("../../frontend/css/app.css", import.meta.url), "utf8");
    const rule = css.match(/\.pods-table tr\.is-changed \{([^}]*)\}/);
    assert.ok(
      rule && /background:/.test(rule[1]) && !/animation|transition/.test(rule[1]),
      "a still background",
    );
  } finally {
    mock.timers.reset();
  }
});
