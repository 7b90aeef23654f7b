import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PipelineEvent } from "../events.js";
import { chooseMode, createProgressRenderer, type ProgressMode } from "./index.js";

describe("chooseMode", () => {
  const rows: [{ isTTY: boolean; json: boolean; ci: boolean }, ProgressMode][] = [
    [{ isTTY: true, json: false, ci: false }, "live"],
    [{ isTTY: true, json: false, ci: true }, "plain"],
    [{ isTTY: false, json: false, ci: false }, "plain"],
    [{ isTTY: true, json: true, ci: false }, "json"],
    [{ isTTY: false, json: true, ci: true }, "json"],
  ];
  for (const [terminal, mode] of rows) it(`${JSON.stringify(terminal)} → ${mode}`, () => assert.equal(chooseMode(terminal), mode));
});

describe("createProgressRenderer", () => {
  const event: PipelineEvent = { type: "service-queued", service: "api", hash: "h", reasons: [] };
  const firstWrite = (mode: ProgressMode): string => {
    const chunks: string[] = [];
    const renderer = createProgressRenderer({ mode, write: (chunk) => chunks.push(chunk), color: false, columns: 60 });
    renderer.listener(event);
    renderer.dispose();
    return chunks.join("");
  };

  it("builds the renderer the mode names", () => {
    assert.equal(firstWrite("json"), JSON.stringify(event) + "\n");
    assert.equal(firstWrite("plain"), "[api] queued\n");
    // The live view draws on its timer, not per event: disposed at once, it has drawn nothing.
    assert.equal(firstWrite("live"), "");
  });
});
