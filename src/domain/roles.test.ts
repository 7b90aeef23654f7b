import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isRole, lowerRole, roleAllows, type Permission, type Role } from "./roles.js";

describe("roles", () => {
  const table: [Role, Permission, boolean][] = [
    ["viewer", "read", true],
    ["viewer", "deploy", false],
    ["deployer", "deploy", true],
    ["deployer", "approve", false],
    ["approver", "approve", true],
    ["approver", "deploy", true],
    ["approver", "admin", false],
    ["admin", "admin", true],
    ["admin", "read", true],
  ];
  for (const [role, permission, allowed] of table) {
    it(`${role} ${allowed ? "may" : "may not"} ${permission}`, () => assert.equal(roleAllows(role, permission), allowed));
  }
  it("knows its roles", () => {
    assert.equal(isRole("approver"), true);
    assert.equal(isRole("root"), false);
  });
  it("a token is held to its user's role", () => {
    assert.equal(lowerRole("admin", "viewer"), "viewer");
    assert.equal(lowerRole("deployer", "approver"), "deployer");
  });
});
