/**
 * Turns the bench's raw runs into medians with their spread, and ratios of
 * roomcast to each peer from the same run (the targets are judged in
 * bench/goals.ts).
 *
 * @module
 */

import type { LoadResult } from "./loadgen.ts";

/** One generator run against one target. */
export interface RunRecord extends LoadResult {
  /** Target name, such as `roomcast/tcp`. */
  target: string;
  /** Transport of the target. */
  transport: string;
  /** Peer name, or undefined for roomcast. */
  peer?: string;
  /** Which repetition (1-based). */
  run: number;
}

/** A median with the lowest and highest value it was taken from. */
export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Medians of one target on one workload and room size. */
export interface SummaryRow {
  target: string;
  transport: string;
  peer?: string;
  workload: "w1" | "w2" | "w3";
  members: number;
  deliveriesPerS?: Stat;
  sentPerS?: Stat;
  serverNsPerDelivery?: Stat;
  serverCores?: Stat;
  genCores?: Stat;
  /** Deliveries per read at the generator (the server's write batching). */
  perRead?: Stat;
  /** Cores other processes on the machine used meanwhile (noise). */
  otherCores?: Stat;
  /** UDP: datagrams received per second at the generator. */
  datagramsPerS?: Stat;
  /** UDP: deliveries per received datagram (how well the server packs). */
  perDatagram?: Stat;
  /** UDP: datagrams the senders sent per second. */
  sentDatagramsPerS?: Stat;
  /** UDP: most events the server numbered that never arrived, in any run. */
  udpLost?: number;
  /** UDP: most datagrams sent again for a late acknowledgement, in any run. */
  retransmits?: number;
  p50?: Stat;
  p99?: Stat;
  p999?: Stat;
  maxLatency?: Stat;
  kibPerMember?: Stat;
  /** RSS growth per member over the second half of W3 (no fixed costs). */
  kibMarginal?: Stat;
  /** Most messages lost in any run (expected minus received after drain). */
  lost: number;
  /**
   * Sequence gaps and duplicates seen in any run (over UDP duplicates only:
   * its gaps are the losses already counted in `lost`).
   */
  seqErrors: number;
  disconnects: number;
}

/** roomcast's figure over a peer's, from the same runs. */
export interface Ratio {
  ours: string;
  peer: string;
  workload: "w1" | "w2" | "w3";
  members: number;
  metric: "deliveries/s" | "p99" | "KiB/member";
  /** ours / peer: the median of the ratios within each run. */
  ratio: number;
  /** Lowest ratio in one run. */
  min: number;
  /** Highest ratio in one run. */
  max: number;
}

/** Everything a bench run measured: what `--json` writes and the HTML shows. */
export interface Report {
  started: string;
  finished: string;
  machine: Record<string, string>;
  options: Record<string, unknown>;
  summary: SummaryRow[];
  ratios: Ratio[];
  goals: Goal[];
  errors: string[];
  runs: RunRecord[];
}

/** One of the targets, and whether it was met. */
export interface Goal {
  what: string;
  met: boolean;
  detail: string;
}

function stat(values: number[]): Stat | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v.at(-1)!, n: v.length };
}

function pick(
  runs: RunRecord[],
  f: (r: RunRecord) => number | undefined,
): Stat | undefined {
  return stat(runs.map(f).filter((x): x is number => x !== undefined));
}

/**
 * Group runs by target, workload and room size, and take medians.
 *
 * @param runs Every run.
 * @returns One row per group, in first-seen order.
 */
