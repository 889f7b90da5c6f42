/**
 * The bench's self-contained HTML report: inline SVG bar charts
 * (bench/chart.ts: throughput per target, latency percentiles per target,
 * memory per member) and the tables, with the machine the figures came from
 * (bench/machine.ts). No scripts, no external files.
 *
 * @module
 */

import { barChart, esc } from "./chart.ts";
import { cell, fmtRate, fmtUs, ratioOf } from "./format.ts";
import type { Report, SummaryRow } from "./summary.ts";

function targetsOf(rows: SummaryRow[]): string[] {
  return [...new Set(rows.map((r) => r.target))];
}

function htmlTable(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
      .join("")
  }</table>`;
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
          ratioOf(report, r, "deliveries/s"),
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
          ratioOf(report, r, "p99"),
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
          ratioOf(report, r, "KiB/member"),
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
