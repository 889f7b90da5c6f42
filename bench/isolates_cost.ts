// deno-lint-ignore-file no-console
/**
 * What crossing isolates costs per event (docs/performance.md, "Isolates"):
 * one Worker answers pings and counts messages, over a BroadcastChannel
 * (what the isolates backplane uses) and over the Worker's own port
 * (`postMessage`) for comparison. Prints the one-way latency of a message
 * (half a round trip), the cost of a message of one 90-byte frame and of a
 * batch of 64 frames (what one event-loop turn of a busy room sends), and
 * the receiving side's cost to split and decode a frame into an event.
 * Run: `deno run -A bench/isolates_cost.ts [messages]`.
 *
 * @module
 */

import { roomEventOf, splitFrames } from "../adapters/isolates/frames.ts";
import { encodeFrame } from "../core/codec/mod.ts";

const MESSAGES = Number(Deno.args[0] ?? 20000);
const FRAME = encodeFrame({
  type: "message",
  room: "lobby",
  from: "sender-1",
  text: "x".repeat(64),
});
const BATCH = new Uint8Array(FRAME.length * 64);
for (let i = 0; i < 64; i++) BATCH.set(FRAME, i * FRAME.length);

type Side = {
  post(m: unknown): void;
  next(): Promise<{ k: string; bytes?: number }>;
};

function sideOf(
  target: { postMessage(m: unknown): void; onmessage: unknown },
): Side {
  const waiting: ((m: { k: string }) => void)[] = [];
  (target as { onmessage: (e: MessageEvent) => void }).onmessage = (e) =>
    waiting.shift()?.(e.data);
  return {
    post: (m) => target.postMessage(m),
    next: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

async function latency(side: Side, rounds: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    side.post({ k: "ping" });
    await side.next();
  }
  const t = performance.now();
  for (let i = 0; i < rounds; i++) {
    side.post({ k: "ping" });
    await side.next();
  }
  return (performance.now() - t) * 1000 / rounds / 2;
}

async function throughput(side: Side, b: Uint8Array, n: number) {
  const t = performance.now();
  // Bursts of 64 messages, each answered before the next: Deno's
  // BroadcastChannel drops the oldest messages for a receiver 256 behind,
  // so a sender must not run further ahead than that.
  for (let i = 0; i < n; i += 64) {
    const burst = Math.min(64, n - i);
    for (let j = 0; j < burst; j++) side.post({ k: "load", b, n: burst });
    const done = await side.next();
    if (done.bytes !== b.length * burst) throw new Error("messages lost");
  }
  return (performance.now() - t) * 1000 / n;
}

const worker = new Worker(
  new URL("./isolates_cost_worker.ts", import.meta.url),
  { type: "module" },
);
const channel = new BroadcastChannel("isolates-cost");
await new Promise((r) => setTimeout(r, 300));
const results: Record<string, unknown> = {};
for (
  const [name, side] of [
    ["BroadcastChannel", sideOf(channel as never)],
    ["Worker postMessage", sideOf(worker as never)],
  ] as const
) {
  const oneWay = await latency(side, 2000);
  const single = await throughput(side, FRAME, MESSAGES);
  const batch = await throughput(side, BATCH, MESSAGES / 10);
  results[name] = {
    "one-way latency µs": +oneWay.toFixed(1),
    "µs per message of 1 frame": +single.toFixed(2),
    "µs per message of 64 frames": +batch.toFixed(2),
    "ns per event in batches of 64": +(batch * 1000 / 64).toFixed(0),
  };
}
const decodeRounds = 200_000;
const t = performance.now();
for (let i = 0; i < decodeRounds / 64; i++) {
  for (const f of splitFrames(BATCH)) roomEventOf(f);
}
results["split and decode, ns per event"] = +(
  (performance.now() - t) * 1e6 / decodeRounds
).toFixed(0);
console.log(JSON.stringify(results, null, 2));
channel.postMessage({ k: "close" });
channel.close();
worker.terminate();
