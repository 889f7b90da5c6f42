/**
 * The bench's figures as Markdown tables (`--markdown FILE`), for
 * docs/performance.md and the README: medians with their spread, and the
 * ratio ours/peer from the same run.
 *
 * @module
 */

import { cell, fmtRate, fmtUs, ratioOf } from "./format.ts";
import type { Report } from "./summary.ts";

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

function table(head: string[], rows: string[][]): string {
  return [
    row(head),
    row(head.map(() => "---")),
    ...rows.map(row),
  ].join("\n");
}

/**
 * Render the figures of a report as Markdown.
 *
 * @param report The report.
 * @returns Markdown: a line on the machine, then one table per workload and
 *   the targets.
 */
export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const o = report.options;
  const out: string[] = [
    `Measured ${
      report.started.slice(0, 10)
    } at commit ${m.commit} on ${m.cpu}, ` +
    `${m.cores} cores, ${m.memory}, ${m.os}, ${m.kernel}, Deno ${m.deno}; ` +
    `server and load generator on the same cores. Medians of ${o.runs} run(s), ` +
    `min–max in brackets; ratios are roomcast over the peer on the same ` +
    `transport (over TCP for peers without one), from the same run.`,
  ];
  const w1 = report.summary.filter((r) => r.workload === "w1");
  const udp = w1.some((r) => r.datagramsPerS);
  if (w1.length > 0) {
    out.push(
      `**W1 fan-out throughput** (${o.senders} senders, ${o.size}-byte messages, ` +
        `${o.window} in flight, ${o.duration} s after ${o.warmup} s warm-up):`,
      table(
        [
          "target",
          "S",
          "deliveries/s",
          "ours/peer",
          "server ns/delivery",
          "server cores",
          "generator cores",
          "other cores",
          "deliveries/read",
          "lost",
        ].toSpliced(
          3,
          0,
          ...(udp ? ["datagrams/s", "deliveries/datagram"] : []),
        ),
        w1.map((r) => [
          r.target,
          String(r.members),
          cell(r.deliveriesPerS, fmtRate),
          ...(udp
            ? [
              r.datagramsPerS ? cell(r.datagramsPerS, fmtRate) : "",
              r.perDatagram?.median.toFixed(1) ?? "",
            ]
            : []),
          ratioOf(report, r, "deliveries/s"),
          cell(r.serverNsPerDelivery, (n) => n.toFixed(0)),
          r.serverCores?.median.toFixed(2) ?? "-",
          r.genCores?.median.toFixed(2) ?? "-",
          r.otherCores?.median.toFixed(2) ?? "-",
          r.perRead?.median.toFixed(0) ?? "-",
          String(r.lost + r.seqErrors),
        ]),
      ),
    );
  }
  const w2 = report.summary.filter((r) => r.workload === "w2");
  if (w2.length > 0) {
    out.push(
      `**W2 latency** (S=${
        w2[0]!.members
      }, ${o.rate} messages/s from ${o.senders} senders together):`,
      table(
        ["target", "p50", "p99", "ours/peer p99", "p99.9", "max", "lost"],
        w2.map((r) => [
          r.target,
          cell(r.p50, fmtUs),
          cell(r.p99, fmtUs),
          ratioOf(report, r, "p99"),
          cell(r.p999, fmtUs),
          cell(r.maxLatency, fmtUs),
          String(r.lost + r.seqErrors),
        ]),
      ),
    );
  }
  const w3 = report.summary.filter((r) => r.workload === "w3");
  if (w3.length > 0) {
    const kib = (n: number) => n.toFixed(1);
    out.push(
      `**W3 memory** (${
        w3[0]!.members
      } members joined, rooms of ${o.memoryRoomSize}; server RSS growth per member, read after ${
        o.memorySettle ?? 2
      } s idle):`,
      table(
        ["target", "KiB/member", "ours/peer", "second half KiB/member"],
        w3.map((r) => [
          r.target,
          cell(r.kibPerMember, kib),
          ratioOf(report, r, "KiB/member"),
          cell(r.kibMarginal, kib),
        ]),
      ),
    );
  }
  if (report.goals.length > 0) {
    out.push(
      "**Targets** (roomcast over TCP: issue 5; over the WebSocket, `roomcast/ws-*`: issue 13):",
      table(
        ["target", "met", "measured"],
        report.goals.map((g) => [g.what, g.met ? "yes" : "**no**", g.detail]),
      ),
    );
  }
  if (report.errors.length > 0) {
    out.push(
      "**Errors:**",
      report.errors.map((e) => `- ${e.split("\n")[0]}`).join("\n"),
    );
  }
  return out.join("\n\n") + "\n";
}
