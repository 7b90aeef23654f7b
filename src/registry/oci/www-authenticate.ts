// Parses WWW-Authenticate (RFC 7235): one header may carry several
// challenges, and quoted values hold commas, as in
// Bearer realm="https://auth.example/token",service="reg",scope="repository:a:pull,push".

export interface Challenge {
  /** Lower case: "basic", "bearer". */
  scheme: string;
  /** Parameter names in lower case. */
  params: Record<string, string>;
}

const PARAM = /^([^\s=]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"=][^\s"]*|))$/s;
const SCHEME_FIRST = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s+(.*))?$/s;

export function parseWwwAuthenticate(header: string | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  for (const item of splitOutsideQuotes(header ?? "")) {
    const param = PARAM.exec(item);
    const current = challenges.at(-1);
    if (param !== null && current !== undefined) {
      addParam(current, param);
      continue;
    }
    // "<scheme> [first param]": a new challenge.
    const start = SCHEME_FIRST.exec(item);
    if (start === null) continue;
    const challenge: Challenge = { scheme: (start[1] ?? "").toLowerCase(), params: {} };
    challenges.push(challenge);
    const first = PARAM.exec(start[2] ?? "");
    if (first !== null) addParam(challenge, first); // Anything else there is a token68, which no registry flow needs.
  }
  return challenges;
}

function addParam(challenge: Challenge, match: RegExpExecArray): void {
  const name = (match[1] ?? "").toLowerCase();
  challenge.params[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? "");
}

/** Comma-separated items, trimmed, with commas inside double quotes kept. */
function splitOutsideQuotes(text: string): string[] {
  const items: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted && c === "\\") {
      current += c + text.charAt(++i);
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === "," && !quoted) {
      items.push(current.trim());
      current = "";
      continue;
    }
    current += c;
  }
  items.push(current.trim());
  return items.filter((item) => item !== "");
}
