// Who is acting: SLIPWAY_IDENTITY when set (CI sets it from its own
// authenticated token, e.g. an OIDC subject), else the local git user's
// e-mail, else the operating-system user. Locally this is a claim, not a
// proof: the README says so.
import { execFileSync } from "node:child_process";
import { userInfo } from "node:os";

export interface Identity {
  name: string;
  /** Where the name came from: a local claim, or (through `slipway serve`) an authenticated user. */
  source: "SLIPWAY_IDENTITY" | "git user.email" | "os user" | "slipway serve token" | "slipway serve session";
}

export function currentIdentity(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Identity {
  const fromEnv = env["SLIPWAY_IDENTITY"]?.trim();
  if (fromEnv) return { name: fromEnv, source: "SLIPWAY_IDENTITY" };
  try {
    const email = execFileSync("git", ["-C", cwd, "config", "user.email"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (email !== "") return { name: email, source: "git user.email" };
  } catch {
    // No git, or no user configured: fall through.
  }
  return { name: userInfo().username, source: "os user" };
}
