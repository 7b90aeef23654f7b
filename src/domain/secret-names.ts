// Which env entries look like secrets written as literals, so validate can
// warn before the value lands in the state store, a system lock or rendered
// manifests. A heuristic on purpose: names that say what they hold
// (DB_PASSWORD, STRIPE_API_KEY, GITHUB_TOKEN), minus names that only describe
// one (TOKEN_TTL_SECONDS, PASSWORD_MIN_LENGTH, SECRET_FILE), and URLs with a
// password in them.

const secretWord = /(^|_)(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|(API|PRIVATE|ACCESS|SECRET|SIGNING|ENCRYPTION|MASTER)_?KEY)(_|$)/;
/** A last word that makes the variable about a secret, not the secret itself. */
const describingWord = /_(URL|URI|FILE|PATH|DIR|HOST|PORT|TTL|SECONDS|MS|LENGTH|ENABLED|HEADER|NAME|ENV|EXPIRY|EXPIRES|TIMEOUT|TYPE|ID|COUNT|LIMIT|ALGORITHM)$/;
const urlWithPassword = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

/** Why a literal env value looks like a secret, or undefined. Never quotes the value. */
export function literalSecretReason(name: string, value: string | number | boolean): string | undefined {
  if (typeof value === "boolean" || value === "") return undefined;
  const upper = name.toUpperCase();
  if (secretWord.test(upper) && !describingWord.test(upper)) return "its name says it holds a secret";
  if (typeof value === "string" && urlWithPassword.test(value)) return "its URL carries a password";
  return undefined;
}
