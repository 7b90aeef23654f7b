import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommandJobProvider, demultiplex } from "./job-provider.js";

const frame = (stream: number, text: string): Buffer => {
  const payload = Buffer.from(text, "utf8");
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe("job provider", () => {
  it("demultiplexes Docker's log frames in order", () => {
    assert.equal(demultiplex(Buffer.concat([frame(1, "out 1\n"), frame(2, "err ü\n"), frame(1, "out 2\n")])), "out 1\nerr ü\nout 2\n");
    assert.equal(demultiplex(Buffer.alloc(0)), "");
  });

  // The limit leaves node time to start and print on a loaded machine (a start took 0.7 s at load 44).
  it("stops a local command past its time limit and counts it false", async () => {
    const job = new CommandJobProvider({ command: [process.execPath, "-e", "console.log('started'); setTimeout(() => {}, 60000)"], timeoutMs: 3000 });
    const result = await job.measure({ revision: "r2", signal: AbortSignal.timeout(10_000) });
    assert.equal(result.value, false);
    assert.deepEqual([result.detail?.["timedOut"], result.detail?.["exitCode"], result.detail?.["output"]], [true, null, "started"]);
    assert.match(result.summary ?? "", /ran past its 3 s limit and was stopped \(last output: started\)$/);
  });

  it("keeps only the last lines of a chatty job", async () => {
    const job = new CommandJobProvider({ command: [process.execPath, "-e", "for (let i = 1; i <= 100; i++) console.log('line ' + i)"] });
    const result = await job.measure({ revision: "r2", signal: AbortSignal.timeout(10_000) });
    const lines = String(result.detail?.["output"]).split("\n");
    assert.deepEqual([lines.length, lines[0], lines.at(-1)], [20, "line 81", "line 100"]);
  });

  it("rejects with the signal's reason when aborted", async () => {
    const controller = new AbortController();
    const job = new CommandJobProvider({ command: [process.execPath, "-e", "setTimeout(() => {}, 60000)"] });
    const measuring = job.measure({ revision: "r2", signal: controller.signal });
    setTimeout(() => controller.abort(new Error("rollout aborted")), 100);
    await assert.rejects(measuring, /rollout aborted/);
  });
});
