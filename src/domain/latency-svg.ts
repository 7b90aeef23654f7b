// Latency over time as a standalone SVG: one polyline per percentile series
// over one-second samples, with axes labelled in seconds and milliseconds.
// Pure text in, text out, so the report is testable without a browser.

export interface LatencySample {
  /** Seconds since the run started. */
  second: number;
  /** Latency in ms, by series name (e.g. p50, p99). */
  values: Record<string, number>;
}

const width = 640;
const height = 320;
const margin = { left: 56, right: 16, top: 32, bottom: 40 };
const colours = ["#2563eb", "#dc2626", "#16a34a", "#9333ea"];

/** A labelled moment on the time axis, e.g. where a ramp ends and the steady phase starts. */
export interface TimeMark {
  second: number;
  label: string;
}

export function latencySvg(title: string, samples: readonly LatencySample[], marks: readonly TimeMark[] = []): string {
  const series = [...new Set(samples.flatMap((s) => Object.keys(s.values)))];
  const maxSecond = Math.max(1, ...samples.map((s) => s.second));
  const maxMs = niceCeiling(Math.max(0, ...samples.flatMap((s) => Object.values(s.values))));
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const x = (second: number): number => margin.left + (second / maxSecond) * plotW;
  const y = (ms: number): number => margin.top + plotH - (ms / maxMs) * plotH;
  const lines = series.map((name, i) => {
    const points = samples.filter((s) => s.values[name] !== undefined).map((s) => `${fmt(x(s.second))},${fmt(y(s.values[name] ?? 0))}`);
    return `<polyline data-series="${escapeXml(name)}" fill="none" stroke="${colours[i % colours.length]}" stroke-width="1.5" points="${points.join(" ")}"/>`;
  });
  const markLines = marks.flatMap((m) => [
    `<line data-mark="${escapeXml(m.label)}" x1="${fmt(x(m.second))}" y1="${margin.top}" x2="${fmt(x(m.second))}" y2="${margin.top + plotH}" stroke="#6b7280" stroke-dasharray="4 3"/>`,
    `<text x="${fmt(x(m.second) + 4)}" y="${margin.top + 12}" fill="#6b7280">${escapeXml(m.label)}</text>`,
  ]);
  const legend = series.map((name, i) => `<text x="${margin.left + 8 + i * 70}" y="${margin.top - 10}" fill="${colours[i % colours.length]}">${escapeXml(name)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="14" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<line x1="${margin.left}" y1="${margin.top + plotH}" x2="${margin.left + plotW}" y2="${margin.top + plotH}" stroke="black"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + plotH}" stroke="black"/>`,
    `<text x="${margin.left - 6}" y="${margin.top + 4}" text-anchor="end">${fmt(maxMs)} ms</text>`,
    `<text x="${margin.left - 6}" y="${margin.top + plotH}" text-anchor="end">0</text>`,
    `<text x="${margin.left + plotW}" y="${height - 16}" text-anchor="end">${fmt(maxSecond)} s</text>`,
    ...legend,
    ...markLines,
    ...lines,
    samples.length === 0 ? `<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no samples</text>` : "",
    "</svg>",
    "",
  ]
    .filter((l) => l !== "")
    .join("\n");
}

/** A round axis maximum at or above `n` (1, 2 or 5 times a power of ten). */
export function niceCeiling(n: number): number {
  if (n <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
