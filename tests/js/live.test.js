import "./dom.js";
import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import {
  Backoff,
  coalesce,
  connectLive,
  FIRST_DELAY_MS,
  fetchFragment,
  MAX_DELAY_MS,
} from "../../frontend/js/live.js";
import { fakeFetch, page } from "./dom.js";

/** A WebSocket the test drives: `open()`, `hello()`, `receive(data)`, `lose(code)`. */
class FakeSocket {
  static OPEN = 1;
  static all = [];

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.listeners = {};
    FakeSocket.all.push(this);
  }

  addEventListener(type, listener) {
    this.listeners[type] = [...(this.listeners[type] || []), listener];
  }

  send(data) {
    this.sent.push(JSON.parse(data));
  }

  close(code = 1000) {
    this.lose(code);
  }

  receive(data) {
    for (const listener of this.listeners.message || []) listener({ data });
  }

  hello() {
    this.readyState = FakeSocket.OPEN;
    this.receive(JSON.stringify({ type: "hello" }));
  }

  lose(code) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    for (const listener of this.listeners.close || []) listener({ code });
  }
}

const latest = () => FakeSocket.all.at(-1);
const indicator = () => document.querySelector("[data-live-indicator]");
const middle = () => 0.5; // no jitter

beforeEach(() => {
  FakeSocket.all = [];
  globalThis.WebSocket = FakeSocket;
  page("<span data-live-indicator hidden><span data-live-text></span></span>");
  mock.timers.enable({ apis: ["setTimeout"] });
});

afterEach(() => mock.timers.reset());

test("the back-off doubles from half a second to fifteen, with a quarter of jitter either way", () => {
  const backoff = new Backoff(middle);
  const waits = Array.from({ length: 8 }, () => backoff.next());
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  backoff.reset();
  assert.equal(backoff.next(), FIRST_DELAY_MS);
  assert.equal(new Backoff(() => 0).next(), 375);
  assert.equal(new Backoff(() => 0.999999).next(), 625);
  const late = new Backoff(() => 0.999999);
  for (let i = 0; i < 10; i++) late.next();
  assert.ok(late.next() <= MAX_DELAY_MS * 1.25);
});

test("a hello says Live and lets the page resynchronise; other messages go to onMessage", () => {
  const hellos = [];
  const messages = [];
  connectLive({ path: "/ws/pods/", onHello: (h) => hellos.push(h), onMessage: (m) => messages.push(m) });
  assert.equal(latest().url, "ws://initscope.test/ws/pods/");
  assert.equal(indicator().dataset.state, "connecting");
  assert.equal(indicator().hidden, false);
  latest().hello();
  assert.equal(hellos.length, 1);
  assert.equal(indicator().dataset.state, "live");
  assert.equal(indicator().textContent, "Live");
  latest().receive("not json");
  latest().receive(JSON.stringify({ type: "pods.changed", pods: [] }));
  assert.deepEqual(messages, [{ type: "pods.changed", pods: [] }]);
  hellos[0].send({ type: "subscribe" });
  assert.deepEqual(latest().sent, [{ type: "subscribe" }]);
});

test("a lost connection reconnects after a growing delay and resynchronises on the next hello", () => {
  let hellos = 0;
  connectLive({ path: "/ws/pods/", onHello: () => hellos++, backoff: new Backoff(middle) });
  latest().lose(1006); // before any hello: the server was not there
  assert.equal(indicator().dataset.state, "reconnecting");
  assert.equal(indicator().textContent, "Reconnecting in 1s…");
  mock.timers.tick(499);
  assert.equal(FakeSocket.all.length, 1);
  mock.timers.tick(1);
  assert.equal(FakeSocket.all.length, 2);
  latest().lose(1006);
  mock.timers.tick(999);
  assert.equal(FakeSocket.all.length, 2, "the second wait is twice the first");
  mock.timers.tick(1);
  latest().hello();
  assert.equal(hellos, 1);
  latest().lose(1006); // after a hello the back-off starts again from half a second
  mock.timers.tick(500);
  assert.equal(FakeSocket.all.length, 4);
});

test("signed out or an unknown Pod stops reconnecting", () => {
  connectLive({ path: "/ws/pods/" });
  latest().lose(4401);
  assert.equal(indicator().dataset.state, "offline");
  assert.match(indicator().textContent, /Signed out/);
  connectLive({ path: "/ws/pods/x/" });
  latest().lose(4404);
  assert.equal(indicator().textContent, "Not live");
  mock.timers.tick(60000);
  assert.equal(FakeSocket.all.length, 2);
});

test("stop pauses without reconnecting and resume reconnects at once", () => {
  const live = connectLive({ path: "/ws/pods/" });
  latest().hello();
  live.stop();
  assert.equal(indicator().textContent, "Paused");
  mock.timers.tick(60000);
  assert.equal(FakeSocket.all.length, 1);
  live.send({ type: "subscribe" }); // nowhere to send: dropped
  live.resume();
  assert.equal(FakeSocket.all.length, 2);
  live.drop(); // as a network failure: reconnects
  mock.timers.tick(625);
  assert.equal(FakeSocket.all.length, 3);
});

test("bursts of requests collapse into one run and one more after it", async () => {
  let clock = 10000;
  let runs = 0;
  let release;
  const request = coalesce(
    () => {
      runs++;
      return new Promise((resolve) => {
        release = resolve;
      });
    },
    500,
    () => clock,
  );
  request();
  request();
  mock.timers.tick(0);
  assert.equal(runs, 1);
  request(); // while running: wanted once more
  request();
  release();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(runs, 1, "not before the gap");
  clock = 10500;
  mock.timers.tick(500);
  assert.equal(runs, 2);
  release();
  await Promise.resolve();
  await Promise.resolve();
  clock = 15000;
  mock.timers.tick(5000);
  assert.equal(runs, 2, "nothing was wanted meanwhile");
});

test("the first request runs at once, even on a page younger than the gap", () => {
  let runs = 0;
  const request = coalesce(
    async () => {
      runs++;
    },
    250,
    () => 10, // performance.now() 10 ms after the page started
  );
  request();
  mock.timers.tick(0);
  assert.equal(runs, 1);
});

test("a fragment is parsed inertly and its first element returned", async () => {
  const original = globalThis.fetch;
  try {
    globalThis.fetch = fakeFetch('<div id="x"><script>window.__ran = 1</script><b>hi</b></div>');
    const fresh = await fetchFragment("/fragments/pods/?q=a");
    assert.equal(fresh.id, "x");
    assert.equal(fresh.querySelector("b").textContent, "hi");
    assert.equal(window.__ran, undefined);
    assert.equal(globalThis.fetch.calls[0].options.headers.Accept, "text/html");
    globalThis.fetch = fakeFetch("nope", { status: 500 });
    await assert.rejects(fetchFragment("/fragments/pods/"), /HTTP 500/);
  } finally {
    globalThis.fetch = original;
  }
});
