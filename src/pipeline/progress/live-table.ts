// One frame of the live view: a header line, the column labels, then a row
// per service with a cell per stage and the service's outcome.
import { stages, type StageName } from "../events.js";
import { fitToWidth, visibleWidth, type Paint } from "./ansi.js";
import { formatDuration, formatElapsed, shortCommit, shortReference } from "./format.js";
import type { RunProgress, ServiceProgress, StageProgress } from "./run-progress.js";

type Color = Parameters<Paint>[0];
interface Cell {
  symbol: string;
  /** Duration or elapsed time, dropped when the terminal is too narrow. */
  detail?: string;
  color?: Color;
}
/** How the stage cells are drawn; the first that fits the terminal wins. */
interface Layout {
  /** Undefined: symbols only, under one "stages" label. */
  labels?: Record<StageName, string>;
  cellWidth: number;
}

const spinnerFrames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
const gap = "  ";
const layouts: Layout[] = [
  // 8 fits "✓ 1m 05s"; a longer label widens its column.
  { labels: { build: "build", "unit-test": "unit-test", image: "image", "container-test": "container-test", push: "push" }, cellWidth: 8 },
  { labels: { build: "build", "unit-test": "unit", image: "image", "container-test": "c-test", push: "push" }, cellWidth: 8 },
  { cellWidth: 1 },
];

/** Every line fits `columns`: the live view's cursor arithmetic assumes one row per line. */
export function renderLiveTable(progress: RunProgress, now: number, columns: number, paint: Paint): string[] {
  let lines: string[] = [];
  for (const layout of layouts) {
    lines = tableLines(progress, now, layout, paint);
    if (lines.every((line) => visibleWidth(line) <= columns)) return lines;
  }
  return lines.map((line) => fitToWidth(line, columns));
}

function tableLines(progress: RunProgress, now: number, layout: Layout, paint: Paint): string[] {
  const services = [...progress.services.values()];
  const nameWidth = Math.max("service".length, ...services.map((service) => service.name.length));
  const labels = layout.labels;
  const widths = stages.map((stage) => Math.max(labels?.[stage].length ?? 0, layout.cellWidth));
  const stageLabels = labels === undefined ? ["stages".padEnd(stages.length * 2 - 1)] : stages.map((stage, i) => labels[stage].padEnd(widths[i] ?? 0));
  const labelRow = ["service".padEnd(nameWidth), ...stageLabels, "outcome"].join(gap);
  const cellGap = labels === undefined ? " " : gap;
  const rows = services.map((service) => serviceRow(service, { nameWidth, widths, cellGap, symbolsOnly: labels === undefined }, now, paint));
  return [headerLine(progress, now, paint), paint("dim", labelRow), ...rows];
}

function headerLine(progress: RunProgress, now: number, paint: Paint): string {
  const finished = progress.finished;
  const elapsedMs = finished?.durationMs ?? (progress.startedAt === undefined ? 0 : now - progress.startedAt);
  // Most telling first: a narrow terminal cuts from the right.
  const parts = [
    finished === undefined ? formatElapsed(elapsedMs) : formatDuration(elapsedMs),
    progress.runId === undefined ? undefined : `run ${progress.runId}`,
    progress.commit === undefined ? undefined : `commit ${shortCommit(progress.commit)}`,
    progress.concurrency === undefined ? undefined : `${progress.concurrency} at a time`,
  ];
  return [paint("bold", "slipway ci"), ...parts.filter((part) => part !== undefined)].join(" · ");
}

interface RowShape {
  nameWidth: number;
  widths: number[];
  cellGap: string;
  symbolsOnly: boolean;
}

function serviceRow(service: ServiceProgress, shape: RowShape, now: number, paint: Paint): string {
  const name = service.name.padEnd(shape.nameWidth);
  if (service.outcome === "up-to-date") {
    const reference = service.reference === undefined ? "" : `${gap}${paint("dim", shortReference(service.reference))}`;
    return `${name}${gap}${paint("green", "up to date")}${reference}`;
  }
  const settled = service.outcome !== undefined;
  const cells = stages.map((stage, i) => {
    const cell = stageCell(service.stages[stage], now, settled);
    const text = cell.detail === undefined || shape.symbolsOnly ? cell.symbol : `${cell.symbol} ${cell.detail}`;
    return (cell.color === undefined ? text : paint(cell.color, text)) + " ".repeat(Math.max(0, (shape.widths[i] ?? 0) - visibleWidth(text)));
  });
  return [name, cells.join(shape.cellGap), outcomeText(service, paint)].join(gap).trimEnd();
}

function stageCell(stage: StageProgress, now: number, serviceSettled: boolean): Cell {
  const took = formatDuration(stage.durationMs ?? 0);
  switch (stage.state) {
    case "pending":
      // Once the service has settled, a stage that never ran never will.
      return { symbol: serviceSettled ? "–" : "·", color: "dim" };
    case "running":
      if (serviceSettled) return { symbol: "–", color: "dim" };
      return {
        symbol: spinnerFrames.charAt(Math.floor(now / 100) % spinnerFrames.length),
        detail: formatElapsed(now - (stage.startedAt ?? now)),
        color: "yellow",
      };
    case "passed":
      return { symbol: "✓", detail: took, color: "green" };
    case "failed":
      return { symbol: "✗", detail: took, color: "red" };
    case "skipped":
      return { symbol: "–", color: "dim" };
    case "cancelled":
      return { symbol: "⊘", detail: took, color: "yellow" };
  }
}

function outcomeText(service: ServiceProgress, paint: Paint): string {
  switch (service.outcome) {
    case "built":
      return paint("green", "built");
    case "failed":
      return paint("red", "failed");
    case "blocked":
      return paint("yellow", service.blockedBy === undefined ? "blocked" : `blocked by ${service.blockedBy}`);
    case "cancelled":
      return paint("yellow", "cancelled");
    case "up-to-date":
    case undefined: {
      const started = Object.values(service.stages).some((stage) => stage.state !== "pending");
      return service.queued && !started ? paint("dim", "queued") : "";
    }
  }
}
