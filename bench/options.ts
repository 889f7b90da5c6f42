/**
 * The bench's command line (`deno task bench --help`): workloads, targets,
 * load and outputs, parsed by commander.
 *
 * @module
 */

import {
  Command,
  InvalidArgumentError,
} from "npm:@commander-js/extra-typings@14";
import { numberArg, wholeArg } from "./number_arg.ts";
import { PEERS } from "./peers.ts";

/** The workloads: throughput, latency, memory. */
export const WORKLOADS = ["w1", "w2", "w3"] as const;
/** One of {@link WORKLOADS}. */
export type Workload = typeof WORKLOADS[number];
const TRANSPORTS = [
  "tcp",
  "unix",
  "udp",
  "ws",
  "ws-json",
  "ws-batch",
  "ws-binary",
  "2node",
  "serverless",
] as const;

function list<T extends string>(allowed: readonly T[]) {
  return (value: string): T[] => {
    const out: T[] = [];
    for (const v of value.split(",").map((s) => s.trim()).filter(Boolean)) {
      if (!(allowed as readonly string[]).includes(v)) {
        throw new InvalidArgumentError(
          `"${v}" is not one of ${allowed.join(", ")}`,
        );
      }
      if (!out.includes(v as T)) out.push(v as T);
    }
    return out;
  };
}

function ints(value: string): number[] {
  return value.split(",").map((s) => wholeArg(2)(s.trim()));
}

function counts(value: string): number[] {
  return value.split(",").map((s) => wholeArg(1)(s.trim()));
}

/** The bench's command line. */
export const program = new Command()
  .name("bench")
  .description(
    "Measure roomcast's fan-out throughput (W1), latency (W2) and memory per member (W3),\n" +
      "and with --vs the same load against redis-server, nats-server and inspircd.\n" +
      "The server runs as its own process with the per-member rate limit off (--rate 0),\n" +
      "because the peers have none. The load generator is bench/loadgen.c (built with gcc).",
  )
  .option(
    "--workloads <list>",
    "w1 (throughput), w2 (latency), w3 (memory)",
    list(WORKLOADS),
    [...WORKLOADS],
  )
  .option(
    "--transport <list>",
    "roomcast transports to measure: tcp, unix, udp (datagrams; --udp-rate 0 as well), " +
      "ws (the WebSocket of the HTTP transport, GET /api/ws, once per subprotocol: " +
      "ws-json one JSON object per message, ws-batch a JSON array per message, " +
      "ws-binary binary frames; each can be named alone), 2node (two nodes sharing rooms " +
      "through redis-server, over TCP), serverless (the WebSocket of `deno serve --parallel` " +
      "with --workers isolates, binary subprotocol); udp, ws and serverless only when asked, as W3 " +
      "(10,000 members) over them is not yet part of the measured default",
    list(TRANSPORTS),
    ["tcp", "unix", "2node"] as (typeof TRANSPORTS[number])[],
  )
  .option(
    "--vs <list>",
    `peers to compare with (${PEERS.join(", ")})`,
    list(PEERS),
    [] as string[],
  )
  .option(
    "--workers <list>",
    "roomcast with N Workers (serve --workers N), each N of the list a target " +
      "(roomcast-wN; 1 is the single-thread server); serverless: N isolates",
    counts,
    [1],
  )
  .option("--members <list>", "W1 room sizes", ints, [100, 1000])
  .option("--latency-members <n>", "W2 room size", wholeArg(2), 100)
  .option("--memory-members <n>", "W3 members connected", wholeArg(2), 10000)
  .option(
    "--memory-room-size <n>",
    "W3 members per room (rooms of this size, so joins do not fan out 10,000-fold)",
    wholeArg(1),
    100,
  )
  .option(
    "--memory-settle <s>",
    "W3 seconds idle before each memory reading (with half the members in, and all): longer lets a garbage-collected server shed what the joins left",
    wholeArg(1),
    2,
  )
  .option("--senders <n>", "members that send, W1 and W2", wholeArg(1), 4)
  .option("--size <bytes>", "message text size", wholeArg(27), 64)
  .option(
    "--window <n>",
    "W1 messages in flight, all senders",
    wholeArg(1),
    1000,
  )
  .option(
    "--rate <n>",
    "W2 messages per second, all senders",
    wholeArg(1),
    1000,
  )
  .option("--warmup <s>", "seconds before measuring", numberArg(0), 2)
  .option("--duration <s>", "seconds measured", numberArg(0.1), 10)
  .option(
    "--drain <s>",
    "most seconds to wait for stragglers",
    numberArg(0),
    5,
  )
  .option("--threads <n>", "load generator threads", wholeArg(1), 1)
  .option(
    "--server-dir <dir>",
    "roomcast checkout whose cli.ts is measured (default: this one)",
  )
  .option(
    "--server-flags <flags>",
    'extra `deno run` flags for roomcast, such as "--v8-flags=--max-semi-space-size=4"',
  )
  .option(
    "--baseline <dir>",
    "also measure the roomcast checkout in DIR, as roomcast-baseline (before/after)",
  )
  .option("--runs <n>", "repetitions (medians and spread)", wholeArg(1), 1)
  .option("--json <file>", "write every figure as JSON")
  .option(
    "--html <file>",
    "write the HTML report here",
    new URL("./out/report.html", import.meta.url).pathname,
  )
  .option("--markdown <file>", "write the figures as Markdown tables")
  .option(
    "--render <json>",
    "measure nothing: print and write (--html, --markdown) the report in a JSON file from --json",
  )
  .option("--quiet", "no progress lines")
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });
