/**
 * The second part of `deno task fuzz`: a live `cli.ts serve` over TCP,
 * Unix, UDP and WebSocket fed garbage from many connections while healthy
 * members chat. Its invariants: the process stays up, every healthy member
 * hears every message of the others exactly once and in order, resident
 * memory stays under a bound, and every garbage connection is cut with the
 * fatal error documented for its kind (bench/garbage.ts).
 *
 * @module
 */

import { GARBAGE, type GarbageStats } from "./garbage.ts";
import { runGarbageWorker } from "./garbage_worker.ts";
import {
  type Delivery,
  HealthyMember,
  heardFailures,
  Latencies,
  percentile,
  settle,
  tallyDelivery,
} from "./healthy.ts";
import { LiveServer } from "./live_server.ts";
import type { Prng } from "./prng.ts";

/** Options of {@link fuzzLive}. */
export interface LiveOptions {
  /** How long garbage flows, in s. */
  durationS: number;
  /** Garbage connections at once (spread over the kinds), plus a UDP noise socket per 10. */
  garbage: number;
  /** Healthy members (spread over TCP, Unix, UDP, WebSocket). */
  members: number;
  /** Messages per second each healthy member says. */
  rate: number;
  /** Most resident memory allowed to the server, in MiB. */
  rssLimitMiB: number;
}

/** What the live part found. */
export interface LiveResult {
  /** The server ran to the end and stopped with status 0. */
  survived: boolean;
  exitCode: number | undefined;
  delivery: Delivery;
  /** Healthy latency percentiles, in ms (by the receiver's transport too). */
  latency: { p50: number; p99: number; max: number };
  latencyByTransport: Record<string, { p50: number; p99: number }>;
  /** Server RSS: first sample, highest, last, in MiB. */
  rss: { start: number; max: number; end: number };
  /** Garbage by kind. */
  garbage: Record<string, GarbageStats>;
  /** UDP noise datagrams sent. */
  noise: number;
  /** Datagrams the kernel dropped at the server's UDP socket. */
  udpDrops: number | undefined;
  /** The server's log, counted by kind. */
  log: Record<string, number>;
  /** What broke, if anything. */
  failures: string[];
}

/**
 * Run the live part.
 *
 * @param rng The generator.
 * @param options Sizes and bounds.
 * @returns What happened, with `failures` listing broken invariants.
 */
