// Issue 11, "Truth about freshness": the live indicator's data-live-state from the socket and the
// server's freshness verdict, durations stopped at a stale cluster's last known time, the periodic
// re-read of #freshness, and cluster strings (errors) written as text only.
import "./dom.js";
import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import {
  clockFor,
  connectLive,
  dataIsCurrent,
  indicatorText,
  liveState,
  readFreshness,
  startFreshness,
  tickDurationsIn,
  updateFreshDurations,
} from "../../frontend/js/live.js";
import { fakeFetch, page } from "./dom.js";

const XSS = '<img src=x onerror="window.__xss = 1">';
const INDICATOR =
  '<span data-live-indicator data-state="connecting" data-live-state="reconnecting" hidden><span data-live-text></span></span>';

function freshness(state, entries = []) {
  const items = entries
    .map(
      ([name, entryState, knownAt, error = ""]) =>
        `<p data-cluster-freshness="${name}" data-state="${entryState}" data-known-at="${knownAt}" data-error="${error
          .replaceAll("&", "&amp;")
          .replaceAll('"', "&quot;")
          .replaceAll("<", "&lt;")}" data-reason="watch failing (pods)"></p>`,
    )
    .join("");
  return `<div id="freshness" data-freshness="${state}" data-url="/fragments/freshness/?cluster=prod">${items}</div>`;
}

const indicator = () => document.querySelector("[data-live-indicator]");

class FakeSocket {
  static OPEN = 1;
  static all = [];
  constructor(url) {
    this.url = url;
    this.listeners = {};
    this.readyState = 0;
    FakeSocket.all.push(this);
  }
  addEventListener(type, listener) {
    this.listeners[type] = [...(this.listeners[type] || []), listener];
  }
  send() {}
  close(code = 1000) {
    for (const listener of this.listeners.close || []) listener({ code });
  }
  hello() {
    this.readyState = FakeSocket.OPEN;
    for (const listener of this.listeners.message || []) listener({ data: '{"type": "hello"}' });
  }
}

let original;
beforeEach(() => {
  FakeSocket.all = [];
  globalThis.WebSocket = FakeSocket;
  original = globalThis.fetch;
  mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
});

afterEach(() => {
  mock.timers.reset();
  globalThis.fetch = original;
});

test("a recorded page says recorded without any socket", () => {
  page(`${INDICATOR}${freshness("recorded", [["samples", "recorded", "2024-01-01T12:00:00Z"]])}`);
  const f = startFreshness();
  assert.equal(indicator().hidden, false);
  assert.equal(indicator().dataset.liveState, "recorded");
  assert.match(indicator().textContent, /^Recorded: data up to 2024-01-01 /);
  f.stop();
});

test("data-live-state: signed-out first, then recorded, the socket, stale data, live", () => {
  assert.equal(liveState("signed-out", "recorded"), "signed-out");
  assert.equal(liveState("live", "recorded"), "recorded");
  assert.equal(liveState("reconnecting", "recorded"), "recorded");
  assert.equal(liveState("connecting", "stale"), "reconnecting");
  assert.equal(liveState("reconnecting", "live"), "reconnecting");
  assert.equal(liveState("live", "stale"), "stale");
  assert.equal(liveState("not-live", null), "stale");
  assert.equal(liveState("live", "live"), "live");
  assert.equal(liveState("live", null), "live");
});

test("the indicator turns stale on a live socket, names the cluster and its error, as text", () => {
  page(
    `${INDICATOR}${freshness("stale", [["prod", "stale", "2025-06-01T10:00:00Z", `connection refused ${XSS}`]])}`,
  );
  const f = startFreshness();
  connectLive({ path: "/ws/pods/" });
  assert.equal(indicator().dataset.liveState, "reconnecting");
  FakeSocket.all.at(-1).hello();
  assert.equal(indicator().dataset.liveState, "stale");
  assert.equal(indicator().dataset.state, "stale");
  assert.equal(indicator().textContent, `Stale: prod: connection refused ${XSS}`);
  assert.equal(indicator().querySelector("img"), null, "never parsed as markup");
  assert.equal(dataIsCurrent(), false);
  FakeSocket.all.at(-1).close(4401);
  assert.equal(indicator().dataset.liveState, "signed-out");
  f.stop();
});

