// deno-lint-ignore-file no-console
/**
 * `deno task soak`: a live server with 1,000 members for 10 minutes (both
 * flags), 10% of them misbehaving (slow readers, floods over the rate
 * limit, garbage, abrupt disconnects, reconnect storms, slowloris:
 * bench/misbehave.ts, in a worker). The healthy members (bench/healthy.ts)
 * are spread over TCP, Unix sockets, UDP and WebSocket and over the rooms,
 * and say numbered, time-stamped messages. The run reports lost messages
 * for healthy members (must be 0), their p99 latency per window (each must
 * stay under `--p99-limit`), the server's RSS over time (under
 * `--rss-limit`), and cut-offs by reason from the server's log, as JSON and
 * as an HTML page with SVG charts. Exits 1 when an invariant broke.
 * docs/reliability.md has the method and the latest figures.
 *
 * @module
 */

import { Command } from "npm:@commander-js/extra-typings@14";
import {
  HEALTHY_PREFIX,
  HealthyMember,
  heardFailures,
  Latencies,
  percentile,
  settle,
  tallyDelivery,
} from "./healthy.ts";
import { LiveServer } from "./live_server.ts";
import { machineLine } from "./machine.ts";
import { runMisbehaveWorker } from "./misbehave_worker.ts";
import { numberArg, wholeArg } from "./number_arg.ts";
import { Prng } from "./prng.ts";
import { renderSoakReport, type SoakReport } from "./soak_report.ts";

