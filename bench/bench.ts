// deno-lint-ignore-file no-console
/**
 * `deno task bench`: fan-out throughput (W1), latency (W2) and memory per
 * member (W3) of roomcast, and with `--vs redis,nats,irc` of the peers, on
 * the same load from the same C load generator, in the same run. Prints a
 * table, and writes JSON (`--json`) and a self-contained HTML report.
 * Run `deno run -A bench/bench.ts --help`.
 *
 * @module
 */

import { CommanderError } from "npm:@commander-js/extra-typings@14";
import { buildLoadgen, runLoadgen } from "./loadgen.ts";
import { ensurePeer, ircTarget, natsTarget, redisTarget } from "./peers.ts";
import { program, type Workload } from "./options.ts";
import {
  roomcastClusterTarget,
  type RoomcastOptions,
  roomcastServerlessTarget,
  roomcastTarget,
  type RoomcastTransport,
  WS_TRANSPORTS,
} from "./roomcast.ts";
import { settledRss, type Target } from "./servers.ts";
import { ratios, type Report, type RunRecord, summarize } from "./summary.ts";
import { goals } from "./goals.ts";
import { printTable } from "./table.ts";
import { machineInfo } from "./machine.ts";
import { writeReport } from "./report.ts";
import { renderMarkdown } from "./markdown.ts";

