// Columns for list output: every column as wide as its widest cell, two
// spaces between columns, so adjacent cells never run together.

export interface Column {
  title: string;
  /** Numbers read best right-aligned. */
  align?: "left" | "right";
}

export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? "";
        const width = widths[i] ?? 0;
        return c.align === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.title)), ...rows.map(line)];
}