/** Options of {@link runSoak}. */
export interface SoakOptions {
  seed: number;
  /** Members in all. */
  members: number;
  /** Seconds of load. */
  durationS: number;
  /** Share of misbehaving members, in percent. */
  misbehavingPct: number;
  /** Rooms. */
  rooms: number;
  /** Messages per second per healthy member. */
  rate: number;
  /** Width of a latency window, in s. */
  windowS: number;
  /** Most p99 allowed in any window, in ms. */
  p99LimitMs: number;
  /** Most server RSS allowed, in MiB. */
  rssLimitMiB: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run a soak.
 *
 * @param o Sizes and bounds.
 * @param print Progress lines.
 * @returns The report; `failures` is empty when every invariant held.
 */
export async function runSoak(
  o: SoakOptions,
  print: (line: string) => void = () => {},
): Promise<SoakReport> {
  const rng = new Prng(o.seed);
  // Slow readers must fill their buffer within the run: 64 KiB.
  const server = await LiveServer.start([
    "--outbound-bytes",
    "65536",
    "--http-request-timeout",
    "5",
  ]);
  const urls = server.urls;
  const misbehaving = Math.round(o.members * o.misbehavingPct / 100);
  const healthyCount = o.members - misbehaving;
  const rooms = Array.from({ length: o.rooms }, (_, i) => `room${i}`);
  const origin = performance.now();
  const latencies = new Latencies(origin, o.windowS);
  const transports = [urls.tcp, urls.unix, urls.udp, urls.ws];
  const members = Array.from(
    { length: healthyCount },
    (_, i) =>
      new HealthyMember(
        `${HEALTHY_PREFIX}${i}`,
        transports[i % transports.length]!,
        rooms[i % rooms.length]!,
        latencies,
      ),
  );
  const failures: string[] = [];
  const rss: { t: number; mib: number }[] = [];
  const sample = () => {
    const mib = server.rssMiB();
    if (mib !== undefined) {
      rss.push({ t: (performance.now() - origin) / 1000, mib });
    }
  };
  sample();
  const sampler = setInterval(sample, 2000);
  let misbehavers: SoakReport["misbehavers"] = {};
  const startedAt = new Date().toISOString();
  try {
    // Join fifty at a time.
    for (let i = 0; i < members.length; i += 50) {
      await Promise.all(members.slice(i, i + 50).map((m) => m.join()));
    }
    print(`${members.length} healthy members joined ${o.rooms} rooms`);
    const deadline = performance.now() + o.durationS * 1000;
    const misbehaving$ = runMisbehaveWorker({
      targets: urls,
      rooms,
      seed: rng.u32(),
      members: misbehaving,
      durationMs: o.durationS * 1000,
    }).then((s) => misbehavers = s);
    const every = 1000 / o.rate;
    const talking = members.map(async (m) => {
      await sleep(rng.int(every));
      while (performance.now() < deadline) {
        m.say();
        await sleep(every);
      }
    });
    const progress = setInterval(() => {
      const d = tallyDelivery(members);
      const t = ((performance.now() - origin) / 1000).toFixed(0);
      print(
        `${t} s: ${d.received} heard, RSS ${
          rss.at(-1)?.mib.toFixed(0)
        } MiB, p99 ${
          percentile(latencies.all.slice(-5000), 99).toFixed(0)
        } ms (last samples)`,
      );
    }, 30_000);
    await Promise.all([...talking, misbehaving$]);
    clearInterval(progress);
    await settle(members, 15_000, 200);
    for (let i = 0; i < members.length; i += 100) {
      await Promise.all(members.slice(i, i + 100).map((m) => m.leave()));
    }
  } catch (e) {
    failures.push(`run: ${e instanceof Error ? e.message : e}`);
  } finally {
    clearInterval(sampler);
  }
  sample();
  const alive = server.alive;
  const status = await server.stop();
  const delivery = tallyDelivery(members);
  const p99 = [...latencies.windows].sort((a, b) => a[0] - b[0]).map((
    [t, list],
  ) => ({ t, p99: percentile(list, 99), n: list.length }));
  const cuts: Record<string, number> = {};
  for (const [k, v] of server.counts) {
    if (
      /^(error:|http_timeout:)/.test(k) && !/^error:[a-z]+:/.test(k) ||
      /^disconnect:(slow_consumer|timeout)$/.test(k)
    ) cuts[k] = v;
  }
  failures.push(...server.failures(alive, status), ...heardFailures(delivery));
  if (delivery.dropped.length > 0) {
    failures.push(
      `${delivery.dropped.length} healthy members dropped: ${
        delivery.dropped.slice(0, 5).join("; ")
      }`,
    );
  }
  const over = p99.filter((w) => w.p99 > o.p99LimitMs);
  if (over.length > 0) {
    failures.push(
      `healthy p99 over ${o.p99LimitMs} ms in ${over.length} of ${p99.length} windows (worst ${
        Math.max(...over.map((w) => w.p99)).toFixed(0)
      } ms)`,
    );
  }
  const rssMax = Math.max(0, ...rss.map((s) => s.mib));
  if (rssMax > o.rssLimitMiB) {
    failures.push(
      `server RSS reached ${rssMax.toFixed(0)} MiB > ${o.rssLimitMiB}`,
    );
  }
  return {
    seed: o.seed,
    options: { ...o },
    machine: `${await machineLine()}; load average at the end ${
      Deno.loadavg().map((l) => l.toFixed(1)).join(" ")
    }`,
    startedAt,
    durationS: o.durationS,
    healthy: healthyCount,
    misbehaving,
    delivery,
    latency: latencies.summary(),
    p99,
    rss,
    cuts,
    misbehavers,
    survived: alive && status.code === 0,
    failures,
  };
}

if (import.meta.main) {
  const o = new Command()
    .name("soak")
    .description(
      "Members for a while, some misbehaving; report losses, p99 and RSS over time, cut-offs.",
    )
    .option(
      "--seed <n>",
      "seed (default: random; printed)",
      wholeArg(0, "seed"),
    )
    .option("--members <n>", "members in all", wholeArg(10, "members"), 1000)
    .option("--duration <s>", "seconds of load", wholeArg(5, "duration"), 600)
    .option(
      "--misbehaving <pct>",
      "share of misbehaving members, %",
      numberArg(0, "misbehaving"),
      10,
    )
    .option("--rooms <n>", "rooms", wholeArg(1, "rooms"), 20)
    .option(
      "--rate <n>",
      "messages per second per healthy member",
      numberArg(0.01, "rate"),
      0.2,
    )
    .option("--window <s>", "latency window", wholeArg(1, "window"), 10)
    .option(
      "--p99-limit <ms>",
      "most healthy p99 allowed in a window",
      wholeArg(1, "p99-limit"),
      5000,
    )
    .option(
      "--rss-limit <MiB>",
      "most server memory allowed",
      wholeArg(1, "rss-limit"),
      1024,
    )
    .option("--report <file>", "HTML report", "bench/results/soak.html")
    .option("--json <file>", "JSON report")
    .parse().opts();
  const seed = o.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  console.log(`seed ${seed} (replay: deno task soak --seed ${seed})`);
  const options: SoakOptions = {
    seed,
    members: o.members,
    durationS: o.duration,
    misbehavingPct: o.misbehaving,
    rooms: o.rooms,
    rate: o.rate,
    windowS: o.window,
    p99LimitMs: o.p99Limit,
    rssLimitMiB: o.rssLimit,
  };
  const report = await runSoak(options, (line) => console.log(line));
  const d = report.delivery;
  console.log(
    `healthy: ${d.received}/${d.expected} heard, ${d.lost} lost, ${d.duplicates} duplicated, ${d.reordered} out of order, ${d.dropped.length} dropped; p50 ${
      report.latency.p50.toFixed(1)
    } ms, p99 ${report.latency.p99.toFixed(1)} ms; worst window p99 ${
      Math.max(0, ...report.p99.map((w) => w.p99)).toFixed(0)
    } ms`,
  );
  const mibs = report.rss.map((s) => s.mib);
  console.log(
    `server: ${report.survived ? "up to the end" : "DIED"}; RSS ${
      mibs[0]?.toFixed(0)
    } -> max ${Math.max(0, ...mibs).toFixed(0)} -> ${
      mibs.at(-1)?.toFixed(0)
    } MiB`,
  );
  console.log(`cut-offs: ${JSON.stringify(report.cuts)}`);
  await Deno.mkdir(new URL(".", `file://${Deno.cwd()}/${o.report}`), {
    recursive: true,
  }).catch(() => {});
  await Deno.writeTextFile(
    o.report,
    renderSoakReport(report, {
      p99Ms: o.p99Limit,
      rssMiB: o.rssLimit,
    }),
  );
  console.log(`report: ${o.report}`);
  if (o.json) await Deno.writeTextFile(o.json, JSON.stringify(report, null, 2));
  if (report.failures.length > 0) {
    console.log(`FAILED (seed ${seed}):`);
    for (const f of report.failures) console.log(`  ${f}`);
    Deno.exit(1);
  }
  console.log("ok: every invariant held");
}
