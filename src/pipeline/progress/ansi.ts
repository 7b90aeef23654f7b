// Terminal escapes and width arithmetic. The live view's cursor movement is
// only correct if every line it redraws fits on one terminal row, so width
// is measured on the text a person sees, escapes excluded.

const csi = "\u001b[";

export const cursor = {
  hide: `${csi}?25l`,
  show: `${csi}?25h`,
  /** Back to the start of the line `rows` rows up. */
  up: (rows: number): string => `\r${csi}${rows}A`,
  clearToEnd: `${csi}J`,
};

const colorCodes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Paint = (color: keyof typeof colorCodes, text: string) => string;

/** The same colours as cli/output.ts paint(); pipeline/ may not import the faces. */
export function painter(color: boolean): Paint {
  return color ? (code, text) => `${csi}${colorCodes[code]}m${text}${csi}0m` : (_code, text) => text;
}

// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const escapeSequence = /(\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007)/g;
// eslint-disable-next-line no-control-regex -- stray control characters would move the cursor
const controlCharacter = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

export function stripAnsi(text: string): string {
  return text.replace(escapeSequence, "");
}

/** Makes a tool's text safe to show on one line: no colours, cursor moves, line breaks or tabs of unknown width. */
export function sanitizeLogLine(line: string): string {
  return stripAnsi(line).replace(/\t/g, "    ").replace(/\r?\n/g, " ").replace(controlCharacter, "");
}

/** Counts code points: right for the ASCII and narrow symbols we draw; wide CJK text in logs may still overflow. */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

/** Cuts a line to `columns` visible characters, ending in "…", keeping (and closing) its colours. */
export function fitToWidth(text: string, columns: number): string {
  if (visibleWidth(text) <= columns) return text;
  let fitted = "";
  let width = 0;
  let styled = false;
  for (const part of text.split(escapeSequence)) {
    if (part.startsWith("\u001b")) {
      fitted += part;
      styled = true;
      continue;
    }
    for (const character of part) {
      if (width >= columns - 1) return fitted + "…" + (styled ? `${csi}0m` : "");
      fitted += character;
      width += 1;
    }
  }
  return fitted;
}

/** Breaks prose at spaces so every line fits `columns`; continuation lines are indented two more. A word too long for any line is cut. */
export function wrapToWidth(text: string, columns: number): string[] {
  if (visibleWidth(text) <= columns) return [text];
  const leading = /^ */.exec(text)?.[0] ?? "";
  const lines: string[] = [];
  let line = leading;
  let lineHasWord = false;
  for (const word of text.slice(leading.length).split(" ")) {
    const candidate = lineHasWord ? `${line} ${word}` : line + word;
    if (!lineHasWord || visibleWidth(candidate) <= columns) {
      line = candidate;
      lineHasWord = true;
    } else {
      lines.push(line);
      line = `${leading}  ${word}`;
    }
  }
  lines.push(line);
  return lines.map((wrapped) => fitToWidth(wrapped, columns));
}
