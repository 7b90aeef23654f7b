import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { literalSecretReason } from "./secret-names.js";

describe("literal secrets in env", () => {
  const rows: [string, string | number | boolean, string | undefined][] = [
    ["DB_PASSWORD", "hunter2", "its name says it holds a secret"],
    ["password", "hunter2", "its name says it holds a secret"],
    ["STRIPE_API_KEY", "sk_live_1", "its name says it holds a secret"],
    ["APIKEY", "k", "its name says it holds a secret"],
    ["GITHUB_TOKEN", "ghp_x", "its name says it holds a secret"],
    ["JWT_SECRET", 1234, "its name says it holds a secret"],
    ["TLS_PRIVATE_KEY", "-----BEGIN", "its name says it holds a secret"],
    ["AWS_SECRET_ACCESS_KEY", "x", "its name says it holds a secret"],
    ["DATABASE_URL", "postgres://app:hunter2@db:5432/app", "its URL carries a password"],
    ["DATABASE_URL", "postgres://app@db:5432/app", undefined],
    ["TOKEN_TTL_SECONDS", 300, undefined],
    ["PASSWORD_MIN_LENGTH", 8, undefined],
    ["SECRET_FILE", "/run/secrets/db", undefined],
    ["TOKEN_URL", "https://auth.example/token", undefined],
    ["AUTH_CLIENT_ID", "app", undefined],
    ["DB_PASSWORD", "", undefined],
    ["TOKEN_REFRESH_ENABLED", true, undefined],
    ["KEYBOARD_LAYOUT", "us", undefined],
    ["TOKENIZER", "bpe", undefined],
    ["LOG_LEVEL", "info", undefined],
  ];
  for (const [name, value, expected] of rows) {
    it(`${name}=${JSON.stringify(value)} → ${expected ?? "no warning"}`, () => assert.equal(literalSecretReason(name, value), expected));
  }
});