async function main(): Promise<number> {
  try {
    program.parse(Deno.args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  const o = program.opts();
  const log = (line: string) => {
    if (!o.quiet) console.error(`bench: ${line}`);
  };
  if (o.render) {
    const report = JSON.parse(await Deno.readTextFile(o.render)) as Report;
    // Figures are recomputed from the raw runs (kept in every JSON).
    report.summary = summarize(report.runs);
    report.ratios = ratios(report.summary, report.runs);
    report.goals = goals(report.summary, report.ratios);
    if (o.json) {
      await Deno.writeTextFile(o.json, JSON.stringify(report, null, 2) + "\n");
      log(`wrote ${o.json}`);
    }
    await output(report, o, log);
    return 0;
  }
  const started = new Date();
  const bin = await buildLoadgen();

  const errors: string[] = [];
  const fail = (message: string) => {
    errors.push(message);
    log(message);
  };
  const denoFlags = o.serverFlags?.split(/\s+/).filter(Boolean) ?? [];
  const ours: RoomcastOptions[] = [{
    ...(o.serverDir ? { dir: o.serverDir } : {}),
    denoFlags,
  }];
  if (o.baseline) {
    ours.push({ dir: o.baseline, label: "roomcast-baseline", denoFlags });
  }
  // `ws` is every WebSocket subprotocol.
  const single = [
    ...new Set(
      o.transport.flatMap((t) => t === "ws" ? [...WS_TRANSPORTS] : [t]),
    ),
  ].filter((t) => t !== "2node" && t !== "serverless") as RoomcastTransport[];
  // The peers speak TCP and Unix sockets only: udp and ws compare with tcp.
  const streams = single.filter((t) => t === "tcp" || t === "unix");
  if (streams.length === 0) streams.push("tcp");
  const targets: Target[] = [];
  for (const options of ours) {
    for (const workers of o.workers) {
      for (const t of single) {
        targets.push(roomcastTarget(t, { ...options, workers }));
      }
    }
    if (o.transport.includes("serverless")) {
      for (const isolates of o.workers) {
        targets.push(roomcastServerlessTarget(isolates, options));
      }
    }
    if (o.transport.includes("2node")) {
      try {
        const redis = redisTarget(await ensurePeer("redis", log), "tcp");
        targets.push(roomcastClusterTarget(redis, options));
      } catch (e) {
        fail(`Cannot measure 2 nodes: ${(e as Error).message}`);
      }
    }
  }
  for (const peer of o.vs) {
    try {
      const path = await ensurePeer(peer, log);
      if (peer === "redis") {
        for (const t of streams) targets.push(redisTarget(path, t));
      } else if (peer === "nats") targets.push(natsTarget(path));
      else if (peer === "irc") targets.push(ircTarget(path));
    } catch (e) {
      fail((e as Error).message);
    }
  }

  const plan: { workload: Workload; members: number }[] = [];
  for (const w of o.workloads) {
    if (w === "w1") {
      for (const m of o.members) plan.push({ workload: w, members: m });
    } else if (w === "w2") {
      plan.push({ workload: w, members: o.latencyMembers });
    } else plan.push({ workload: w, members: o.memoryMembers });
  }
  for (const p of plan) {
    if (p.workload !== "w3" && p.members <= o.senders) {
      console.error(
        `error: a room of ${p.members} needs more members than --senders ${o.senders}`,
      );
      return 2;
    }
  }

  log(
    `rate limit off (--rate 0) in the measured server: the peers have none`,
  );
  const runs: RunRecord[] = [];
  for (let run = 1; run <= o.runs; run++) {
    for (const p of plan) {
      for (const target of targets) {
        const label = `${target.name} ${p.workload} S=${p.members}` +
          (o.runs > 1 ? ` run ${run}/${o.runs}` : "");
        log(label);
        let server;
        try {
          server = await target.start();
        } catch (e) {
          fail(`${label}: ${(e as Error).message}`);
          continue;
        }
        try {
          if (p.workload === "w3") await settledRss(server.pids);
          const r = await runLoadgen(bin, {
            proto: target.proto,
            addrs: server.addrs,
            pids: server.pids,
            workload: p.workload,
            members: p.members,
            senders: o.senders,
            size: o.size,
            warmup: o.warmup,
            duration: o.duration,
            drain: o.drain,
            window: o.window,
            rate: o.rate,
            threads: o.threads,
            ...(p.workload === "w3"
              ? { roomSize: o.memoryRoomSize, settle: o.memorySettle }
              : {}),
            ...(target.loadgenArgs ? { extraArgs: target.loadgenArgs } : {}),
          });
          if (r.warnings) log(`${label}: ${r.warnings}`);
          runs.push({
            ...r,
            target: target.name,
            transport: target.transport,
            ...(target.peer ? { peer: target.peer } : {}),
            run,
          });
        } catch (e) {
          fail(`${label}: ${(e as Error).message}`);
        } finally {
          await server.stop();
        }
      }
    }
  }

  const summary = summarize(runs);
  const ratioList = ratios(summary, runs);
  const report: Report = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    machine: await machineInfo(targets),
    options: {
      workloads: o.workloads,
      transports: o.transport,
      vs: o.vs,
      members: o.members,
      latencyMembers: o.latencyMembers,
      memoryMembers: o.memoryMembers,
      memoryRoomSize: o.memoryRoomSize,
      memorySettle: o.memorySettle,
      senders: o.senders,
      size: o.size,
      window: o.window,
      rate: o.rate,
      warmup: o.warmup,
      duration: o.duration,
      drain: o.drain,
      threads: o.threads,
      workers: o.workers,
      runs: o.runs,
      serverRateLimit: "off (--rate 0): the peers have none",
      serverFlags: denoFlags.join(" "),
    },
    summary,
    ratios: ratioList,
    goals: goals(summary, ratioList),
    errors,
    runs,
  };
  if (o.json) {
    await Deno.writeTextFile(o.json, JSON.stringify(report, null, 2) + "\n");
    log(`wrote ${o.json}`);
  }
  await output(report, o, log);
  return errors.length > 0 ? 1 : 0;
}

async function output(
  report: Report,
  o: { html?: string; markdown?: string },
  log: (line: string) => void,
): Promise<void> {
  printTable(report);
  if (o.html) {
    await writeReport(o.html, report);
    log(`wrote ${o.html}`);
  }
  if (o.markdown) {
    await Deno.writeTextFile(o.markdown, renderMarkdown(report));
    log(`wrote ${o.markdown}`);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  }
}
