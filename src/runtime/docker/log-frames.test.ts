import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { demultiplexLogs, lastLines } from "./log-frames.js";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("demultiplexLogs", () => {
  it("joins stdout and stderr payloads in the order they were written", () => {
    const data = Buffer.concat([frame(1, "listening\n"), frame(2, "warning: x\n"), frame(1, "GET /healthz 200\n")]);
    assert.equal(demultiplexLogs(data).toString(), "listening\nwarning: x\nGET /healthz 200\n");
  });
  it("keeps a character split across frames whole", () => {
    const euro = Buffer.from("€");
    const data = Buffer.concat([frame(1, ""), Buffer.from([1, 0, 0, 0, 0, 0, 0, 1]), euro.subarray(0, 1), Buffer.from([1, 0, 0, 0, 0, 0, 0, 2]), euro.subarray(1)]);
    assert.equal(demultiplexLogs(data).toString(), "€");
  });
  it("keeps what arrived of a truncated last frame", () => {
    const cut = frame(2, "cut off here").subarray(0, 8 + 3);
    assert.equal(demultiplexLogs(Buffer.concat([frame(1, "complete\n"), cut])).toString(), "complete\ncut");
  });
  it("ignores a partial header at the end", () => {
    assert.equal(demultiplexLogs(Buffer.concat([frame(1, "complete\n"), Buffer.from([1, 0])])).toString(), "complete\n");
  });
  it("is empty for no output", () => assert.equal(demultiplexLogs(Buffer.alloc(0)).length, 0));
});

describe("lastLines", () => {
  it("keeps the last lines, without the trailing newline", () => {
    assert.equal(lastLines("a\nb\nc\n", 2), "b\nc");
    assert.equal(lastLines("a\r\nb\r\n", 5), "a\nb");
    assert.equal(lastLines("a\nb", 0), "");
    assert.equal(lastLines("", 3), "");
  });
});
