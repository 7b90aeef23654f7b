// What removing a user or changing a user's role will do, said before the
// admin confirms it (the server decides; this only previews its rules):
// a removal ends the user's live tokens and sessions; a demotion caps the
// tokens above the new role at it.

interface Token {
  id: string;
  user: string;
  role: string;
  revokedAt?: string;
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

/** The user's tokens that still work. */
export function liveTokensOf<T extends Token>(tokens: readonly T[], user: string): T[] {
  return tokens.filter((t) => t.user === user && t.revokedAt === undefined);
}

/** The user's live tokens a new role would cap (`atLeast(a, b)`: role a may do what b may). */
export function tokensCappedBy<T extends Token>(tokens: readonly T[], user: string, role: string, atLeast: (a: string, b: string) => boolean): T[] {
  return liveTokensOf(tokens, user).filter((t) => !atLeast(role, t.role));
}

export function removalConsequence(user: string, liveTokens: readonly Token[]): string {
  const tokens = liveTokens.length === 0 ? "They have no live API tokens" : `Their ${plural(liveTokens.length, "live API token")} (${liveTokens.map((t) => t.id).join(", ")}) stop working`;
  return `${tokens}; their dashboard sessions end at once. Added again later, ${user} starts with no tokens.`;
}

export function roleChangeConsequence(user: string, from: string, to: string, capped: readonly Token[]): string {
  if (from === to) return `${user} already has the ${to} role: nothing changes.`;
  const tokens = capped.length === 0 ? "" : ` ${plural(capped.length, "API token")} above it (${capped.map((t) => t.id).join(", ")}) ${capped.length === 1 ? "is" : "are"} capped at ${to}, and stay so if ${user} is promoted again.`;
  return `${user}'s sessions act as ${to} from their next request.${tokens}`;
}
