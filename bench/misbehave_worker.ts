/**
 * Misbehaving members (bench/misbehave.ts) in a worker of their own, so
 * that they do not hold up the healthy members' event loop, whose latency
 * the soak measures. The parent posts a {@link MisbehaveJob}; the worker
 * answers with the stats of each kind.
 *
 * @module
 */

import {
  misbehave,
  type MisbehaveStats,
  type MisbehaveTargets,
  MISBEHAVIOURS,
} from "./misbehave.ts";
import { Prng } from "./prng.ts";

/** What the parent asks for. */
export interface MisbehaveJob {
  targets: MisbehaveTargets;
  rooms: string[];
  seed: number;
  /** Misbehaving members, spread over the kinds. */
  members: number;
  /** How long, in ms. */
  durationMs: number;
}

/**
 * Run a job here.
 *
 * @param job What to do.
 * @returns Stats by kind.
 */
export async function runMisbehave(
  job: MisbehaveJob,
): Promise<Record<string, MisbehaveStats>> {
  const rng = new Prng(job.seed);
  const deadline = performance.now() + job.durationMs;
  const stats: Record<string, MisbehaveStats> = {};
  for (const k of MISBEHAVIOURS) stats[k] = { connections: 0, ends: {} };
  await Promise.all(Array.from({ length: job.members }, async (_, i) => {
    const kind = MISBEHAVIOURS[i % MISBEHAVIOURS.length]!;
    // Start spread over the first seconds.
    await new Promise((r) => setTimeout(r, rng.int(3000)));
    await misbehave(
      kind,
      job.targets,
      job.rooms,
      `m${i}`,
      rng.fork(),
      deadline,
      stats[kind]!,
    );
  }));
  return stats;
}

/**
 * Run a job in a new worker.
 *
 * @param job What to do.
 * @returns Stats by kind, once the worker is done.
 */
export function runMisbehaveWorker(
  job: MisbehaveJob,
): Promise<Record<string, MisbehaveStats>> {
  const worker = new Worker(import.meta.url, { type: "module" });
  return new Promise<Record<string, MisbehaveStats>>((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`Cannot misbehave: ${e.message}`));
    };
    worker.postMessage(job);
  }).finally(() => worker.terminate());
}

if ("WorkerGlobalScope" in globalThis) {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<MisbehaveJob>) => void) | null;
    postMessage(data: Record<string, MisbehaveStats>): void;
  };
  scope.onmessage = async (e) => {
    scope.postMessage(await runMisbehave(e.data));
  };
}
