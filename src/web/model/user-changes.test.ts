import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { liveTokensOf, removalConsequence, roleChangeConsequence, tokensCappedBy } from "./user-changes.js";

const LADDER = ["viewer", "deployer", "approver", "admin"];
const atLeast = (a: string, b: string): boolean => LADDER.indexOf(a) >= LADDER.indexOf(b);
const tokens = [
  { id: "tok_a", user: "ann", role: "admin" },
  { id: "tok_b", user: "ann", role: "deployer" },
  { id: "tok_c", user: "ann", role: "approver", revokedAt: "2026-12-06T10:00:00Z" },
  { id: "tok_d", user: "bob", role: "admin" },
];

describe("the Users page's preview of a user change", () => {
  it("a removal names the user's live tokens only", () => {
    assert.deepEqual(liveTokensOf(tokens, "ann").map((t) => t.id), ["tok_a", "tok_b"]);
    assert.equal(removalConsequence("ann", liveTokensOf(tokens, "ann")), "Their 2 live API tokens (tok_a, tok_b) stop working; their dashboard sessions end at once. Added again later, ann starts with no tokens.");
    assert.match(removalConsequence("cy", []), /^They have no live API tokens; /);
  });

  it("a demotion caps the live tokens above the new role, of that user only", () => {
    assert.deepEqual(tokensCappedBy(tokens, "ann", "deployer", atLeast).map((t) => t.id), ["tok_a"]);
    assert.deepEqual(tokensCappedBy(tokens, "ann", "viewer", atLeast).map((t) => t.id), ["tok_a", "tok_b"]);
    assert.deepEqual(tokensCappedBy(tokens, "ann", "admin", atLeast), []);
    const capped = tokensCappedBy(tokens, "ann", "viewer", atLeast);
    assert.equal(roleChangeConsequence("ann", "admin", "viewer", capped), "ann's sessions act as viewer from their next request. 2 API tokens above it (tok_a, tok_b) are capped at viewer, and stay so if ann is promoted again.");
    assert.equal(roleChangeConsequence("ann", "viewer", "admin", []), "ann's sessions act as admin from their next request.");
    assert.equal(roleChangeConsequence("ann", "admin", "admin", []), "ann already has the admin role: nothing changes.");
  });
});
