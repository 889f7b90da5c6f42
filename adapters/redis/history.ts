/**
 * Room histories in Redis, shared by every node: one stream per room,
 * `PREFIX history:ROOM`, one entry per message or announcement (its time
 * and its binary frame, the very bytes the node published), trimmed to the
 * history length with XADD MAXLEN. The room's last claim going deletes it
 * (adapters/redis/scripts.ts); the byte bound is applied when read. While
 * Redis cannot be reached, nothing is kept and joiners get no history.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Redis } from "npm:ioredis@6";
import { decodeFrame, encodeFrame } from "../../core/codec/mod.ts";
import {
  type HistoricEvent,
  type HistoryBounds,
  type HistoryEntry,
  type HistoryStore,
  withinBounds,
} from "../../core/history.ts";
import { Outgoing } from "../../core/peer.ts";
import type { ScriptCommands } from "./scripts.ts";

/** Largest frame read back from a history stream. */
const MAX_FRAME = 1 << 20;

/** What {@link RedisHistory} works with. */
export interface RedisHistoryOptions {
  /** The command connection. */
  cmd: Redis & ScriptCommands;
  /** Key prefix. */
  prefix: string;
  /** This node's id (for the scripts). */
  nodeId: string;
  /** Whether the node is online now. */
  online: () => boolean;
}

/** Histories as Redis streams. */
export class RedisHistory implements HistoryStore {
  readonly #cmd: Redis & ScriptCommands;
  readonly #prefix: string;
  readonly #nodeId: string;
  readonly #online: () => boolean;

  /** @param options Connection, prefix, node id, and whether online. */
  constructor(options: RedisHistoryOptions) {
    this.#cmd = options.cmd;
    this.#prefix = options.prefix;
    this.#nodeId = options.nodeId;
    this.#online = options.online;
  }

  /** Keep an entry: XADD to the room's stream, or to every room's. */
  append(
    room: string | null,
    entry: HistoryEntry,
    bounds: HistoryBounds,
  ): void {
    if (bounds.length === 0 || !this.#online()) return;
    const frame = Buffer.from(
      entry.out?.binary() ?? encodeFrame(entry.event),
    );
    const time = String(entry.time);
    const done = room === null
      ? this.#cmd.rcHistoryAll(
        this.#prefix,
        this.#nodeId,
        bounds.length,
        time,
        frame,
      )
      : this.#cmd.xadd(
        `${this.#prefix}history:${room}`,
        "MAXLEN",
        bounds.length,
        "*",
        "t",
        time,
        "f",
        frame,
      );
    done.catch(() => {}); // Redis away: the entry is not kept
  }

  /** A room's history, oldest first, within the bounds. */
  async recent(
    room: string,
    bounds: HistoryBounds,
  ): Promise<readonly HistoryEntry[]> {
    if (bounds.length === 0 || !this.#online()) return [];
    const raw = await this.#cmd.xrevrangeBuffer(
      `${this.#prefix}history:${room}`,
      "+",
      "-",
      "COUNT",
      bounds.length,
    );
    const entries: HistoryEntry[] = [];
    for (const [, fields] of raw.reverse()) {
      const entry = parse(fields);
      if (entry !== undefined) entries.push(entry);
    }
    return withinBounds(entries, bounds);
  }
}

/** An entry from its stream fields, or undefined when they are not one. */
function parse(fields: Buffer[]): HistoryEntry | undefined {
  let time: number | undefined, frame: Uint8Array | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toString();
    if (name === "t") time = Number(fields[i + 1]!.toString());
    else if (name === "f") frame = new Uint8Array(fields[i + 1]!);
  }
  if (time === undefined || !Number.isSafeInteger(time) || !frame) return;
  try {
    const event = decodeFrame(frame, { maxFrameSize: MAX_FRAME });
    if (event.type !== "message" && event.type !== "announcement") return;
    return { time, event, out: new Outgoing(event as HistoricEvent, frame) };
  } catch {
    return undefined;
  }
}
