/**
 * Room history: the last messages and announcements of each room, with
 * their time and sender, for members who join later. A {@link HistoryStore}
 * keeps them: {@link MemoryHistory} in memory (one node, or the nodes of one
 * in-process bus), the Redis backplane in Redis streams. History lives as
 * long as its room: when the last member leaves, it is dropped. It is never
 * written to disk.
 *
 * @module
 */

import { utf8Length } from "./_bytes.ts";
import { encodeHistory } from "./codec/mod.ts";
import type {
  AnnouncementEvent,
  HistoryEvent,
  MessageEvent,
} from "./events.ts";
import { HistoryRing, type RingBounds } from "./history_ring.ts";
import { Outgoing } from "./peer.ts";

/** What a room's history keeps. */
export type HistoricEvent = MessageEvent | AnnouncementEvent;

/** One message or announcement kept in a room's history. */
export interface HistoryEntry {
  /** When it was said, in ms since the Unix epoch. */
  readonly time: number;
  /** What was said. */
  readonly event: HistoricEvent;
  /**
   * The event as it was fanned out, when at hand: its encodings are shared,
   * so keeping it encodes nothing.
   */
  readonly out?: Outgoing;
}

/** The bounds of every room's history, from the chat's limits. */
export interface HistoryBounds {
  /** Entries kept per room; 0 keeps none. */
  readonly length: number;
  /** Bytes kept per room ({@link entrySize} of each entry). */
  readonly bytes: number;
}

/**
 * Where rooms' histories are kept. The chat appends each message and
 * announcement once, on the node where it was said; any node reads.
 * Implementations: {@link MemoryHistory}, and the Redis backplane's streams.
 */
export interface HistoryStore {
  /**
   * Keep an entry in a room's history, or in every room's (`room` null:
   * an announcement to every room goes to each room that has members).
   */
  append(room: string | null, entry: HistoryEntry, bounds: HistoryBounds): void;
  /** A room's history, oldest first, within the bounds. */
  recent(
    room: string,
    bounds: HistoryBounds,
  ): readonly HistoryEntry[] | Promise<readonly HistoryEntry[]>;
  /**
   * The chat's bounds, told once when the chat starts (optional): for a
   * store that also keeps, by itself, what other nodes said (the isolates
   * backplane's copies), and keeps nothing when the length is 0.
   */
  configure?(bounds: HistoryBounds): void;
}

/**
 * The size an entry counts for against the byte bound: the UTF-8 bytes of
 * its text and its sender's name. Measured on the strings, never encoded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const event = { type: "message", room: "lobby", from: "amy", text: "héllo" } as const;
 * assert.equal(entrySize(event), 9);
 * ```
 */
export function entrySize(event: HistoricEvent): number {
  return utf8Length(event.text) +
    (event.type === "message" ? utf8Length(event.from) : 0);
}

/** Options of a {@link MemoryHistory}. */
export interface MemoryHistoryOptions {
  /** The rooms with members now (an announcement to every room goes to each). */
  rooms(): Iterable<string>;
}

/**
 * Histories in memory, one bounded ring per room.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const history = new MemoryHistory({ rooms: () => ["lobby", "kitchen"] });
 * const bounds = { length: 2, bytes: 1000 };
 * for (const text of ["a", "b", "c"]) {
 *   history.append("lobby", { time: 0, event: { type: "message", room: "lobby", from: "amy", text } }, bounds);
 * }
 * history.append(null, { time: 1, event: { type: "announcement", room: null, text: "hi" } }, bounds);
 * assert.deepEqual(history.recent("lobby").map((e) => e.event.text), ["c", "hi"]);
 * assert.deepEqual(history.recent("kitchen").map((e) => e.event.text), ["hi"]);
 * ```
 */
export class MemoryHistory implements HistoryStore {
  readonly #rooms = new Map<string, HistoryRing<HistoryEntry>>();
  readonly #roomsWithMembers: () => Iterable<string>;

  /**
   * Create a new instance.
   * @param options Which rooms have members.
   */
  constructor(options: MemoryHistoryOptions) {
    this.#roomsWithMembers = options.rooms;
  }

  /** Rooms with a history. */
  get size(): number {
    return this.#rooms.size;
  }

  /** Keep an entry in a room's history, or in every room's. */
  append(
    room: string | null,
    entry: HistoryEntry,
    bounds: HistoryBounds,
  ): void {
    if (bounds.length === 0) return;
    const size = entrySize(entry.event);
    const rooms = room === null ? this.#roomsWithMembers() : [room];
    for (const r of rooms) {
      let ring = this.#rooms.get(r);
      if (ring === undefined) {
        ring = new HistoryRing(ringBounds(bounds));
        this.#rooms.set(r, ring);
      }
      ring.push(entry, size);
    }
  }

  /** A room's history, oldest first. */
  recent(room: string): readonly HistoryEntry[] {
    return this.#rooms.get(room)?.items() ?? [];
  }

  /** Forget a room's history (its last member left). */
  drop(room: string): void {
    this.#rooms.delete(room);
  }
}

/**
 * Keep the newest entries of a list that fit the bounds (for stores that
 * trim by count only, such as Redis streams).
 *
 * @param entries Oldest first.
 * @param bounds The bounds.
 * @returns The longest run of the newest entries within both bounds.
 */
export function withinBounds(
  entries: readonly HistoryEntry[],
  bounds: HistoryBounds,
): HistoryEntry[] {
  const ring = new HistoryRing<HistoryEntry>(ringBounds(bounds));
  for (const e of entries) ring.push(e, entrySize(e.event));
  return ring.items();
}

function ringBounds(bounds: HistoryBounds): RingBounds {
  return { maxItems: bounds.length, maxBytes: bounds.bytes };
}

/** HISTORY events made for an entry, so each is encoded once. */
const outgoing = new WeakMap<HistoryEntry, Outgoing>();

/**
 * The HISTORY event of an entry, ready to send: made once per entry and
 * shared by every member it is sent to. Its binary frame and JSON are built
 * around the encodings of the entry's own event (`out`), not made again.
 *
 * @param entry A history entry.
 * @returns The event to send.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const entry = { time: 0, event: { type: "message", room: "lobby", from: "amy", text: "hi" } } as const;
 * assert.equal(historyOutgoing(entry), historyOutgoing(entry));
 * assert.equal(historyOutgoing(entry).text("en"), "* 00:00 amy says: hi");
 * ```
 */
export function historyOutgoing(entry: HistoryEntry): Outgoing {
  let out = outgoing.get(entry);
  if (out === undefined) {
    out = new HistoryOutgoing(entry);
    outgoing.set(entry, out);
  }
  return out;
}

/** A HISTORY event whose encodings wrap those of the event it carries. */
class HistoryOutgoing extends Outgoing {
  readonly #inner: Outgoing;
  #binary: Uint8Array | undefined;
  #json: string | undefined;

  constructor(entry: HistoryEntry) {
    const event: HistoryEvent = {
      type: "history",
      time: entry.time,
      event: entry.event,
    };
    super(event);
    this.#inner = entry.out ?? new Outgoing(entry.event);
  }

  override binary(): Uint8Array {
    const e = this.event as HistoryEvent;
    return this.#binary ??= encodeHistory(e.time, this.#inner.binary());
  }

  override json(): string {
    const e = this.event as HistoryEvent;
    return this.#json ??=
      `{"type":"history","time":${e.time},"event":${this.#inner.json()}}`;
  }
}
