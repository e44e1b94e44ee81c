import "./dom.js";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  formatDuration,
  formatLocal,
  localizeTimes,
  tickLabel,
  updateDurations,
  zoneAbbreviation,
  zoneName,
} from "../../frontend/js/time.js";
import { page } from "./dom.js";

// Written by scripts/js_tables.py from the Python formatters (a Python test keeps it current).
const TABLE = JSON.parse(readFileSync(new URL("./tables.json", import.meta.url)));

test("durations are formatted as the Python formatter formats them", () => {
  assert.ok(TABLE.duration.length > 200);
  for (const [seconds, text] of TABLE.duration) assert.equal(formatDuration(seconds), text, `${seconds}`);
});

test("tick labels are formatted as the Python waterfall labels its axis", () => {
  assert.ok(TABLE.tick.length > 200);
  for (const [seconds, text] of TABLE.tick) assert.equal(tickLabel(seconds), text, `${seconds}`);
});

test("an exact half rounds to the even tenth, as Python does", () => {
  assert.equal(formatDuration(0.25), "0.2s");
  assert.equal(formatDuration(0.75), "0.8s");
  assert.equal(tickLabel(0.0625), "62ms");
});

test("an unknown duration is empty", () => {
  assert.equal(formatDuration(null), "");
  assert.equal(formatDuration(undefined), "");
  assert.equal(formatDuration(Number.NaN), "");
});

test("a local time has milliseconds only when they are not zero", () => {
  assert.equal(formatLocal(new Date(2025, 5, 1, 9, 8, 7)), "2025-06-01 09:08:07");
  assert.equal(formatLocal(new Date(2025, 5, 1, 9, 8, 7, 45)), "2025-06-01 09:08:07.045");
});

test("times are rewritten in local time and keep the UTC text as their title", () => {
  const body = page(
    '<time data-time="2025-06-01T10:00:41Z">2025-06-01 10:00:41Z</time><time data-time="x">x</time>',
  );
  localizeTimes(body);
  const [time, bad] = body.querySelectorAll("time");
  const date = new Date("2025-06-01T10:00:41Z");
  assert.equal(time.textContent, `${formatLocal(date)} ${zoneAbbreviation(date)}`, "the zone is shown");
  assert.equal(time.title, "2025-06-01 10:00:41 UTC");
  assert.match(time.getAttribute("aria-label"), /^2025-06-01 /);
  localizeTimes(body); // twice: the title still says the UTC time
  assert.equal(time.title, "2025-06-01 10:00:41 UTC");
  assert.equal(bad.textContent, "x");
});

test("ticking durations show the time since their start", () => {
  const body = page('<span data-since="2025-06-01T10:00:00Z">old</span><span data-since="nope">keep</span>');
  updateDurations(body, Date.parse("2025-06-01T11:02:03Z"));
  const [since, bad] = body.querySelectorAll("span");
  assert.equal(since.textContent, "1h2m");
  assert.equal(bad.textContent, "keep");
  updateDurations(body, Date.parse("2025-06-01T10:00:05.5Z"));
  assert.equal(since.textContent, "5.5s");
});

test("the footer's legend names the viewer's zone once times are localized", () => {
  const body = page(
    '<footer><span data-time-zone>UTC</span></footer><time data-time="2025-06-01T10:00:41Z">x</time>',
  );
  localizeTimes(body);
  assert.equal(body.querySelector("[data-time-zone]").textContent, zoneName());
  assert.ok(zoneAbbreviation(new Date("2025-06-01T10:00:41Z")).length > 0);
});
