/**
 * Rooms' histories for the isolates of one instance. Every isolate keeps a
 * copy of every room's history in its own memory, and the copies are kept
 * in step by the events each isolate receives anyway: a message or an
 * announcement is appended once by the chat where it was said, and each
 * other isolate appends it as it hands it to its members, at the time its
 * sender stamped on it (adapters/isolates/bus.ts). Joins and leaves tell
 * every copy which rooms have members: an announcement to every room goes
 * into each of them, and a room's history goes with its last member, on
 * every isolate. Nothing is written to the shared store, which may be on
 * disk (adapters/isolates/store_dir.ts), and a commit per message would cost
 * more than the message. An isolate that starts while others run takes a
 * copy from one of them (adapters/isolates/history_sync.ts).
 *
 * @module
 */

import { encodeFrame } from "../../core/codec/mod.ts";
import type { RoomEvent } from "../../core/events.ts";
import {
  entrySize,
  type HistoryBounds,
  type HistoryEntry,
  type HistoryStore,
  withinBounds,
} from "../../core/history.ts";
import { DEFAULT_LIMITS } from "../../core/limits.ts";
import type { Outgoing } from "../../core/peer.ts";
import { ownFrame, roomEventOf } from "./frames.ts";
import { OrderedRing } from "./ordered_ring.ts";

/**
 * One room of a copy, as one isolate hands it to another: its members'
 * names, and its entries (time, frame, and the isolate that said it).
 */
export type RoomSnapshot = readonly [
  room: string,
  members: readonly string[],
  entries:
    readonly (readonly [time: number, frame: Uint8Array, origin: string])[],
];

/** What {@link IsolateHistory} works with. */
export interface IsolateHistoryOptions {
  /** This isolate's id (the origin of what is said here). */
  readonly id: string;
  /** Mark an entry's time on its frame as it crosses to the other isolates. */
  stamp(frame: Uint8Array, time: number): void;
}

/** One room in a copy: who is in it, and what was said. */
interface RoomCopy {
  readonly members: Set<string>;
  ring: OrderedRing | undefined;
}

/**
 * One isolate's copy of every room's history, kept in step with the
 * others'.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const history = new IsolateHistory({ id: "a", stamp: () => {} });
 * const bounds = { length: 2, bytes: 1000 };
 * history.configure(bounds);
 * history.published({ type: "joined", room: "lobby", name: "amy" });
 * for (const text of ["a", "b", "c"]) {
 *   const event = { type: "message", room: "lobby", from: "amy", text } as const;
 *   history.append("lobby", { time: 0, event }, bounds);
 * }
 * history.received({ type: "announcement", room: null, text: "hi" }, "b");
 * assert.deepEqual(history.recent("lobby", bounds).map((e) => e.event.text), ["c", "hi"]);
 * history.published({ type: "left", room: "lobby", name: "amy", reason: "quit" });
 * assert.deepEqual(history.recent("lobby", bounds), []);
 * ```
 */