export async function fuzzLive(
  rng: Prng,
  options: LiveOptions,
): Promise<LiveResult> {
  const server = await LiveServer.start(["--rate", "0"]);
  const origin = performance.now();
  const latencies = new Latencies(origin, 1);
  const urls = server.urls;
  const transports = [urls.tcp, urls.unix, urls.udp, urls.ws];
  const byTransport = new Map<string, Latencies>();
  const members = Array.from({ length: options.members }, (_, i) => {
    const url = transports[i % 4]!;
    const t = new URL(url).protocol.replace(":", "");
    if (!byTransport.has(t)) byTransport.set(t, new Latencies(origin, 1));
    return new HealthyMember(`healthy${i}`, url, "fuzz", [
      latencies,
      byTransport.get(t)!,
    ]);
  });
  const failures: string[] = [];
  const rss = { start: server.rssMiB() ?? 0, max: 0, end: 0 };
  const sampler = setInterval(() => {
    const now = server.rssMiB();
    if (now !== undefined) rss.max = Math.max(rss.max, now);
  }, 250);
  const garbage: Record<string, GarbageStats> = {};
  let noise = 0;
  try {
    for (const m of members) await m.join();
    const deadline = performance.now() + options.durationS * 1000;
    const sending = runGarbageWorker({
      targets: urls,
      seed: rng.u32(),
      connections: options.garbage,
      noise: Math.max(1, Math.floor(options.garbage / 10)),
      durationMs: options.durationS * 1000,
    }).then((done) => {
      Object.assign(garbage, done.garbage);
      noise = done.noise;
    });
    // Healthy talk until the deadline, each at its own pace.
    const every = 1000 / options.rate;
    const talking = members.map(async (m, i) => {
      await new Promise((r) => setTimeout(r, (i * every) / members.length));
      while (performance.now() < deadline) {
        m.say();
        await new Promise((r) => setTimeout(r, every));
      }
    });
    await Promise.all([...talking, sending]);
    // Let the last messages arrive.
    await settle(members, 10_000, 100);
    for (const m of members) await m.leave();
  } catch (e) {
    failures.push(`run: ${e instanceof Error ? e.message : e}`);
  } finally {
    clearInterval(sampler);
  }
  rss.end = server.rssMiB() ?? 0;
  const udpDrops = server.udpDrops();
  rss.max = Math.max(rss.max, rss.end);
  const alive = server.alive;
  const status = await server.stop();
  const delivery = tallyDelivery(members);
  const result: LiveResult = {
    survived: alive && status.code === 0,
    exitCode: status.code,
    delivery,
    latency: latencies.summary(),
    latencyByTransport: Object.fromEntries(
      [...byTransport].map((
        [t, l],
      ) => [t, { p50: percentile(l.all, 50), p99: percentile(l.all, 99) }]),
    ),
    rss,
    garbage,
    noise,
    udpDrops,
    log: Object.fromEntries(server.counts),
    failures,
  };
  failures.push(...server.failures(alive, status), ...heardFailures(delivery));
  if (delivery.dropped.length > 0) {
    failures.push(`healthy members dropped: ${delivery.dropped.join("; ")}`);
  }
  if (rss.max > options.rssLimitMiB) {
    failures.push(
      `server RSS reached ${rss.max.toFixed(0)} MiB > ${options.rssLimitMiB}`,
    );
  }
  // A fatal error can be lost to a reset (the server closes with the
  // client's garbage still arriving, and the client reads too late): those
  // count as cut when the server logged at least as many such cuts as the
  // clients saw plus lost.
  reconcile(
    garbage,
    server,
    ["ws-text", "ws-binary"],
    ["TOO_MANY_ERRORS"],
    "ws",
  );
  reconcile(garbage, server, ["stream-bytes"], GARBAGE["stream-bytes"]);
  reconcile(
    garbage,
    server,
    ["stream-frames", "text-lines", "udp-session"],
    ["TOO_MANY_ERRORS", "JOIN_TIMEOUT"],
  );
  for (const [kind, s] of Object.entries(garbage)) {
    const wrong = Object.entries(s.wrong);
    if (wrong.length > 0) {
      failures.push(
        `${kind}: not cut as documented: ${JSON.stringify(s.wrong)}`,
      );
    }
    if (s.connections === 0) failures.push(`${kind}: no connection made`);
  }
  return result;
}

/**
 * Count garbage connections that ended without the client reading its
 * fatal error (`closed`, `reset`) as cut, when the server's log shows
 * enough cuts with those codes for them.
 */
function reconcile(
  garbage: Record<string, GarbageStats>,
  server: LiveServer,
  kinds: readonly string[],
  codes: readonly string[],
  transport?: string,
): void {
  let logged = 0;
  for (const code of codes) {
    logged += transport
      ? server.count(`error:${transport}:${code}`)
      : server.count(`error:${code}`) - server.count(`error:ws:${code}`);
  }
  let seen = 0, lost = 0;
  for (const k of kinds) {
    const s = garbage[k];
    if (s === undefined) continue;
    for (const code of codes) seen += s.cut[code] ?? 0;
    lost += (s.wrong["closed"] ?? 0) + (s.wrong["reset"] ?? 0);
  }
  if (lost === 0 || seen + lost > logged) return;
  for (const k of kinds) {
    const s = garbage[k];
    if (s === undefined) continue;
    const n = (s.wrong["closed"] ?? 0) + (s.wrong["reset"] ?? 0);
    delete s.wrong["closed"];
    delete s.wrong["reset"];
    if (n > 0) s.cut["cut, the error lost to a reset (server log)"] = n;
  }
}
