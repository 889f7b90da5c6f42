/**
 * The events of one HTTP member on their way to whichever stream is
 * attached (Server-Sent Events or a WebSocket): queued and written in one
 * batch per event-loop turn, in the flush rounds every batching transport
 * shares (adapters/flush_rounds.ts), bounded by the member's outbound bytes
 * as the stream counts them (its encoding's size). Room events
 * a member misses while no stream is attached are not queued per member:
 * they are replayed from the shared per-room {@link ReplayBuffer} when a
 * stream attaches again. adapters/http/session.ts owns one per session.
 *
 * @module
 */

import type { Outgoing } from "../../core/peer.ts";
import { scheduleFlush } from "../flush_rounds.ts";
import type { EventSink } from "./event_sink.ts";
import type { ReplayBuffer } from "./replay_buffer.ts";

const ROOM_EVENTS = new Set(["joined", "left", "message", "announcement"]);
/** Bytes counted per event besides its JSON while no stream is attached. */
const DETACHED_OVERHEAD = 32;

/** Options of an {@link EventFeed}. */
export interface EventFeedOptions {
  /** Event ids and room history. */
  readonly replay: ReplayBuffer;
  /** Outbound bytes per member before it is cut off. */
  readonly outboundBytes: number;
  /**
   * Room events come back from the room's history when a stream attaches
   * (sessions with a token), so they are not kept while none is attached.
   */
  readonly replays: boolean;
}

/** Who the member is, for replay: the core session. */
export interface FeedMember {
  /** Room name once joined. */
  readonly room: string | undefined;
  /** Display name once joined. */
  readonly name: string;
}

/** A member's events for its stream, with resume from the room history. */
export class EventFeed {
  /** The last room event id this member has been given. */
  cursor: number;
  /** Cursor when the member entered its room: nothing older is replayed. */
  #floor: number;
  readonly #replay: ReplayBuffer;
  readonly #outboundBytes: number;
  readonly #replays: boolean;
  #sink: EventSink | undefined;
  // Slots [0, #count) hold the queued events; the array is kept between
  // turns (a new one per member per turn was garbage the young generation
  // had to collect, as in core/outbox.ts).
  #queue: (Outgoing | undefined)[] = [];
  #count = 0;
  #queueBytes = 0;
  #scheduled = false;
  #pending: Outgoing[] = [];
  #pendingBytes = 0;

  /** @param options History, byte bound, and whether room events replay. */
  constructor(options: EventFeedOptions) {
    this.#replay = options.replay;
    this.#outboundBytes = options.outboundBytes;
    this.#replays = options.replays;
    this.cursor = this.#floor = options.replay.lastId;
  }

  /** The attached stream, if any. */
  get sink(): EventSink | undefined {
    return this.#sink;
  }

  /** The member entered a room: nothing before now is replayed to it. */
  restart(): void {
    this.cursor = this.#floor = this.#replay.lastId;
  }

  /**
   * Attach a stream: it gets the events waiting for it, the room events
   * after `after` (default: the last one this member was given), then live
   * events. A stream already attached is closed.
   *
   * @param sink The stream.
   * @param after The last event id the client has (`Last-Event-ID`).
   * @param member The core session, for its room and name.
   */
  attach(
    sink: EventSink,
    after: number | undefined,
    member: FeedMember | undefined,
  ): void {
    const old = this.#sink;
    this.#sink = sink;
    old?.close(true);
    this.flush();
    const items: Outgoing[] = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    const room = member?.room;
    if (this.#replays && room !== undefined) {
      const from = Math.max(
        this.#floor,
        Math.min(after ?? this.cursor, this.#replay.lastId),
      );
      const slice = this.#replay.since(room, from);
      if (slice.lostUpTo !== undefined) sink.gap?.(from, slice.lostUpTo);
      const name = member!.name;
      for (const e of slice.entries) {
        if (!isOwn(e.out, name)) items.push(e.out);
        this.cursor = Math.max(this.cursor, e.id);
      }
    }
    if (items.length > 0) sink.write(items, items.length);
  }

  /**
   * The stream went away: write what is queued, and keep what comes next
   * for the next stream.
   *
   * @returns False when `sink` was not the attached stream.
   */
  detach(sink: EventSink): boolean {
    if (this.#sink !== sink) return false;
    this.flush();
    this.#sink = undefined;
    return true;
  }

  /**
   * Queue an event for the stream (or for the next one).
   *
   * @returns False when the member is over its outbound bytes.
   */
  push(out: Outgoing): boolean {
    const sink = this.#sink;
    if (sink === undefined) {
      // Room events are replayed from the room's history on attach.
      if (this.#replays && ROOM_EVENTS.has(out.event.type)) return true;
      const size = out.json().length + DETACHED_OVERHEAD;
      if (this.#pendingBytes + size > this.#outboundBytes) return false;
      this.#pending.push(out);
      this.#pendingBytes += size;
      return true;
    }
    const size = sink.size(out);
    if (this.#queueBytes + size + sink.buffered > this.#outboundBytes) {
      return false;
    }
    this.#queue[this.#count++] = out;
    this.#queueBytes += size;
    if (!this.#scheduled) {
      this.#scheduled = true;
      scheduleFlush(this);
    }
    return true;
  }

  /** End: write what is queued (`flush`) or drop it, and close the stream. */
  close(flush: boolean): void {
    if (flush) this.flush();
    this.#release();
    this.#pending = [];
    const sink = this.#sink;
    this.#sink = undefined;
    sink?.close(flush);
  }

  /**
   * Write what is queued to the stream, as one batch (the flush rounds call
   * it once per turn; attach, detach and close call it at once).
   */
  flush(): void {
    this.#scheduled = false;
    const n = this.#count, queue = this.#queue as Outgoing[];
    if (n === 0 || this.#sink === undefined) return;
    this.#queueBytes = 0;
    // Ids grow in the order events are fanned out: the last numbered event
    // of the batch has the highest. (Only sessions that replay use it.)
    const replay = this.#replay;
    for (let i = n - 1; this.#replays && i >= 0; i--) {
      const id = replay.idOf(queue[i]!.event);
      if (id === undefined) continue;
      if (id > this.cursor) this.cursor = id;
      break;
    }
    this.#sink.write(queue, n);
    this.#release();
  }

  /** Empty the queue's slots (keeping no event alive), keeping the array. */
  #release(): void {
    const n = this.#count;
    this.#count = 0;
    this.#queueBytes = 0;
    if (n > 4096) this.#queue = [];
    else for (let i = 0; i < n; i++) this.#queue[i] = undefined;
  }
}

/** Events about the member itself, which it was never sent live. */
function isOwn(out: Outgoing, name: string): boolean {
  const e = out.event;
  return (e.type === "message" && e.from === name) ||
    ((e.type === "joined" || e.type === "left") && e.name === name);
}
