import assert from "node:assert/strict";
import { test } from "node:test";
import { brokenPairs, describePair } from "./compatibility-pairs.js";

// gateway → orders → payments; orders → stock; reports stands alone.
const edges = { gateway: ["orders"], orders: ["payments", "stock"], payments: [], stock: [], reports: [] };

test("a failed test of a service that reaches the new one names its caller: old → new", () => {
  const found = brokenPairs("payments", edges, [{ name: "checkout", service: "gateway" }]);
  assert.deepEqual(found.pairs, [{ caller: "orders", callee: "payments", newSide: "callee", tests: ["checkout"] }]);
  assert.equal(describePair(found.pairs[0]!), "orders (old) → payments (new), test checkout");
  assert.deepEqual(found.unexplained, []);
});

test("a failed test of the new service itself names it calling its dependencies: new → old", () => {
  const found = brokenPairs("orders", edges, [{ name: "orders-list", service: "orders" }]);
  assert.deepEqual(
    found.pairs.map((p) => [p.caller, p.callee, p.newSide]),
    [["orders", "payments", "caller"], ["orders", "stock", "caller"]],
  );
});

test("a command test may call anything: every edge of the new service, tests merged per pair", () => {
  const found = brokenPairs("orders", edges, [{ name: "flow" }, { name: "flow-2" }]);
  assert.deepEqual(
    found.pairs.map((p) => [p.caller, p.callee, p.tests.join("+")]),
    [["gateway", "orders", "flow+flow-2"], ["orders", "payments", "flow+flow-2"], ["orders", "stock", "flow+flow-2"]],
  );
});

test("a failure the mix cannot explain is said so, not pinned on a pair", () => {
  assert.deepEqual(brokenPairs("payments", edges, [{ name: "report", service: "reports" }]), { pairs: [], unexplained: ["report"] });
  // A leaf service whose own test fails: nothing it calls, so no pair either.
  assert.deepEqual(brokenPairs("stock", edges, [{ name: "stock-own", service: "stock" }]), { pairs: [], unexplained: ["stock-own"] });
});
