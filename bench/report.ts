/**
 * The bench's self-contained HTML report: inline SVG bar charts (throughput
 * per target, latency percentiles per target, memory per member) and the
 * tables, with the machine the figures came from. No scripts, no external
 * files.
 *
 * @module
 */

import type { Target } from "./servers.ts";
import {
  fmtRate,
  fmtRatio,
  fmtUs,
  type Report,
  type Stat,
  type SummaryRow,
} from "./summary.ts";

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

async function text(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdin: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "";
  }
}

/**
 * Describe the machine and the servers' versions.
 *
 * @param targets The targets measured.
 * @returns Name/value pairs.
 */
export async function machineInfo(
  targets: readonly Target[],
): Promise<Record<string, string>> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const osRelease = await Deno.readTextFile("/etc/os-release").catch(() => "");
  const info: Record<string, string> = {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    cores: String(navigator.hardwareConcurrency),
    memory: `${(Deno.systemMemoryInfo().total / 2 ** 30).toFixed(1)} GiB`,
    os: /PRETTY_NAME="?([^"\n]*)/.exec(osRelease)?.[1] ?? Deno.build.os,
    kernel: `Linux ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    commit: await text("git", ["rev-parse", "--short", "HEAD"]),
    gcc: (await text("gcc", ["-dumpfullversion"])) || "unknown",
  };
  const seen = new Set<string>();
  for (const t of targets) {
    const key = t.peer ?? "roomcast";
    if (seen.has(key) || key === "roomcast") continue;
    seen.add(key);
    info[key] = await t.version();
  }
  return info;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface Series {
  name: string;
  values: (Stat | undefined)[];
}

/** A grouped bar chart with min–max whiskers, as an SVG string. */
function barChart(o: {
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

function targetsOf(rows: SummaryRow[]): string[] {
  return [...new Set(rows.map((r) => r.target))];
}

function htmlTable(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
      .join("")
  }</table>`;
}

function cell(s: Stat | undefined, f: (n: number) => string): string {
  if (!s) return "-";
  return s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}

/**
 * Render the report as one HTML page.
 *
 * @param report The report.
 * @returns The page.
 */
