// .dockerignore semantics, as Docker's CLI applies them (moby/patternmatcher):
// patterns are cleaned paths relative to the context, `*` and `?` stay within
// a path segment, `**` crosses segments, `!` re-includes, the last matching
// pattern wins, and a pattern that matches a folder excludes what is in it.

interface Rule {
  regex: RegExp;
  negated: boolean;
}

export class DockerIgnore {
  private readonly rules: Rule[];

  constructor(text: string) {
    this.rules = text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const negated = line.startsWith("!");
        const pattern = cleanPath((negated ? line.slice(1) : line).trim());
        return { regex: compile(pattern), negated };
      });
  }

  /** True when some `!` pattern re-includes paths, so an excluded folder must still be looked into. */
  get hasExceptions(): boolean {
    return this.rules.some((r) => r.negated);
  }

  get isEmpty(): boolean {
    return this.rules.length === 0;
  }

  /** True when `path` (relative to the context, with `/`) is left out of the build context. */
  excludes(path: string): boolean {
    const clean = cleanPath(path);
    const parents = parentPaths(clean);
    let excluded = false;
    for (const rule of this.rules) {
      // A rule matches the file itself or any folder above it.
      if (rule.regex.test(clean) || parents.some((p) => rule.regex.test(p))) excluded = !rule.negated;
    }
    return excluded;
  }
}

function cleanPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

function parentPaths(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
}

function compile(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        // `**/` matches zero or more folders; a trailing `**` matches everything below.
        if (pattern[i + 1] === "/") {
          i++;
          out += "(?:.*/)?";
        } else out += ".*";
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) out += "\\[";
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < pattern.length) {
      out += escapeRegExp(pattern[++i] ?? "");
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\/]/g, "\\$&");
}
