import assert from "node:assert/strict";
import { test } from "node:test";
import { latencySvg, niceCeiling } from "./latency-svg.js";

test("one polyline per series, scaled into the plot, with the axis maximum rounded up", () => {
  const svg = latencySvg("api-get <in> prod", [
    { second: 0, values: { p50: 1, p99: 4 } },
    { second: 2, values: { p50: 2, p99: 8 } },
  ]);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /<title>api-get &lt;in&gt; prod<\/title>/);
  const lines = [...svg.matchAll(/<polyline data-series="(\w+)"[^>]* points="([^"]+)"/g)].map((m) => [m[1], m[2]]);
  // x: 56..624 over 0..2 s; y: 32..280 over 0..10 ms (max 8 rounds up to 10).
  assert.deepEqual(lines, [
    ["p50", "56,255.2 624,230.4"],
    ["p99", "56,180.8 624,81.6"],
  ]);
  assert.match(svg, />10 ms</);
  assert.match(svg, />2 s</);
});

test("a mark is a dashed vertical line at its second, labelled", () => {
  const svg = latencySvg("ramped", [{ second: 0, values: { p50: 1 } }, { second: 4, values: { p50: 1 } }], [{ second: 2, label: "steady" }]);
  // x: 56..624 over 0..4 s, so second 2 is at 340.
  assert.match(svg, /<line data-mark="steady" x1="340" y1="32" x2="340" y2="280"/);
  assert.match(svg, />steady<\/text>/);
});

test("no samples still makes a valid picture that says so", () => {
  const svg = latencySvg("empty", []);
  assert.match(svg, /no samples/);
  assert.doesNotMatch(svg, /<polyline/);
  assert.match(svg, /<\/svg>$/);
});

test("niceCeiling rounds to 1, 2 or 5 times a power of ten", () => {
  assert.deepEqual([0, 0.3, 1, 1.2, 3, 7, 42, 999].map(niceCeiling), [1, 0.5, 1, 2, 5, 10, 50, 1000]);
});