test("a long error is cut in the indicator and kept whole in its title", () => {
  const error = `watch failed: ${"x".repeat(300)}`;
  const read = readFreshness(page(freshness("stale", [["prod", "stale", "", error]])));
  const text = indicatorText("stale", read);
  assert.equal(text, `Stale: prod: ${error}`);
  assert.equal(read.clusters.get("prod").knownAt, null);
  page(`${INDICATOR}${freshness("stale", [["prod", "stale", "", error]])}`);
  const f = startFreshness();
  connectLive({ path: "/ws/pods/" });
  FakeSocket.all.at(-1).hello();
  assert.ok(indicator().textContent.length <= 90 && indicator().textContent.endsWith("…"));
  assert.equal(indicator().title, `Stale: prod: ${error}`);
  f.stop();
});

test("durations of a stale cluster stop at its known-at time; others run on", () => {
  const body = page(`
    ${freshness("stale", [["prod", "stale", "2025-06-01T10:05:00Z"]])}
    <table><tr data-cluster="prod"><td><span data-since="2025-06-01T10:00:00Z"></span></td></tr>
    <tr data-cluster="dev"><td><span data-since="2025-06-01T10:00:00Z"></span></td></tr></table>`);
  const now = Date.parse("2025-06-01T10:20:00Z");
  updateFreshDurations(body, now);
  const [prod, dev] = body.querySelectorAll("[data-since]");
  assert.equal(prod.textContent, "5m");
  assert.equal(dev.textContent, "20m");
  assert.equal(body.querySelector('tr[data-cluster="prod"]').dataset.stale, "1");
  assert.equal(body.querySelector('tr[data-cluster="dev"]').dataset.stale, undefined);
  updateFreshDurations(body, now + 60000);
  assert.equal(prod.textContent, "5m", "stopped");
  assert.equal(dev.textContent, "21m");
});

test("a part the server drew while stale ticks to the server's clock, not the cluster's known-at time", () => {
  // The Pod page of a stale cluster is drawn at its known-at time but never before the Pod's own newest
  // news (pods/web/views.py); the fragment says which clock it used, and ticking keeps to it.
  const body = page(`
    ${freshness("stale", [["prod", "stale", "2025-06-01T10:05:00Z"]])}
    <article data-cluster="prod"><div id="pod-live" data-clock="2025-06-01T10:05:04Z">
      <span data-since="2025-06-01T10:00:00Z">4m 4s</span></div>
      <p><span data-since="2025-06-01T10:00:00Z"></span></p></article>`);
  const [drawn, outside] = body.querySelectorAll("[data-since]");
  const now = Date.parse("2025-06-01T10:20:00Z");
  updateFreshDurations(body, now);
  assert.equal(drawn.textContent, "5m4s");
  assert.equal(outside.textContent, "5m", "outside the drawn part: the known-at time");
  // live again: the drawn clock no longer holds
  body.querySelector('[data-cluster-freshness="prod"]').dataset.state = "live";
  updateFreshDurations(body, now);
  assert.equal(drawn.textContent, "20m");
});

test("durations of a part just swapped in are ticked at once, to the page's clock", () => {
  page(`${freshness("stale", [["prod", "stale", "2025-06-01T10:05:00Z"]])}`);
  const row = document.createElement("tr");
  row.dataset.cluster = "prod";
  row.innerHTML = '<td><span data-since="2025-06-01T10:00:00Z">20m</span></td>'; // the server's wall clock
  tickDurationsIn(row, Date.parse("2025-06-01T10:20:00Z"));
  assert.equal(row.querySelector("[data-since]").textContent, "5m");
});

test("a stale cluster with no known time stops where it was first seen stale", () => {
  const body = page(`${freshness("stale", [["prod", "stale", ""]])}<div data-cluster="prod"><i></i></div>`);
  const el = body.querySelector("i");
  const read = readFreshness(body);
  assert.equal(clockFor(el, read, 1000), 1000);
  assert.equal(clockFor(el, read, 5000), 1000);
});

test("the verdict is re-read from the server; a change re-fetches the page's data", async () => {
  page(
    `${INDICATOR}${freshness("live")}<div data-cluster="prod"><span data-since="2025-06-01T10:00:00Z"></span></div>`,
  );
  let changes = 0;
  const f = startFreshness({ onChange: () => changes++, pollMs: 10000 });
  connectLive({ path: "/ws/pods/" });
  FakeSocket.all.at(-1).hello();
  assert.equal(indicator().dataset.liveState, "live");
  globalThis.fetch = fakeFetch(freshness("stale", [["prod", "stale", "2025-06-01T10:05:00Z", "refused"]]));
  f.check();
  mock.timers.tick(0);
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(globalThis.fetch.calls[0].url, "/fragments/freshness/?cluster=prod");
  assert.equal(document.getElementById("freshness").dataset.freshness, "stale");
  assert.equal(indicator().dataset.liveState, "stale");
  assert.equal(changes, 1);
  assert.equal(document.querySelector("[data-since]").textContent, "5m");
  f.stop();
});