export function renderReport(report: Report): string {
  const o = report.options;
  const w1 = report.summary.filter((r) => r.workload === "w1");
  const w2 = report.summary.filter((r) => r.workload === "w2");
  const w3 = report.summary.filter((r) => r.workload === "w3");
  const ratio = (r: SummaryRow, metric: string) => {
    const x = report.ratios.find((q) =>
      q.peer === r.target && q.workload === r.workload &&
      q.members === r.members && q.metric === metric
    );
    return x ? fmtRatio(x) : "";
  };
  const sections: string[] = [];
  if (w1.length > 0) {
    const sizes = [...new Set(w1.map((r) => r.members))];
    const names = targetsOf(w1);
    const udp = w1.some((r) => r.datagramsPerS);
    sections.push(
      `<h2>W1 fan-out throughput</h2><p>${o.senders} senders, ${o.size}-byte messages, ${o.window} messages in flight, ${o.duration} s measured after ${o.warmup} s warm-up. Deliveries counted at the receivers.</p>`,
      barChart({
        title: "Deliveries per second (higher is better)",
        groups: sizes.map((s) => `S=${s}`),
        series: names.map((n) => ({
          name: n,
          values: sizes.map((s) =>
            w1.find((r) => r.target === n && r.members === s)?.deliveriesPerS
          ),
        })),
        format: fmtRate,
        unit: "deliveries/s",
      }),
      htmlTable(
        [
          "target",
          "S",
          "deliveries/s",
          ...(udp ? ["datagrams/s", "deliveries/datagram"] : []),
          "sent/s",
          "lost",
          "server ns/delivery",
          "server cores",
          "generator cores",
          "other cores",
          "deliveries/read",
          "ours/peer",
        ],
        w1.map((r) => [
          r.target,
          String(r.members),
          cell(r.deliveriesPerS, fmtRate),
          ...(udp
            ? [
              r.datagramsPerS ? cell(r.datagramsPerS, fmtRate) : "",
              r.perDatagram ? cell(r.perDatagram, (n) => n.toFixed(1)) : "",
            ]
            : []),
          cell(r.sentPerS, fmtRate),
          String(r.lost + r.seqErrors),
          cell(r.serverNsPerDelivery, (n) => n.toFixed(0)),
          cell(r.serverCores, (n) => n.toFixed(2)),
          cell(r.genCores, (n) => n.toFixed(2)),
          cell(r.otherCores, (n) => n.toFixed(2)),
          cell(r.perRead, (n) => n.toFixed(0)),
          ratio(r, "deliveries/s"),
        ]),
      ),
    );
  }
  if (w2.length > 0) {
    const names = targetsOf(w2);
    const keys = ["p50", "p99", "p999", "maxLatency"] as const;
    sections.push(
      `<h2>W2 latency</h2><p>S=${
        w2[0]!.members
      }, ${o.rate} messages per second from ${o.senders} senders together; each message carries its send time (CLOCK_MONOTONIC).</p>`,
      barChart({
        title: "Delivery latency percentiles (lower is better, log scale)",
        groups: names,
        series: keys.map((k) => ({
          name: k === "maxLatency" ? "max" : k === "p999" ? "p99.9" : k,
          values: names.map((n) => w2.find((r) => r.target === n)?.[k]),
        })),
        format: fmtUs,
        log: true,
        unit: "",
      }),
      htmlTable(
        [
          "target",
          "p50",
          "p99",
          "p99.9",
          "max",
          "lost",
          "other cores",
          "ours/peer p99",
        ],
        w2.map((r) => [
          r.target,
          cell(r.p50, fmtUs),
          cell(r.p99, fmtUs),
          cell(r.p999, fmtUs),
          cell(r.maxLatency, fmtUs),
          String(r.lost + r.seqErrors),
          cell(r.otherCores, (n) => n.toFixed(2)),
          ratio(r, "p99"),
        ]),
      ),
    );
  }
  if (w3.length > 0) {
    const names = targetsOf(w3);
    sections.push(
      `<h2>W3 memory per member</h2><p>${
        w3[0]!.members
      } members connected and joined, in rooms of ${o.memoryRoomSize}; server RSS growth per member, over all members and over the second half only (the marginal cost, without fixed costs such as a heap grown while members joined).</p>`,
      barChart({
        title: "KiB of server RSS per member (lower is better)",
        groups: names,
        series: [{
          name: "KiB/member",
          values: names.map((n) =>
            w3.find((r) => r.target === n)?.kibPerMember
          ),
        }],
        format: (n) => n.toFixed(1),
        unit: "KiB",
      }),
      htmlTable(
        [
          "target",
          "members",
          "KiB/member",
          "second half KiB/member",
          "ours/peer",
        ],
        w3.map((r) => [
          r.target,
          String(r.members),
          cell(r.kibPerMember, (n) => n.toFixed(1)),
          cell(r.kibMarginal, (n) => n.toFixed(1)),
          ratio(r, "KiB/member"),
        ]),
      ),
    );
  }
  if (report.goals.length > 0) {
    sections.push(
      "<h2>Targets</h2>",
      htmlTable(
        ["target", "met", "measured"],
        report.goals.map((g) => [g.what, g.met ? "yes" : "NO", g.detail]),
      ),
    );
  }
  if (report.errors.length > 0) {
    sections.push(
      `<h2>Errors</h2><ul>${
        report.errors.map((e) => `<li>${esc(e)}</li>`).join("")
      }</ul>`,
    );
  }
  const machine = Object.entries(report.machine).map(([k, v]) =>
    `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`
  ).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>roomcast bench ${
    esc(report.started.slice(0, 10))
  }</title>
<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#111}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}
h2{margin-top:2em}</style></head><body>
<h1>roomcast bench</h1>
<p>${esc(report.started)} to ${
    esc(report.finished)
  }. Medians of ${o.runs} run(s); whiskers and ranges show min–max. Server rate limit ${
    esc(String(o.serverRateLimit))
  }. Load generator: bench/loadgen.c (epoll, ${o.threads} thread(s)), separate from the server, on the same machine.</p>
<table>${machine}</table>
${sections.join("\n")}
</body></html>
`;
}

/**
 * Write the HTML report.
 *
 * @param path Where.
 * @param report The report.
 */
export async function writeReport(path: string, report: Report): Promise<void> {
  const dir = path.replace(/\/[^/]*$/, "");
  if (dir && dir !== path) await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(path, renderReport(report));
}
