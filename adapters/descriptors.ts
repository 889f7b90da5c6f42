/**
 * The process's file descriptor limit, and the connection cap that follows
 * from it. Deno has no `getrlimit`: the limit is read from
 * `/proc/self/limits` (Linux; it needs `--allow-read=/proc/self/limits`,
 * the least privilege that tells it: `ulimit -n` would need `--allow-run`),
 * and the descriptors open at start from `/proc/self/fd`. Deno has no
 * `setrlimit` either, but the Deno runtime raises its soft limit to the
 * hard limit as it starts (as Node.js does), so the limit read is already
 * the raised one; an operator raises the hard limit (`ulimit -Hn`,
 * systemd's `LimitNOFILE=`) before starting the server. Where the limit
 * cannot be read (another system, no permission), the connections are not
 * capped by it and the log says so.
 *
 * @module
 */

import { DESCRIPTORS_PER_CONNECTION } from "./connection_gate.ts";

/** Where the limit is read. */
export const LIMITS_FILE = "/proc/self/limits";
/** Where the open descriptors are listed. */
export const FD_DIR = "/proc/self/fd";

/**
 * Descriptors kept free besides those open at start: Redis reconnecting,
 * refusals being written, files read while serving, the HTTP server's
 * restarts, DNS.
 */
export const SPARE_DESCRIPTORS = 64;

/** The descriptor limit of the process. */
export interface DescriptorLimit {
  /** The soft limit: what the process may open. */
  readonly soft: number;
  /** The hard limit: how far the soft limit could be raised. */
  readonly hard: number;
}

/**
 * Read the descriptor limit.
 *
 * @returns The limit, or a reason it cannot be known.
 * @example
 * ```ts ignore
 * const limit = readDescriptorLimit();
 * if (!("reason" in limit)) console.log(limit.soft);
 * ```
 */
export function readDescriptorLimit(): DescriptorLimit | { reason: string } {
  let text: string;
  try {
    if (!granted(LIMITS_FILE)) {
      return { reason: `no permission to read ${LIMITS_FILE}` };
    }
    text = Deno.readTextFileSync(LIMITS_FILE);
  } catch (e) {
    return {
      reason: `cannot read ${LIMITS_FILE}: ${
        e instanceof Error ? e.message : String(e)
      }`,
    };
  }
  return parseDescriptorLimit(text) ??
    { reason: `no "Max open files" line in ${LIMITS_FILE}` };
}

/**
 * The "Max open files" line of a `/proc/PID/limits` text.
 *
 * @param text The file's text.
 * @returns The limit, or undefined when the line is missing.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = "Max open files            1024                 4096                 files";
 * assert.deepEqual(parseDescriptorLimit(text), { soft: 1024, hard: 4096 });
 * ```
 */
export function parseDescriptorLimit(
  text: string,
): DescriptorLimit | undefined {
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (m === null) return undefined;
  const num = (s: string) =>
    s === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(s);
  const soft = num(m[1]!), hard = num(m[2]!);
  if (!Number.isFinite(soft) || !Number.isFinite(hard)) return undefined;
  return { soft, hard };
}

/**
 * Descriptors the process has open now, or undefined when they cannot be
 * listed.
 *
 * @returns The count.
 */
export function openDescriptors(): number | undefined {
  try {
    if (!granted(FD_DIR)) return undefined;
    let n = 0;
    for (const _ of Deno.readDirSync(FD_DIR)) n++;
    return Math.max(0, n - 1); // less the one listing the directory
  } catch {
    return undefined;
  }
}

function granted(path: string): boolean {
  return Deno.permissions.querySync({ name: "read", path }).state ===
    "granted";
}

/** What {@link planConnections} decided. */
export interface ConnectionPlan {
  /** Descriptors connections may hold together (the gate's capacity). */
  readonly capacity: number;
  /** TCP and Unix connections that fit (one descriptor each). */
  readonly streams: number;
  /** HTTP connections that fit (three descriptors each). */
  readonly http: number;
  /** Descriptors kept for everything else (open at start, and spare). */
  readonly reserved: number;
}

/**
 * The connections a descriptor limit leaves room for.
 *
 * @param limit The limit (its soft value counts).
 * @param inUse Descriptors open now (listeners, Redis, runtime).
 * @returns The plan; at least one descriptor for connections, at most
 *   2^30 (an unlimited limit).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const plan = planConnections({ soft: 256, hard: 256 }, 30);
 * assert.deepEqual(plan, { capacity: 162, streams: 162, http: 54, reserved: 94 });
 * ```
 */
export function planConnections(
  limit: DescriptorLimit,
  inUse: number,
): ConnectionPlan {
  const reserved = inUse + SPARE_DESCRIPTORS;
  const capacity = Math.min(2 ** 30, Math.max(1, limit.soft - reserved));
  return {
    capacity,
    streams: Math.floor(capacity / DESCRIPTORS_PER_CONNECTION.tcp),
    http: Math.floor(capacity / DESCRIPTORS_PER_CONNECTION.http),
    reserved,
  };
}
