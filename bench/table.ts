// deno-lint-ignore-file no-console
/**
 * The bench's table on stdout: one section per workload, peers beside
 * roomcast with the ratio ours/peer from the same run.
 *
 * @module
 */

import { fmtRate, fmtUs, ratioOf } from "./format.ts";
import type { Report, Stat } from "./summary.ts";

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))
  );
  return [pad(head, widths), ...rows.map((r) => pad(r, widths))].join("\n");
}

function spread(s: Stat | undefined, f: (n: number) => string): string {
  if (!s || s.n < 2) return "";
  return `${f(s.min)}–${f(s.max)}`;
}

/**
 * Print the report as tables.
 *
 * @param report The report.
 */
export function printTable(report: Report): void {
  const o = report.options;
  const m = report.machine;
  console.log(
    `roomcast bench ${
      report.started.slice(0, 10)
    } on ${m.cpu} (${m.cores} cores), ` +
      `${m.kernel}; runs: ${o.runs} (medians, spread min–max)`,
  );
  console.log(`server rate limit: ${o.serverRateLimit}`);
  const w1 = report.summary.filter((r) => r.workload === "w1");
  if (w1.length > 0) {
    console.log(
      `\nW1 fan-out throughput: ${o.senders} senders, ${o.size}-byte messages, ` +
        `${o.window} in flight, ${o.duration} s after ${o.warmup} s warm-up`,
    );
    // Over UDP: datagrams received per second beside the deliveries, and
    // the deliveries each datagram carried (the server's packing).
    const udp = w1.some((r) => r.datagramsPerS);
    console.log(table(
      [
        "target",
        "S",
        "deliveries/s",
        "spread",
        ...(udp ? ["datagrams/s", "deliveries/datagram"] : []),
        "sent/s",
        "lost",
        "server ns/delivery",
        "server cores",
        "generator cores",
        "other cores",
        "ours/peer",
      ],
      w1.map((r) => [
        r.target,
        String(r.members),
        r.deliveriesPerS ? fmtRate(r.deliveriesPerS.median) : "-",
        spread(r.deliveriesPerS, fmtRate),
        ...(udp
          ? [
            r.datagramsPerS ? fmtRate(r.datagramsPerS.median) : "",
            r.perDatagram?.median.toFixed(1) ?? "",
          ]
          : []),
        r.sentPerS ? fmtRate(r.sentPerS.median) : "-",
        String(r.lost + r.seqErrors),
        r.serverNsPerDelivery?.median.toFixed(0) ?? "-",
        r.serverCores?.median.toFixed(2) ?? "-",
        r.genCores?.median.toFixed(2) ?? "-",
        r.otherCores?.median.toFixed(2) ?? "-",
        ratioOf(report, r, "deliveries/s"),
      ]),
    ));
  }
  const w2 = report.summary.filter((r) => r.workload === "w2");
  if (w2.length > 0) {
    console.log(
      `\nW2 latency: ${o.rate} messages/s from ${o.senders} senders together, ` +
        `send time in the payload`,
    );
    console.log(table(
      [
        "target",
        "S",
        "p50",
        "p99",
        "p99 spread",
        "p99.9",
        "max",
        "lost",
        "generator cores",
        "other cores",
        "ours/peer p99",
      ],
      w2.map((r) => [
        r.target,
        String(r.members),
        r.p50 ? fmtUs(r.p50.median) : "-",
        r.p99 ? fmtUs(r.p99.median) : "-",
        spread(r.p99, fmtUs),
        r.p999 ? fmtUs(r.p999.median) : "-",
        r.maxLatency ? fmtUs(r.maxLatency.median) : "-",
        String(r.lost + r.seqErrors),
        r.genCores?.median.toFixed(2) ?? "-",
        r.otherCores?.median.toFixed(2) ?? "-",
        ratioOf(report, r, "p99"),
      ]),
    ));
  }
  const w3 = report.summary.filter((r) => r.workload === "w3");
  if (w3.length > 0) {
    console.log(
      `\nW3 memory: members connected and joined, rooms of ${o.memoryRoomSize}; ` +
        `server RSS growth per member, read after ${
          o.memorySettle ?? 2
        } s idle`,
    );
    const kib = (n: number) => n.toFixed(1);
    console.log(table(
      [
        "target",
        "members",
        "KiB/member",
        "spread",
        "second half KiB/member",
        "ours/peer",
      ],
      w3.map((r) => [
        r.target,
        String(r.members),
        r.kibPerMember ? kib(r.kibPerMember.median) : "-",
        spread(r.kibPerMember, kib),
        r.kibMarginal ? kib(r.kibMarginal.median) : "-",
        ratioOf(report, r, "KiB/member"),
      ]),
    ));
  }
  if (report.goals.length > 0) {
    console.log("\nTargets (roomcast/tcp: issue 5; roomcast/ws-*: issue 13):");
    for (const g of report.goals) {
      console.log(`  ${g.met ? "met   " : "MISSED"}  ${g.what}: ${g.detail}`);
    }
  }
  for (const e of report.errors) console.log(`error: ${e}`);
}
