import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "./errors.js";
import { checkUserChange, parseRole, tokensToCap, type UserChange } from "./user-changes.js";

const users = [
  { name: "ada", role: "admin" },
  { name: "bo", role: "deployer" },
] as const;
const twoAdmins = [...users, { name: "cy", role: "admin" }] as const;

function refusal(list: readonly { name: string; role: "viewer" | "deployer" | "approver" | "admin" }[], change: UserChange): SlipwayError {
  try {
    checkUserChange(list, change);
  } catch (err) {
    assert.ok(err instanceof SlipwayError, String(err));
    return err;
  }
  assert.fail(`${JSON.stringify(change)} was allowed`);
}

describe("removing a user or changing a user's role", () => {
  it("the only admin is neither removed nor demoted, and the error says how to fix it", () => {
    for (const change of [{ kind: "remove", name: "ada" }, ...(["viewer", "deployer", "approver"] as const).map((role) => ({ kind: "set-role", name: "ada", role }) as const)] as UserChange[]) {
      const err = refusal(users, change);
      assert.equal(err.code, "LAST_ADMIN");
      assert.match(err.message, /^ada is the only admin and cannot be (removed|demoted to \w+)/);
      assert.match(err.hint ?? "", /make another user an admin first \(`slipway users set-role <name> --role admin`/);
    }
  });

  it("with another admin, an admin may be removed or demoted; the user before the change is returned", () => {
    assert.deepEqual(checkUserChange(twoAdmins, { kind: "remove", name: "ada" }), { name: "ada", role: "admin" });
    assert.deepEqual(checkUserChange(twoAdmins, { kind: "set-role", name: "cy", role: "viewer" }), { name: "cy", role: "admin" });
  });

  it("the only admin may stay admin, and anyone else may change freely", () => {
    assert.equal(checkUserChange(users, { kind: "set-role", name: "ada", role: "admin" }).role, "admin");
    assert.equal(checkUserChange(users, { kind: "remove", name: "bo" }).name, "bo");
    assert.equal(checkUserChange(users, { kind: "set-role", name: "bo", role: "admin" }).role, "deployer");
  });

  it("an unknown user is USER_NOT_FOUND, naming the users there are", () => {
    const err = refusal(users, { kind: "remove", name: "nobody" });
    assert.equal(err.code, "USER_NOT_FOUND");
    assert.equal(err.message, "there is no user nobody");
    assert.match(err.hint ?? "", /the users: ada, bo/);
    assert.match(refusal([], { kind: "set-role", name: "x", role: "viewer" }).hint ?? "", /no users yet/);
  });

  it("an unknown role is a USAGE error listing the roles", () => {
    assert.equal(parseRole("approver", "--role"), "approver");
    assert.throws(() => parseRole("owner", "--role"), (err: unknown) => err instanceof SlipwayError && err.code === "USAGE" && err.message === '--role "owner" is not a role' && /viewer, deployer, approver, admin/.test(err.hint ?? ""));
  });

  it("a new role caps the live tokens above it, and only those", () => {
    const tokens = [
      { id: "tok_admin", role: "admin" },
      { id: "tok_approver", role: "approver" },
      { id: "tok_viewer", role: "viewer" },
      { id: "tok_revoked", role: "admin", revokedAt: "2026-12-06T10:00:00.000Z" },
    ] as const;
    assert.deepEqual(tokensToCap(tokens, "deployer"), [
      { id: "tok_admin", from: "admin", to: "deployer" },
      { id: "tok_approver", from: "approver", to: "deployer" },
    ]);
    assert.deepEqual(tokensToCap(tokens, "approver"), [{ id: "tok_admin", from: "admin", to: "approver" }]);
    assert.deepEqual(tokensToCap(tokens, "admin"), []);
  });
});
