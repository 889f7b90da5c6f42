/**
 * The connection cap a server sets at start: what its file descriptor
 * limit leaves once the listeners, Redis and the runtime hold theirs
 * (adapters/descriptors.ts), given to the gate every transport asks
 * (adapters/connection_gate.ts), and said in the log, with a warning when
 * it is lower than `--max-connections`. One call, so that a server of
 * several isolates can make it once for all of them.
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import type { ConnectionGate } from "../connection_gate.ts";
import {
  type ConnectionPlan,
  planConnections,
  readDescriptorLimit,
} from "../descriptors.ts";

/**
 * Read the descriptor limit, set the gate's capacity from it, and log it.
 *
 * @param gate The gate of every transport.
 * @param maxConnections `--max-connections`, to compare with.
 * @param log Receives a `descriptors` record, or `descriptors_unknown`.
 * @param inUse Descriptors open at start; an estimate by default.
 * @returns The plan, or undefined when the limit cannot be read (the gate
 *   is then left without a limit).
 * @example
 * ```ts ignore
 * await capConnections(gate, chat.limits.maxConnections, log);
 * ```
 */
export async function capConnections(
  gate: ConnectionGate,
  maxConnections: number,
  log?: (record: LogRecord) => void,
  inUse?: number,
): Promise<ConnectionPlan | undefined> {
  const limit = await readDescriptorLimit();
  if ("reason" in limit) {
    log?.({
      event: "descriptors_unknown",
      reason: limit.reason,
      note:
        "connections are not capped by the file descriptor limit; make sure ulimit -n is well above --max-connections",
    });
    return undefined;
  }
  const plan = planConnections(limit, inUse);
  gate.capacity = plan.capacity;
  const lower = plan.streams < maxConnections;
  log?.({
    event: "descriptors",
    limit: limit.soft,
    hard: limit.hard,
    ...(limit.raisedFrom !== undefined ? { raisedFrom: limit.raisedFrom } : {}),
    reserved: plan.reserved,
    connections: plan.streams,
    httpConnections: plan.http,
    ...(lower
      ? {
        note:
          `the file descriptor limit (${limit.soft}) holds at most ${plan.streams} TCP/Unix or ${plan.http} HTTP connections at once, fewer than --max-connections ${maxConnections}; raise it with ulimit -n (hard limit ${limit.hard})`,
      }
      : {}),
  });
  return plan;
}
