/**
 * How the bench's figures are written, the same in its three outputs (the
 * table on stdout, bench/table.ts; Markdown, bench/markdown.ts; the HTML
 * report, bench/report.ts): counts per second, microseconds, ratios, a
 * median with its spread, and a row's ratio to its peer.
 *
 * @module
 */

import type { Ratio, Report, Stat, SummaryRow } from "./summary.ts";

/**
 * A count per second in a short form: 7.02M, 70.7k.
 *
 * @param n The number.
 * @returns The text.
 */
export function fmtRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

/**
 * Microseconds as µs or ms.
 *
 * @param us Microseconds.
 * @returns The text.
 */
export function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`;
}

/**
 * A ratio with its spread across runs: `1.84x (1.70–2.01)`.
 *
 * @param r The ratio.
 * @returns The text.
 */
export function fmtRatio(r: Ratio): string {
  const x = `${r.ratio.toFixed(2)}x`;
  return r.min === r.max ? x : `${x} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
}

/**
 * A median with its spread across runs: `7.02M (6.90M–7.10M)`, or the
 * median alone from one run; `-` for none.
 *
 * @param s The figure.
 * @param f How to write one number.
 * @returns The text.
 */
export function cell(s: Stat | undefined, f: (n: number) => string): string {
  if (!s) return "-";
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

/**
 * A peer's row's ratio ours/peer on a metric, from the same run, or empty.
 *
 * @param report The report.
 * @param row A row of the summary.
 * @param metric The metric.
 * @returns The text.
 */
export function ratioOf(
  report: Report,
  row: SummaryRow,
  metric: string,
): string {
  const r = report.ratios.find((x) =>
    x.peer === row.target && x.workload === row.workload &&
    x.members === row.members && x.metric === metric
  );
  return r ? fmtRatio(r) : "";
}
