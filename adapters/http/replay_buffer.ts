/**
 * Recent room events kept for resuming HTTP event streams (`Last-Event-ID`).
 * Each event gets a node-wide id, increasing; each room keeps its latest
 * events, bounded by a count per room and by a byte budget shared by every
 * room (the oldest events anywhere go first). Only rooms someone may resume
 * in are kept: a room is retained while an HTTP session is in it.
 *
 * @module
 */

import type { RoomEvent } from "../../core/events.ts";
import type { Outgoing } from "../../core/peer.ts";

/** Options of a {@link ReplayBuffer}. */
export interface ReplayOptions {
  /** Events kept per room. @default {256} */
  eventsPerRoom?: number;
  /**
   * JSON kept across every room, in UTF-16 code units (about bytes).
   * @default {16777216}
   */
  totalBytes?: number;
}

/** One kept event. */
export interface ReplayEntry {
  /** The event id. */
  readonly id: number;
  /** The event, shared with its live delivery. */
  readonly out: Outgoing;
}

/** What {@link ReplayBuffer.since} found. */
export interface ReplaySlice {
  /** Events after the id asked for, oldest first. */
  readonly entries: readonly ReplayEntry[];
  /**
   * When events after the id asked for were already dropped, the id of the
   * last one dropped; otherwise undefined.
   */
  readonly lostUpTo: number | undefined;
}

interface Ring {
  refs: number;
  entries: ReplayEntry[];
  head: number;
  /** Highest id dropped from this room, or 0. */
  lost: number;
}

/**
 * Node-wide event ids and per-room history.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outgoing } from "../../core/peer.ts";
 * const buffer = new ReplayBuffer({ eventsPerRoom: 2 });
 * buffer.retain("lobby");
 * for (const text of ["a", "b", "c"]) {
 *   buffer.record(new Outgoing({ type: "message", room: "lobby", from: "amy", text }));
 * }
 * const slice = buffer.since("lobby", 0);
 * assert.deepEqual(slice.entries.map((e) => e.id), [2, 3]);
 * assert.equal(slice.lostUpTo, 1);
 * ```
 */
export class ReplayBuffer {
  readonly #perRoom: number;
  readonly #budget: number;
  readonly #rooms = new Map<string, Ring>();
  readonly #ids = new WeakMap<object, number>();
  /** Global FIFO of [room, id, bytes] for the byte budget. */
  #fifo: [Ring, number, number][] = [];
  #fifoHead = 0;
  #bytes = 0;
  #live = 0;
  #lastId = 0;

  /** @param options Bounds. */
  constructor(options: ReplayOptions = {}) {
    this.#perRoom = Math.max(1, options.eventsPerRoom ?? 256);
    this.#budget = Math.max(1, options.totalBytes ?? 16 * 1024 * 1024);
  }

  /** The id of the latest event recorded, or 0. */
  get lastId(): number {
    return this.#lastId;
  }

  /** Size of the JSON held, in UTF-16 code units (about bytes). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Rooms kept. */
  get rooms(): number {
    return this.#rooms.size;
  }

  /** Keep the history of a room (one more HTTP session is in it). */
  retain(room: string): void {
    const ring = this.#rooms.get(room);
    if (ring) ring.refs++;
    else this.#rooms.set(room, { refs: 1, entries: [], head: 0, lost: 0 });
  }

  /** One HTTP session fewer in a room; its history goes with the last one. */
  release(room: string): void {
    const ring = this.#rooms.get(room);
    if (ring === undefined) return;
    if (--ring.refs > 0) return;
    for (let i = ring.head; i < ring.entries.length; i++) {
      this.#bytes -= ring.entries[i]!.out.json().length;
      this.#live--;
    }
    ring.entries = [];
    ring.head = 0;
    this.#rooms.delete(room);
  }

  /**
   * The id of an event, if it was recorded.
   *
   * @param event An event object as fanned out.
   */
  idOf(event: object): number | undefined {
    return this.#ids.get(event);
  }

  /**
   * Number a room event and keep it in each retained room it went to.
   * Events of rooms nobody retains get no id.
   *
   * @returns The id, or undefined.
   */
  record(out: Outgoing): number | undefined {
    const event = out.event as RoomEvent;
    const rings: Ring[] = [];
    if (event.type === "announcement" && event.room === null) {
      for (const ring of this.#rooms.values()) rings.push(ring);
    } else {
      const ring = this.#rooms.get(event.room ?? "");
      if (ring) rings.push(ring);
    }
    if (rings.length === 0) return undefined;
    const id = ++this.#lastId;
    this.#ids.set(event, id);
    const size = out.json().length;
    for (const ring of rings) {
      ring.entries.push({ id, out });
      this.#fifo.push([ring, id, size]);
      this.#bytes += size;
      this.#live++;
      if (ring.entries.length - ring.head > this.#perRoom) this.#shift(ring);
    }
    while (this.#bytes > this.#budget) this.#evictOldest();
    this.#compactFifo();
    return id;
  }

  /**
   * The events of a room after an id.
   *
   * @param room Canonical room name.
   * @param after The last id the reader has.
   */
  since(room: string, after: number): ReplaySlice {
    const ring = this.#rooms.get(room);
    if (ring === undefined) return { entries: [], lostUpTo: undefined };
    const entries: ReplayEntry[] = [];
    for (let i = ring.head; i < ring.entries.length; i++) {
      const e = ring.entries[i]!;
      if (e.id > after) entries.push(e);
    }
    return {
      entries,
      lostUpTo: ring.lost > after ? ring.lost : undefined,
    };
  }

  #shift(ring: Ring): void {
    const e = ring.entries[ring.head];
    if (e === undefined) return;
    ring.entries[ring.head++] = undefined as unknown as ReplayEntry;
    ring.lost = e.id;
    this.#bytes -= e.out.json().length;
    this.#live--;
    if (ring.head > 64 && ring.head * 2 > ring.entries.length) {
      ring.entries = ring.entries.slice(ring.head);
      ring.head = 0;
    }
  }

  #evictOldest(): void {
    while (this.#fifoHead < this.#fifo.length) {
      const [ring, id] = this.#fifo[this.#fifoHead++]!;
      if (live(ring, id)) {
        this.#shift(ring);
        return;
      }
    }
  }

  /** Drop FIFO entries whose event already left its room. */
  #compactFifo(): void {
    const fifo = this.#fifo;
    while (
      this.#fifoHead < fifo.length && !live(...fifo[this.#fifoHead]!)
    ) this.#fifoHead++;
    const held = fifo.length - this.#fifoHead;
    if (held > 2 * this.#live + 1024) {
      this.#fifo = fifo.slice(this.#fifoHead).filter((e) => live(...e));
      this.#fifoHead = 0;
    } else if (this.#fifoHead > 1024 && this.#fifoHead * 2 > fifo.length) {
      this.#fifo = fifo.slice(this.#fifoHead);
      this.#fifoHead = 0;
    }
  }
}

/** Whether event `id` is still kept in `ring`. */
function live(ring: Ring, id: number, _bytes?: number): boolean {
  const head = ring.entries[ring.head];
  return ring.refs > 0 && head !== undefined && head.id <= id;
}
