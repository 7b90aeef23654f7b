import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseShowProc } from "./master-cli.js";

describe("parseShowProc", () => {
  it("reads master, reload counts and current workers, not old ones", () => {
    const answer = [
      "#<PID>          <type>          <reloads>       <uptime>        <version>      ",
      "1162            master          5 [failed: 1]   0d00h02m07s     2.6.12-1+deb12u4",
      "# workers",
      "1271            worker          1               0d00h00m00s     2.6.12-1+deb12u4",
      "# old workers",
      "1233            worker          3               0d00h00m43s     2.6.12-1+deb12u4",
      "# programs",
      "",
    ].join("\n");
    assert.deepEqual(parseShowProc(answer), { masterPid: 1162, reloads: 5, failedReloads: 1, workerPids: [1271] });
  });

  it("refuses an answer without a master", () => {
    assert.throws(() => parseShowProc("Unknown command\n"), /no master/);
  });
});