export function summarize(runs: readonly RunRecord[]): SummaryRow[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.target}|${r.workload}|${r.members}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const rows: SummaryRow[] = [];
  for (const g of groups.values()) {
    const first = g[0]!;
    const row: SummaryRow = {
      target: first.target,
      transport: first.transport,
      workload: first.workload,
      members: first.members,
      lost: Math.max(...g.map((r) => r.lost ?? 0)),
      seqErrors: Math.max(
        ...g.map((r) =>
          (r.transport === "udp" ? 0 : r.seq_gaps ?? 0) + (r.seq_dups ?? 0)
        ),
      ),
      disconnects: Math.max(...g.map((r) => r.disconnects)),
    };
    if (first.peer) row.peer = first.peer;
    const set = <K extends keyof SummaryRow>(k: K, s: SummaryRow[K]) => {
      if (s !== undefined) row[k] = s;
    };
    set("deliveriesPerS", pick(g, (r) => r.deliveries_per_s));
    set("sentPerS", pick(g, (r) => r.sent_per_s));
    set("serverNsPerDelivery", pick(g, (r) => r.server_ns_per_delivery));
    set("serverCores", pick(g, (r) => r.server_cpu_cores));
    set("genCores", pick(g, (r) => r.gen_cpu_cores));
    set("otherCores", pick(g, (r) => r.other_cores));
    set("perRead", pick(g, (r) => r.deliveries_per_read));
    set("datagramsPerS", pick(g, (r) => r.datagrams_per_s));
    set("perDatagram", pick(g, (r) => r.deliveries_per_datagram));
    set("sentDatagramsPerS", pick(g, (r) => r.sent_datagrams_per_s));
    if (g.some((r) => r.udp_lost_events !== undefined)) {
      row.udpLost = Math.max(...g.map((r) => r.udp_lost_events ?? 0));
      row.retransmits = Math.max(...g.map((r) => r.udp_retransmits ?? 0));
    }
    set("p50", pick(g, (r) => r.latency_us?.p50));
    set("p99", pick(g, (r) => r.latency_us?.p99));
    set("p999", pick(g, (r) => r.latency_us?.p999));
    set("maxLatency", pick(g, (r) => r.latency_us?.max));
    set("kibPerMember", pick(g, (r) => r.rss_per_member_kib));
    set("kibMarginal", pick(g, (r) => r.rss_marginal_kib));
    rows.push(row);
  }
  return rows;
}

/**
 * Ratios of roomcast over each peer on the same transport (or over TCP
 * when the peer has no such transport): the ratio is taken within each run
 * (the two measured minutes apart, on the same box), then the median of
 * those, with their spread.
 *
 * @param rows Summary rows.
 * @param runs Every run.
 * @returns The ratios.
 */
export function ratios(
  rows: readonly SummaryRow[],
  runs: readonly RunRecord[],
): Ratio[] {
  const out: Ratio[] = [];
  const metricOf: Record<
    string,
    [Ratio["metric"], (r: RunRecord) => number | undefined]
  > = {
    w1: ["deliveries/s", (r) => r.deliveries_per_s],
    w2: ["p99", (r) => r.latency_us?.p99],
    w3: ["KiB/member", (r) => r.rss_per_member_kib],
  };
  const pairs = rows.filter((r) => r.peer !== undefined).flatMap((peer) =>
    rows.filter((r) =>
      r.peer === undefined && r.transport === peer.transport &&
      r.workload === peer.workload && r.members === peer.members
    ).map((ours) => [ours, peer] as const)
  );
  for (const [ours, peer] of pairs) {
    const [metric, f] = metricOf[peer.workload]!;
    const of = (target: string, run: number) => {
      const r = runs.find((x) =>
        x.target === target && x.run === run &&
        x.workload === peer.workload && x.members === peer.members
      );
      return r ? f(r) : undefined;
    };
    const each: number[] = [];
    for (const run of new Set(runs.map((r) => r.run))) {
      const a = of(ours.target, run), b = of(peer.target, run);
      if (a !== undefined && b !== undefined && b > 0) each.push(a / b);
    }
    const s = stat(each);
    if (s) {
      out.push({
        ours: ours.target,
        peer: peer.target,
        workload: peer.workload,
        members: peer.members,
        metric,
        ratio: s.median,
        min: s.min,
        max: s.max,
      });
    }
  }
  return out;
}
