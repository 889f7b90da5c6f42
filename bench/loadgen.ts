/**
 * Builds the C load generator (bench/loadgen.c) with the system gcc and runs
 * it. The generator prints one JSON object; this module types it.
 *
 * @module
 */

import type { Proto } from "./servers.ts";

/** Latency percentiles in microseconds. */
export interface Latency {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** What one generator run reports (see bench/loadgen.c). */
export interface LoadResult {
  proto: Proto;
  /** `tcp`, `unix`, `udp` or `ws` (from the address). */
  transport?: string;
  /** The WebSocket subprotocol spoken (`roomcast.binary.v1`), over `ws`. */
  ws_protocol?: string;
  workload: "w1" | "w2" | "w3";
  members: number;
  connections: number;
  threads: number;
  setup_s: number;
  // W1 and W2
  senders?: number;
  size?: number;
  window?: number;
  rate?: number;
  receivers_per_msg?: number;
  duration_s?: number;
  sent?: number;
  sent_per_s?: number;
  deliveries?: number;
  deliveries_per_s?: number;
  bytes_per_s?: number;
  total_sent?: number;
  expected?: number;
  received?: number;
  lost?: number;
  seq_gaps?: number;
  seq_dups?: number;
  bad?: number;
  errors?: number;
  disconnects: number;
  gen_cpu_s?: number;
  gen_cpu_cores?: number;
  /** read() calls per second at the generator. */
  reads_per_s?: number;
  /** Deliveries per read() at the generator: how much the server put in each write. */
  deliveries_per_read?: number;
  /** Cores busy on the whole machine during the window (/proc/stat). */
  machine_busy_cores?: number;
  /** Cores used by other processes: busy minus server minus generator. */
  other_cores?: number;
  server_cpu_s?: number;
  server_cpu_cores?: number;
  server_ns_per_delivery?: number;
  latency_us?: Latency;
  // UDP only
  /** Datagrams received per second at the generator (all members). */
  datagrams_per_s?: number;
  /** Deliveries per received datagram: how well the server packs events. */
  deliveries_per_datagram?: number;
  /** Datagrams the senders sent per second (first sends). */
  sent_datagrams_per_s?: number;
  /** Messages per datagram the senders sent. */
  messages_per_sent_datagram?: number;
  /** Events the server numbered that never arrived (SEQ jumps), whole run. */
  udp_lost_events?: number;
  /** Datagrams wholly below the expected event number (late or duplicated). */
  udp_late_datagrams?: number;
  /** Datagrams the generator sent again for want of an acknowledgement. */
  udp_retransmits?: number;
  // W3
  room_size?: number;
  rss_before_kib?: number;
  rss_after_kib?: number;
  rss_per_member_kib?: number;
  /** RSS with half the members in (settled). */
  rss_half_kib?: number;
  /** RSS growth per member over the second half: the marginal cost. */
  rss_marginal_kib?: number;
  /** What the generator printed on stderr (protocol errors), if anything. */
  warnings?: string;
}

/** Options of one generator run. */
export interface LoadOptions {
  proto: Proto;
  addrs: readonly string[];
  pids: readonly number[];
  workload: "w1" | "w2" | "w3";
  members: number;
  senders: number;
  size: number;
  warmup: number;
  duration: number;
  drain: number;
  window: number;
  rate: number;
  threads: number;
  roomSize?: number;
  settle?: number;
  /** More flags, such as `--ws-protocol binary`. */
  extraArgs?: readonly string[];
}

const SOURCE = new URL("./loadgen.c", import.meta.url);
/** Every file of the generator (loadgen.c #includes the others). */
const SOURCES = ["loadgen.c", "loadgen_udp.c", "loadgen_ws.c"].map((f) =>
  new URL(`./${f}`, import.meta.url)
);
const OUT = new URL("./out/", import.meta.url);

/**
 * Compile the generator unless an up-to-date binary is there.
 *
 * @returns The binary's path.
 * @throws {Error} When gcc is missing or the build fails.
 */
export async function buildLoadgen(): Promise<string> {
  await Deno.mkdir(OUT, { recursive: true });
  const bin = new URL("loadgen", OUT).pathname;
  let newest = 0;
  for (const f of SOURCES) {
    newest = Math.max(newest, (await Deno.stat(f)).mtime?.getTime() ?? 0);
  }
  try {
    const built = await Deno.stat(bin);
    if ((built.mtime?.getTime() ?? 0) >= newest) return bin;
  } catch {
    // not built yet
  }
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("gcc", {
      args: ["-O2", "-pthread", "-o", bin, SOURCE.pathname, "-lm"],
      stdin: "null",
    }).output();
  } catch {
    throw new Error(
      "Cannot build the load generator: gcc is missing (apt-get install gcc)",
    );
  }
  if (!out.success) {
    throw new Error(
      `Cannot build the load generator:\n${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
  return bin;
}

/**
 * Run the generator once against a running server.
 *
 * @param bin The generator binary.
 * @param o What to run.
 * @returns Its figures.
 * @throws {Error} With the generator's error output when it fails.
 */
export async function runLoadgen(
  bin: string,
  o: LoadOptions,
): Promise<LoadResult> {
  const args = [
    "--proto",
    o.proto,
    "--addr",
    o.addrs.join(","),
    "--workload",
    o.workload,
    "--members",
    String(o.members),
    "--senders",
    String(o.senders),
    "--size",
    String(o.size),
    "--warmup",
    String(o.warmup),
    "--duration",
    String(o.duration),
    "--drain",
    String(o.drain),
    "--window",
    String(o.window),
    "--rate",
    String(o.rate),
    "--threads",
    String(o.threads),
  ];
  if (o.pids.length > 0) args.push("--pid", o.pids.join(","));
  if (o.roomSize !== undefined) args.push("--room-size", String(o.roomSize));
  if (o.settle !== undefined) args.push("--settle", String(o.settle));
  args.push(...(o.extraArgs ?? []));
  const out = await new Deno.Command(bin, { args, stdin: "null" }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  if (!out.success || stdout === "") {
    throw new Error(
      `Cannot run ${o.workload} against ${o.proto}: ${
        stderr || `load generator exited with ${out.code}`
      }`,
    );
  }
  const result = JSON.parse(stdout.split("\n").at(-1)!) as LoadResult;
  if (stderr) result.warnings = stderr;
  return result;
}
