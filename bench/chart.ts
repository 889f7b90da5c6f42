/**
 * The bar charts of the bench's HTML report (bench/report.ts): grouped bars
 * of medians with min–max whiskers, as inline SVG.
 *
 * @module
 */

import type { Stat } from "./summary.ts";

const COLORS = [
  "#2563eb",
  "#0ea5e9",
  "#dc2626",
  "#f97316",
  "#16a34a",
  "#9333ea",
  "#a16207",
  "#db2777",
];

/**
 * Escape text for HTML and SVG.
 *
 * @param s The text.
 * @returns The escaped text.
 */
export function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One series of bars: a value per group. */
export interface Series {
  name: string;
  values: (Stat | undefined)[];
}

/**
 * A grouped bar chart with min–max whiskers, as an SVG string.
 *
 * @param o Title, groups, series, number format, scale and unit.
 * @returns The SVG, or empty when there is nothing to draw.
 */
export function barChart(o: {
  title: string;
  groups: string[];
  series: Series[];
  format: (n: number) => string;
  log?: boolean;
  unit: string;
}): string {
  const W = 760, H = 300, left = 70, right = 10, top = 30, bottom = 60;
  const plotW = W - left - right, plotH = H - top - bottom;
  const all = o.series.flatMap((s) =>
    s.values.flatMap((v) => (v ? [v.max, v.median] : []))
  );
  if (all.length === 0) return "";
  const maxV = Math.max(...all);
  const minPos = Math.min(...all.filter((v) => v > 0), maxV);
  const lo = o.log ? 10 ** Math.floor(Math.log10(minPos)) : 0;
  const hi = o.log ? 10 ** Math.ceil(Math.log10(maxV)) : maxV * 1.1;
  const y = (v: number) => {
    if (o.log) {
      const t = (Math.log10(Math.max(v, lo)) - Math.log10(lo)) /
        (Math.log10(hi) - Math.log10(lo));
      return top + plotH * (1 - t);
    }
    return top + plotH * (1 - v / hi);
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${left}" y="16" font-size="13" font-weight="bold">${
      esc(o.title)
    }</text>`,
  ];
  const ticks: number[] = [];
  if (o.log) { for (let t = lo; t <= hi * 1.001; t *= 10) ticks.push(t); }
  else for (let i = 0; i <= 5; i++) ticks.push((hi / 5) * i);
  for (const t of ticks) {
    parts.push(
      `<line x1="${left}" x2="${W - right}" y1="${y(t)}" y2="${
        y(t)
      }" stroke="#ddd"/>`,
      `<text x="${left - 4}" y="${y(t) + 4}" text-anchor="end">${
        esc(o.format(t))
      }</text>`,
    );
  }
  const groupW = plotW / o.groups.length;
  const barW = Math.min(40, (groupW * 0.8) / o.series.length);
  o.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + (groupW - barW * o.series.length) / 2;
    o.series.forEach((s, si) => {
      const v = s.values[gi];
      if (!v) return;
      const x = x0 + si * barW;
      const color = COLORS[si % COLORS.length];
      parts.push(
        `<rect x="${x}" y="${y(v.median)}" width="${barW - 2}" height="${
          top + plotH - y(v.median)
        }" fill="${color}"><title>${esc(s.name)} ${esc(g)}: ${
          esc(o.format(v.median))
        } ${esc(o.unit)}</title></rect>`,
      );
      if (v.n > 1) {
        const cx = x + (barW - 2) / 2;
        parts.push(
          `<line x1="${cx}" x2="${cx}" y1="${y(v.min)}" y2="${
            y(v.max)
          }" stroke="#111"/>`,
        );
      }
      parts.push(
        `<text x="${x + (barW - 2) / 2}" y="${
          y(v.median) - 3
        }" text-anchor="middle" font-size="9">${
          esc(o.format(v.median))
        }</text>`,
      );
    });
    parts.push(
      `<text x="${left + gi * groupW + groupW / 2}" y="${
        top + plotH + 14
      }" text-anchor="middle">${esc(g)}</text>`,
    );
  });
  o.series.forEach((s, si) => {
    const x = left + si * Math.min(130, (W - left) / o.series.length);
    parts.push(
      `<rect x="${x}" y="${H - 22}" width="10" height="10" fill="${
        COLORS[si % COLORS.length]
      }"/>`,
      `<text x="${x + 14}" y="${H - 13}">${esc(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
