// The e2e tests' keep-alive load (test/e2e/keepalive-load.ts) must end by
// itself when a test fails before calling stop(): its timer once kept the
// test process alive forever. A child process starts a short load and never
// stops it; it has to exit on its own.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";

const loadModule = fileURLToPath(new URL("../e2e/keepalive-load.js", import.meta.url));

describe("keep-alive load of the e2e tests", () => {
  it("a load never stopped ends after its bound and lets the process exit", () => {
    const script = `
      import http from "node:http";
      import { startLoad } from ${JSON.stringify(loadModule)};
      const server = http.createServer((_req, res) => res.end("ok")).listen(0, "127.0.0.1", () => {
        startLoad(server.address().port, 50, 300);
        // The test "fails" here: the server goes, stop() is never called.
        setTimeout(() => server.close(), 100);
      });
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 30_000, encoding: "utf8" });
    assert.equal(child.signal, null, "the process was still running after 30 s: the load's timer kept it alive");
    assert.equal(child.status, 0, child.stderr);
  });
});
