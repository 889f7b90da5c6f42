/**
 * Garbage senders in a worker of their own (bench/garbage.ts), so that
 * making garbage does not hold up the healthy members' event loop, whose
 * latency a run measures. The parent posts a {@link GarbageJob}; the worker
 * answers with the stats of each kind and the UDP noise sent.
 *
 * @module
 */

import {
  GARBAGE,
  type GarbageKind,
  type GarbageStats,
  type GarbageTargets,
  sendGarbage,
} from "./garbage.ts";
import { udpNoise } from "./garbage_udp.ts";
import { Prng } from "./prng.ts";

/** What the parent asks for. */
export interface GarbageJob {
  targets: GarbageTargets;
  seed: number;
  /** Garbage connections at once, spread over the kinds. */
  connections: number;
  /** UDP noise sockets. */
  noise: number;
  /** How long, in ms. */
  durationMs: number;
}

/** What the worker answers. */
export interface GarbageDone {
  garbage: Record<string, GarbageStats>;
  noise: number;
}

/**
 * Run a job here (in a worker, or in the calling thread).
 *
 * @param job What to send.
 * @returns The stats.
 */
export async function runGarbage(job: GarbageJob): Promise<GarbageDone> {
  const rng = new Prng(job.seed);
  const deadline = performance.now() + job.durationMs;
  const kinds = Object.keys(GARBAGE) as GarbageKind[];
  const garbage: Record<string, GarbageStats> = {};
  for (const k of kinds) {
    garbage[k] = { connections: 0, cut: {}, wrong: {}, unanswered: 0 };
  }
  let noise = 0;
  await Promise.all([
    ...Array.from({ length: job.connections }, (_, i) => {
      const kind = kinds[i % kinds.length]!;
      return sendGarbage(
        kind,
        job.targets,
        rng.fork(),
        deadline,
        garbage[kind]!,
      );
    }),
    ...Array.from(
      { length: job.noise },
      () =>
        udpNoise(job.targets.udp, rng.fork(), deadline).then((n) => noise += n),
    ),
  ]);
  return { garbage, noise };
}

/**
 * Run a job in a new worker.
 *
 * @param job What to send.
 * @returns The stats, once the worker is done.
 */
export function runGarbageWorker(job: GarbageJob): Promise<GarbageDone> {
  const worker = new Worker(import.meta.url, { type: "module" });
  return new Promise<GarbageDone>((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data as GarbageDone);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`Cannot send garbage: ${e.message}`));
    };
    worker.postMessage(job);
  }).finally(() => worker.terminate());
}

// In a worker: take one job, answer, and wait to be terminated.
if ("WorkerGlobalScope" in globalThis) {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<GarbageJob>) => void) | null;
    postMessage(data: GarbageDone): void;
  };
  scope.onmessage = async (e) => {
    scope.postMessage(await runGarbage(e.data));
  };
}
