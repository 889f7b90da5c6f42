// deno-lint-ignore-file no-console
/**
 * `deno task fuzz`: the decoders (binary stream, text mode, UDP datagrams:
 * bench/fuzz_stream.ts, fuzz_text.ts, fuzz_datagrams.ts) fed at least a
 * million random and mutated frames each, then a live server fed garbage
 * from many connections while healthy members chat (bench/fuzz_live.ts).
 * Prints the seed first (`--seed` replays a run), a report at the end, and exits 1
 * when an invariant broke. docs/reliability.md has the method and the
 * latest figures. Run `deno run -A bench/fuzz.ts --help`.
 *
 * @module
 */

import { Command } from "npm:@commander-js/extra-typings@14";
import type { DecoderResult } from "./fuzz_decoders.ts";
import { fuzzDatagrams } from "./fuzz_datagrams.ts";
import { fuzzStreamDecoder } from "./fuzz_stream.ts";
import { fuzzTextMode } from "./fuzz_text.ts";
import { fuzzLive, type LiveOptions, type LiveResult } from "./fuzz_live.ts";
import { wholeArg } from "./number_arg.ts";
import { Prng } from "./prng.ts";

/** Options of {@link runFuzz}. */
export interface FuzzOptions extends LiveOptions {
  /** The seed. */
  seed: number;
  /** Frames fed to each decoder. */
  frames: number;
  /** Skip the live part. */
  decodersOnly?: boolean;
}

/** What a fuzz run found. */
export interface FuzzReport {
  seed: number;
  decoders: DecoderResult[];
  live: LiveResult | undefined;
  failures: string[];
}

/**
 * Run the fuzzers.
 *
 * @param options Seed and sizes.
 * @param print Where progress lines go.
 * @returns The report; `failures` is empty when every invariant held.
 */
export async function runFuzz(
  options: FuzzOptions,
  print: (line: string) => void = () => {},
): Promise<FuzzReport> {
  const rng = new Prng(options.seed);
  const report: FuzzReport = {
    seed: options.seed,
    decoders: [],
    live: undefined,
    failures: [],
  };
  for (const fuzz of [fuzzStreamDecoder, fuzzTextMode, fuzzDatagrams]) {
    try {
      const r = fuzz(rng.fork(), options.frames);
      report.decoders.push(r);
      print(
        `${r.target.padEnd(8)} ${r.frames} frames, ${
          (r.bytes / 1e6).toFixed(1)
        } MB, ${r.decoded} decoded, ${r.refused} refused, ${
          Math.round(r.frames / r.ms * 1000)
        } frames/s`,
      );
    } catch (e) {
      report.failures.push(e instanceof Error ? e.message : String(e));
      print(`decoder failure: ${e instanceof Error ? e.stack : e}`);
    }
  }
  if (!options.decodersOnly) {
    print(
      `live: ${options.durationS} s, ${options.garbage} garbage connections, ${options.members} healthy members`,
    );
    const live = await fuzzLive(rng.fork(), options);
    report.live = live;
    report.failures.push(...live.failures);
    const d = live.delivery;
    print(
      `healthy: ${d.received}/${d.expected} heard, ${d.lost} lost, ${d.duplicates} duplicated, ${d.reordered} out of order; p50 ${
        live.latency.p50.toFixed(1)
      } ms, p99 ${live.latency.p99.toFixed(1)} ms`,
    );
    print(
      `server: ${live.survived ? "up to the end" : "DIED"}; RSS ${
        live.rss.start.toFixed(0)
      } -> max ${live.rss.max.toFixed(0)} -> ${live.rss.end.toFixed(0)} MiB`,
    );
    for (const [kind, s] of Object.entries(live.garbage)) {
      print(
        `garbage ${kind.padEnd(13)} ${s.connections} connections, cut ${
          JSON.stringify(s.cut)
        }${
          Object.keys(s.wrong).length
            ? `, WRONG ${JSON.stringify(s.wrong)}`
            : ""
        }`,
      );
    }
    print(
      `udp noise: ${live.noise} datagrams; dropped by the kernel at the server's socket: ${
        live.udpDrops ?? "?"
      }`,
    );
  }
  return report;
}

if (import.meta.main) {
  const o = new Command()
    .name("fuzz")
    .description(
      "Fuzz the decoders, then a live server with garbage while healthy members chat.",
    )
    .option(
      "--seed <n>",
      "seed (default: random; printed)",
      wholeArg(0, "seed"),
    )
    .option(
      "--frames <n>",
      "frames fed to each decoder",
      wholeArg(1, "frames"),
      1_000_000,
    )
    .option(
      "--duration <s>",
      "seconds of garbage against the live server",
      wholeArg(1, "duration"),
      60,
    )
    .option(
      "--garbage <n>",
      "garbage connections at once",
      wholeArg(6, "garbage"),
      36,
    )
    .option("--members <n>", "healthy members", wholeArg(2, "members"), 8)
    .option(
      "--rate <n>",
      "messages per second per healthy member",
      wholeArg(1, "rate"),
      10,
    )
    .option(
      "--rss-limit <MiB>",
      "most server memory allowed",
      wholeArg(1, "rss-limit"),
      512,
    )
    .option("--decoders-only", "skip the live server")
    .option("--json <file>", "write the report as JSON")
    .parse().opts();
  const seed = o.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  console.log(`seed ${seed} (replay: deno task fuzz --seed ${seed})`);
  const report = await runFuzz({
    seed,
    frames: o.frames,
    durationS: o.duration,
    garbage: o.garbage,
    members: o.members,
    rate: o.rate,
    rssLimitMiB: o.rssLimit,
    decodersOnly: o.decodersOnly ?? false,
  }, (line) => console.log(line));
  if (o.json) await Deno.writeTextFile(o.json, JSON.stringify(report, null, 2));
  if (report.failures.length > 0) {
    console.log(`FAILED (seed ${seed}):`);
    for (const f of report.failures) console.log(`  ${f}`);
    Deno.exit(1);
  }
  console.log("ok: every invariant held");
}
