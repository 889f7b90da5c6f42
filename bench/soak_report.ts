/**
 * The soak's HTML report: the verdict, healthy members' delivery, their
 * p99 latency over time and the server's memory over time as SVG line
 * charts, and the cut-offs by reason. Self-contained (no script, no
 * external file).
 *
 * @module
 */

/** What the soak measured, as the report shows it. */
export interface SoakReport {
  seed: number;
  /** Flags of the run. */
  options: Record<string, number | string>;
  /** The machine, for the record. */
  machine: string;
  startedAt: string;
  durationS: number;
  healthy: number;
  misbehaving: number;
  delivery: {
    expected: number;
    received: number;
    lost: number;
    duplicates: number;
    reordered: number;
    lostNotices: number;
    dropped: string[];
  };
  latency: { p50: number; p99: number; max: number };
  /** Per window: its start (s), the p99 and the count of healthy messages. */
  p99: { t: number; p99: number; n: number }[];
  /** Server RSS samples: time (s), MiB. */
  rss: { t: number; mib: number }[];
  /** Cut-offs by reason, from the server's log. */
  cuts: Record<string, number>;
  /** What the misbehavers saw, by kind. */
  misbehavers: Record<
    string,
    { connections: number; ends: Record<string, number> }
  >;
  survived: boolean;
  failures: string[];
}

function esc(s: string): string {
  return s.replace(
    /[&<>"]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!,
  );
}

/** A line chart of (t, y) points, t in seconds. */
export function lineChart(o: {
  title: string;
  unit: string;
  points: { t: number; y: number }[];
  limit?: number;
}): string {
  const W = 720, H = 260, L = 60, R = 20, T = 30, B = 40;
  const tMax = Math.max(1, ...o.points.map((p) => p.t));
  const yMax = Math.max(1e-9, o.limit ?? 0, ...o.points.map((p) => p.y)) * 1.1;
  const x = (t: number) => L + (t / tMax) * (W - L - R);
  const y = (v: number) => T + (1 - v / yMax) * (H - T - B);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11" role="img" aria-label="${
      esc(o.title)
    }">`,
    `<text x="${L}" y="18" font-size="13" font-weight="bold">${
      esc(o.title)
    }</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#888"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 1.1) * i / 4;
    parts.push(
      `<line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/>`,
      `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${
        v >= 100 ? v.toFixed(0) : v.toFixed(1)
      }</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const t = tMax * i / 5;
    parts.push(
      `<text x="${x(t)}" y="${H - B + 16}" text-anchor="middle">${
        t.toFixed(0)
      } s</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${
      (T + H - B) / 2
    })" text-anchor="middle">${esc(o.unit)}</text>`,
  );
  if (o.limit !== undefined) {
    parts.push(
      `<line x1="${L}" y1="${y(o.limit)}" x2="${W - R}" y2="${
        y(o.limit)
      }" stroke="#c00" stroke-dasharray="4 3"/>`,
      `<text x="${W - R}" y="${
        y(o.limit) - 4
      }" text-anchor="end" fill="#c00">limit ${o.limit}</text>`,
    );
  }
  if (o.points.length > 0) {
    parts.push(
      `<polyline fill="none" stroke="#2563eb" stroke-width="1.5" points="${
        o.points.map((p) => `${x(p.t).toFixed(1)},${y(p.y).toFixed(1)}`).join(
          " ",
        )
      }"/>`,
    );
  }
  parts.push("</svg>");
  return parts.join("\n");
}

function table(head: string[], rows: (string | number)[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${
    rows.map((r) =>
      `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join("")}</tr>`
    ).join("")
  }</table>`;
}

/**
 * The report as a page.
 *
 * @param r What the soak measured.
 * @param limits The p99 and RSS bounds, drawn on the charts.
 * @returns HTML.
 */
export function renderSoakReport(
  r: SoakReport,
  limits: { p99Ms: number; rssMiB: number },
): string {
  const d = r.delivery;
  const verdict = r.failures.length === 0
    ? `<p class="ok">Every invariant held.</p>`
    : `<p class="bad">Failed:</p><ul>${
      r.failures.map((f) => `<li>${esc(f)}</li>`).join("")
    }</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>roomcast soak ${
    esc(r.startedAt)
  }</title>
<style>body{font-family:sans-serif;max-width:780px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.ok{color:#080;font-weight:bold}.bad{color:#c00;font-weight:bold}</style></head><body>
<h1>roomcast soak</h1>
<p>${
    esc(r.startedAt)
  }, ${r.durationS} s, ${r.healthy} healthy and ${r.misbehaving} misbehaving members; seed ${r.seed}. ${
    esc(r.machine)
  }</p>
${verdict}
<h2>Healthy members</h2>
${
    table([
      "expected",
      "heard",
      "lost",
      "duplicated",
      "out of order",
      "UDP loss notices",
      "dropped",
    ], [[
      d.expected,
      d.received,
      d.lost,
      d.duplicates,
      d.reordered,
      d.lostNotices,
      d.dropped.length,
    ]])
  }
${
    table(["latency p50", "p99", "max"], [[
      `${r.latency.p50.toFixed(1)} ms`,
      `${r.latency.p99.toFixed(1)} ms`,
      `${r.latency.max.toFixed(1)} ms`,
    ]])
  }
${
    lineChart({
      title: "Healthy members: p99 latency over time",
      unit: "ms",
      points: r.p99.map((w) => ({ t: w.t, y: w.p99 })),
      limit: limits.p99Ms,
    })
  }
${
    lineChart({
      title: "Server resident memory over time",
      unit: "MiB",
      points: r.rss.map((s) => ({ t: s.t, y: s.mib })),
      limit: limits.rssMiB,
    })
  }
<h2>Cut-offs by reason (server log)</h2>
${
    table(
      ["reason", "count"],
      Object.entries(r.cuts).sort((a, b) => b[1] - a[1]),
    )
  }
<h2>Misbehaving members (as they saw it)</h2>
${
    table(
      ["kind", "connections", "how they ended"],
      Object.entries(r.misbehavers).map(([k, s]) => [
        k,
        s.connections,
        Object.entries(s.ends).map(([e, n]) => `${e}: ${n}`).join(", "),
      ]),
    )
  }
<h2>Options</h2>
${table(["flag", "value"], Object.entries(r.options))}
</body></html>
`;
}
