import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fitToWidth, painter, sanitizeLogLine, stripAnsi, visibleWidth, wrapToWidth } from "./ansi.js";

const paint = painter(true);

describe("fitToWidth", () => {
  it("leaves a line that fits alone", () => assert.equal(fitToWidth("✓ 12.3s", 7), "✓ 12.3s"));

  it("cuts to the width with an ellipsis, counting only visible characters", () => {
    const line = `${paint("green", "✓ built")} ${paint("dim", "delivery:h-8b2e4d6f0a1c")}`;
    const fitted = fitToWidth(line, 12);
    assert.equal(stripAnsi(fitted), "✓ built del…");
    assert.equal(visibleWidth(fitted), 12);
    assert.ok(fitted.endsWith("\u001b[0m"), "colours are closed, so the cut cannot bleed into the next line");
  });
});

describe("wrapToWidth", () => {
  it("breaks at spaces, indents continuations under the line's own indent, and cuts words too long for any line", () => {
    assert.deepEqual(wrapToWidth("  blocked: ingestion, dependency workflow failed", 24), ["  blocked: ingestion,", "    dependency workflow", "    failed"]);
    assert.deepEqual(wrapToWidth("x supercalifragilistic", 10), ["x", "  superca…"]);
  });
});

describe("sanitizeLogLine", () => {
  it("removes colours, cursor movement and line breaks, and expands tabs", () => {
    assert.equal(sanitizeLogLine("\u001b[31mKeyError\u001b[0m:\t'X'\r\nnext\u0007"), "KeyError:    'X' next");
  });
});

describe("painter", () => {
  it("adds no codes without colour", () => assert.equal(painter(false)("red", "failed"), "failed"));
});
