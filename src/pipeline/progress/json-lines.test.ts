import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonLinesRenderer } from "./json-lines.js";
import { scriptedRun } from "./scripted-run.fixture.js";

describe("jsonLinesRenderer", () => {
  it("writes every event, stage output included, as one JSON object per line that parses back unchanged", () => {
    const chunks: string[] = [];
    const renderer = jsonLinesRenderer((chunk) => chunks.push(chunk));
    for (const event of scriptedRun) renderer.listener(event);

    assert.equal(chunks.length, scriptedRun.length);
    for (const chunk of chunks) assert.match(chunk, /^\{[^\n]*\}\n$/);
    const parsed: unknown[] = chunks.join("").trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(parsed, scriptedRun);
  });
});
