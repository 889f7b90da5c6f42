/**
 * The process's file descriptor limit, and the connection cap that follows
 * from it. Deno has neither `getrlimit` nor `setrlimit`, and it lets a
 * program read `/proc/self/limits` (or any file under `/proc/self`) only
 * with `--allow-all`. The least privilege that tells the limit is
 * `--allow-run=prlimit`: util-linux's `prlimit --pid <own pid> --nofile`
 * reads it, and, where the soft limit is below the hard one, raises it
 * (`--nofile=HARD:HARD`, as `setrlimit` would). The Deno runtime already
 * raises its soft limit to the hard limit as it starts (as Node.js does),
 * so that is rarely needed; an operator raises the hard limit
 * (`ulimit -Hn`, systemd's `LimitNOFILE=`) before starting the server.
 * Where the limit cannot be read (no prlimit, another system, no
 * permission), connections are not capped by it and the log says so.
 *
 * The descriptors open at start cannot be listed either (that would be
 * `/proc/self/fd`): a server holds about 28 with four transports (measured
 * on Linux with Deno 2.9: runtime, caches, listeners), so 48 are assumed,
 * plus a spare of 64.
 *
 * @module
 */

import { DESCRIPTORS_PER_CONNECTION } from "./connection_gate.ts";

/** The program that reads and raises the limit. */
export const PRLIMIT = "prlimit";

/** Descriptors assumed open at start (measured: about 28). */
export const ASSUMED_OPEN = 48;

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
  /** The soft limit before this process raised it, when it did. */
  readonly raisedFrom?: number;
}

/**
 * Read the descriptor limit, raising the soft limit to the hard one where
 * it is lower.
 *
 * @returns The limit, or a reason it cannot be known.
 * @example
 * ```ts ignore
 * const limit = await readDescriptorLimit();
 * if (!("reason" in limit)) console.log(limit.soft);
 * ```
 */
export function readDescriptorLimit(): Promise<
  DescriptorLimit | { reason: string }
> {
  // Once per process: every server of a process shares its limit.
  return known ??= readLimit();
}

let known: Promise<DescriptorLimit | { reason: string }> | undefined;

async function readLimit(): Promise<DescriptorLimit | { reason: string }> {
  const run = Deno.permissions.querySync({ name: "run", command: PRLIMIT });
  if (run.state !== "granted") {
    return { reason: `no permission to run ${PRLIMIT} (--allow-run=prlimit)` };
  }
  const pid = String(Deno.pid);
  const read = () =>
    prlimit([
      "--pid",
      pid,
      "--nofile",
      "--raw",
      "--noheadings",
      "--output",
      "SOFT,HARD",
    ]);
  const first = await read();
  if (typeof first === "string") return { reason: first };
  const limit = parseDescriptorLimit(first);
  if (limit === undefined) {
    return {
      reason: `cannot read the output of ${PRLIMIT}: ${first.out.trim()}`,
    };
  }
  if (limit.soft >= limit.hard) return limit;
  const hard = limit.hard === Number.MAX_SAFE_INTEGER
    ? "unlimited"
    : String(limit.hard);
  const raised = await prlimit(["--pid", pid, `--nofile=${hard}:${hard}`]);
  if (typeof raised === "string") return limit;
  const after = await read();
  const now = typeof after === "string"
    ? undefined
    : parseDescriptorLimit(after);
  return now ? { ...now, raisedFrom: limit.soft } : limit;
}

/** Run prlimit: its output, or why it failed (a string). */
async function prlimit(
  args: string[],
): Promise<{ out: string } | string> {
  try {
    const r = await new Deno.Command(PRLIMIT, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      return `${PRLIMIT} failed: ${new TextDecoder().decode(r.stderr).trim()}`;
    }
    return { out: new TextDecoder().decode(r.stdout) };
  } catch (e) {
    return `cannot run ${PRLIMIT}: ${e instanceof Error ? e.message : e}`;
  }
}

/**
 * The limit in prlimit's raw output (`SOFT HARD`).
 *
 * @param output What prlimit printed.
 * @returns The limit, or undefined when it is not two numbers.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseDescriptorLimit({ out: "1024 4096\n" }), { soft: 1024, hard: 4096 });
 * ```
 */
export function parseDescriptorLimit(
  output: { out: string },
): DescriptorLimit | undefined {
  const m = /^\s*(\S+)\s+(\S+)\s*$/.exec(output.out);
  if (m === null) return undefined;
  const num = (s: string) =>
    s === "unlimited" || s === "-1" ? Number.MAX_SAFE_INTEGER : Number(s);
  const soft = num(m[1]!), hard = num(m[2]!);
  if (!Number.isInteger(soft) || !Number.isInteger(hard)) return undefined;
  return { soft, hard };
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
 * @param inUse Descriptors open at start (listeners, Redis, runtime).
 * @returns The plan; at least one descriptor for connections, at most
 *   2^30 (an unlimited limit).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const plan = planConnections({ soft: 256, hard: 256 }, 48);
 * assert.deepEqual(plan, { capacity: 144, streams: 144, http: 48, reserved: 112 });
 * ```
 */
export function planConnections(
  limit: DescriptorLimit,
  inUse: number = ASSUMED_OPEN,
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
