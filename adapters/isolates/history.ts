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
import { HistoryRing } from "../../core/history_ring.ts";
import { DEFAULT_LIMITS } from "../../core/limits.ts";
import type { Outgoing } from "../../core/peer.ts";
import { ownFrame, roomEventOf } from "./frames.ts";

/** A copy of every room's history, as one isolate hands it to another. */
export interface HistorySnapshot {
  /** Each room with members: its members' names, its entries (time, frame). */
  readonly rooms: readonly (readonly [
    room: string,
    members: readonly string[],
    entries: readonly (readonly [time: number, frame: Uint8Array])[],
  ])[];
  /**
   * The number of the next message of each isolate that the copy has not
   * seen (adapters/isolates/bus.ts, `positions`).
   */
  readonly seen: readonly (readonly [isolate: string, next: number])[];
}

/** What {@link IsolateHistory} works with. */
export interface IsolateHistoryOptions {
  /** Mark an entry's time on its frame as it crosses to the other isolates. */
  stamp(frame: Uint8Array, time: number): void;
}

/** One room in a copy: who is in it, and what was said. */
interface RoomCopy {
  readonly members: Set<string>;
  ring: HistoryRing<HistoryEntry> | undefined;
}

/** Another isolate's event, held while the copy is being taken. */
interface Held {
  readonly origin: string;
  readonly seq: number;
  readonly event: RoomEvent;
  readonly out: Outgoing | undefined;
  readonly time: number | undefined;
}

/**
 * One isolate's copy of every room's history, kept in step with the
 * others'.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const history = new IsolateHistory({ stamp: () => {} });
 * const bounds = { length: 2, bytes: 1000 };
 * history.configure(bounds);
 * history.published({ type: "joined", room: "lobby", name: "amy" });
 * for (const text of ["a", "b", "c"]) {
 *   const event = { type: "message", room: "lobby", from: "amy", text } as const;
 *   history.append("lobby", { time: 0, event }, bounds);
 * }
 * history.received({ type: "announcement", room: null, text: "hi" }, "b", 0);
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
  #held: Held[] | undefined;

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
      for (const e of items) this.#push(copy, e);
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
    this.#keep(room, entry);
    if (entry.out !== undefined) this.#o.stamp(entry.out.binary(), entry.time);
  }

  /** A room's history, oldest first, within the bounds. */
  recent(room: string, bounds: HistoryBounds): readonly HistoryEntry[] {
    if (!this.#configured) this.configure(bounds);
    const items = this.#rooms.get(room)?.ring?.items() ?? [];
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
    if (event.type === "joined" || event.type === "left") this.#apply(event);
  }

  /**
   * Another isolate's event, as it was handed to this isolate's members.
   *
   * @param event The event.
   * @param origin The isolate whose message carried it.
   * @param seq That message's number (Infinity: not numbered, kept anyway).
   * @param out The event with its frame, when at hand.
   * @param time When it was said, as its sender stamped it.
   */
  received(
    event: RoomEvent,
    origin: string,
    seq: number,
    out?: Outgoing,
    time?: number,
  ): void {
    if (this.#off()) return;
    if (this.#held !== undefined) {
      this.#held.push({ origin, seq, event, out, time });
    } else this.#apply(event, out, time);
  }

  /** A name this isolate held was taken by another one meanwhile. */
  lost(room: string, name: string): void {
    if (!this.#off()) this.#apply({ type: "left", room, name, reason: "quit" });
  }

  /** Hold other isolates' events until a copy is installed. */
  hold(): void {
    this.#held ??= [];
  }

  /**
   * A copy of every room's history, to hand to an isolate that starts.
   *
   * @param seen What this copy has seen of each isolate's messages.
   */
  snapshot(seen: readonly (readonly [string, number])[]): HistorySnapshot {
    const rooms: [string, string[], [number, Uint8Array][]][] = [];
    for (const [room, copy] of this.#rooms) {
      const entries = (copy.ring?.items() ?? []).map((
        e,
      ): [number, Uint8Array] => [
        e.time,
        e.out?.binary() ?? encodeFrame(e.event),
      ]);
      rooms.push([room, [...copy.members], entries]);
    }
    return { rooms, seen };
  }

  /**
   * Start from another isolate's copy (none: from what was heard), then
   * apply the events held meanwhile that it had not seen.
   */
  install(snapshot: HistorySnapshot | undefined): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    if (this.#off()) return;
    const seen = new Map(snapshot?.seen ?? []);
    for (const [room, members, entries] of snapshot?.rooms ?? []) {
      const copy = this.#room(room);
      for (const name of members) copy.members.add(name);
      for (const [time, frame] of entries) {
        const e = roomEventOf(frame);
        if (typeof e === "string") continue;
        const { event, out } = e;
        if (event.type === "message" || event.type === "announcement") {
          this.#push(copy, { time, event, out });
        }
      }
    }
    for (const h of held) {
      if (h.seq >= (seen.get(h.origin) ?? -Infinity)) {
        this.#apply(h.event, h.out, h.time);
      }
    }
  }

  #off(): boolean {
    return this.#bounds.length === 0;
  }

  #apply(event: RoomEvent, out?: Outgoing, time?: number): void {
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
    this.#keep(event.room, entry);
  }

  /** Into one room's history, or every room's (`null`), if it has members. */
  #keep(room: string | null, entry: HistoryEntry): void {
    if (room !== null) {
      const copy = this.#rooms.get(room);
      if (copy !== undefined) this.#push(copy, entry);
      return;
    }
    for (const copy of this.#rooms.values()) this.#push(copy, entry);
  }

  #push(copy: RoomCopy, entry: HistoryEntry): void {
    const b = this.#bounds;
    if (b.length === 0) return;
    copy.ring ??= new HistoryRing({ maxItems: b.length, maxBytes: b.bytes });
    copy.ring.push(entry, entrySize(entry.event));
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