export class IsolateHistory implements HistoryStore {
  readonly #o: IsolateHistoryOptions;
  readonly #rooms = new Map<string, RoomCopy>();
  /** The default bounds until the chat says its own. */
  #bounds: HistoryBounds = {
    length: DEFAULT_LIMITS.historyLength,
    bytes: DEFAULT_LIMITS.historyBytes,
  };
  #configured = false;

  /** @param options How entries' times cross. */
  constructor(options: IsolateHistoryOptions) {
    this.#o = options;
  }

  /** Rooms with members, as far as this copy knows. */
  get size(): number {
    return this.#rooms.size;
  }

  /**
   * The chat's bounds (0 entries: nothing is kept, nor who is where). What
   * was kept before, within the default bounds, is cut to them.
   */
  configure(bounds: HistoryBounds): void {
    const before = this.#bounds;
    this.#bounds = bounds;
    this.#configured = true;
    if (bounds.length === 0) this.#rooms.clear();
    if (bounds.length === before.length && bounds.bytes === before.bytes) {
      return;
    }
    for (const copy of this.#rooms.values()) {
      const items = copy.ring?.items() ?? [];
      copy.ring = undefined;
      for (const p of items) this.#push(copy, p.entry, p.origin);
    }
  }

  /** Keep an entry said on this isolate, and stamp its time for the others. */
  append(
    room: string | null,
    entry: HistoryEntry,
    bounds: HistoryBounds,
  ): void {
    if (!this.#configured) this.configure(bounds);
    if (bounds.length === 0) return;
    this.#keep(room, entry, this.#o.id);
    if (entry.out !== undefined) this.#o.stamp(entry.out.binary(), entry.time);
  }

  /** A room's history, oldest first, within the bounds. */
  recent(room: string, bounds: HistoryBounds): readonly HistoryEntry[] {
    if (!this.#configured) this.configure(bounds);
    const ring = this.#rooms.get(room)?.ring;
    const items = ring ? ring.items().map((p) => p.entry) : [];
    const own = this.#bounds;
    return own.length === bounds.length && own.bytes === bounds.bytes
      ? items
      : withinBounds(items, bounds);
  }

  /**
   * A room event this isolate published: its joins and leaves say who is
   * in which room (its messages and announcements come through
   * {@link IsolateHistory.append}).
   */
  published(event: RoomEvent): void {
    if (this.#off()) return;
    if (event.type === "joined" || event.type === "left") {
      this.#apply(event, this.#o.id);
    }
  }

  /**
   * Another isolate's event, as it was handed to this isolate's members.
   *
   * @param event The event.
   * @param origin The isolate where it was said.
   * @param out The event with its frame, when at hand.
   * @param time When it was said, as its sender stamped it.
   */
  received(
    event: RoomEvent,
    origin: string,
    out?: Outgoing,
    time?: number,
  ): void {
    if (!this.#off()) this.#apply(event, origin, out, time);
  }

  /** A name this isolate held was taken by another one meanwhile. */
  lost(room: string, name: string): void {
    const left = { type: "left", room, name, reason: "quit" } as const;
    if (!this.#off()) this.#apply(left, this.#o.id);
  }

  /** A copy of every room's history, to hand to an isolate that starts. */
  snapshot(): RoomSnapshot[] {
    const rooms: RoomSnapshot[] = [];
    for (const [room, copy] of this.#rooms) {
      const entries = (copy.ring?.items() ?? []).map((
        { entry: e, origin },
      ) => [e.time, e.out?.binary() ?? encodeFrame(e.event), origin] as const);
      rooms.push([room, [...copy.members], entries]);
    }
    return rooms;
  }

  /** Start from another isolate's copy. */
  restore(rooms: readonly RoomSnapshot[]): void {
    if (this.#off()) return;
    for (const [room, members, entries] of rooms) {
      const copy = this.#room(room);
      for (const name of members) copy.members.add(name);
      for (const [time, frame, origin] of entries) {
        const e = roomEventOf(frame);
        if (typeof e === "string") continue;
        const { event, out } = e;
        if (event.type === "message" || event.type === "announcement") {
          this.#push(copy, { time, event, out }, origin);
        }
      }
    }
  }

  #off(): boolean {
    return this.#bounds.length === 0;
  }

  #apply(
    event: RoomEvent,
    origin: string,
    out?: Outgoing,
    time?: number,
  ): void {
    switch (event.type) {
      case "joined":
        this.#room(event.room).members.add(event.name);
        return;
      case "left": {
        const copy = this.#rooms.get(event.room);
        if (copy === undefined) return;
        copy.members.delete(event.name);
        if (copy.members.size === 0) this.#rooms.delete(event.room);
        return;
      }
      case "message":
        // Its sender is in the room, joined before any copy was taken.
        this.#room(event.room).members.add(event.from);
        break;
      case "announcement":
        break;
      default:
        return;
    }
    const kept = out === undefined ? undefined : ownFrame(out);
    const entry: HistoryEntry = {
      time: time ?? Date.now(),
      event,
      ...(kept ? { out: kept } : {}),
    };
    this.#keep(event.room, entry, origin);
  }

  /** Into one room's history, or every room's (`null`), if it has members. */
  #keep(room: string | null, entry: HistoryEntry, origin: string): void {
    if (room !== null) {
      const copy = this.#rooms.get(room);
      if (copy !== undefined) this.#push(copy, entry, origin);
      return;
    }
    for (const copy of this.#rooms.values()) this.#push(copy, entry, origin);
  }

  #push(copy: RoomCopy, entry: HistoryEntry, origin: string): void {
    const b = this.#bounds;
    if (b.length === 0) return;
    copy.ring ??= new OrderedRing({ maxItems: b.length, maxBytes: b.bytes });
    copy.ring.insert({ entry, size: entrySize(entry.event), origin });
  }

  #room(room: string): RoomCopy {
    let copy = this.#rooms.get(room);
    if (copy === undefined) {
      copy = { members: new Set(), ring: undefined };
      this.#rooms.set(room, copy);
    }
    return copy;
  }
}
