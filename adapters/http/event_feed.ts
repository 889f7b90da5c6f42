/**
 * The events of one HTTP member on their way to whichever stream is
 * attached (Server-Sent Events or a WebSocket): queued and written in one
 * batch per event-loop turn, in the flush rounds every batching transport
 * shares (adapters/flush_rounds.ts), bounded by the member's outbound bytes
 * as the stream counts them (its encoding's size). Events are numbered by
 * the core (the member's sent log, core/sent_log.ts), and the number is the
 * SSE event id: events a member misses while no stream is attached are not
 * queued here, they come back from that log when a stream attaches
 * (`Last-Event-ID`). adapters/http/session.ts owns one per session.
 *
 * @module
 */

import type { Outgoing } from "../../core/peer.ts";
import type { Replay } from "../../core/sent_log.ts";
import { httpRounds } from "../flush_rounds.ts";
import type { EventSink } from "./event_sink.ts";

/** Bytes counted per event besides its JSON while no stream is attached. */
const DETACHED_OVERHEAD = 32;

/** Options of an {@link EventFeed}. */
export interface EventFeedOptions {
  /** Outbound bytes per member before it is cut off. */
  readonly outboundBytes: number;
}

/** Where the numbered events come back from: the core session. */
export interface FeedSource {
  /** The events after number `seen`, or undefined when not numbered. */
  sentAfter(seen: number): Replay | undefined;
}

/** A member's events for its stream, with resume from its sent log. */
export class EventFeed {
  /**
   * The number of the last event given to a stream; a stream attached
   * without `Last-Event-ID` gets the events after it.
   */
  cursor = 0;
  readonly #outboundBytes: number;
  #sink: EventSink | undefined;
  // Slots [0, #count) hold the queued events and their numbers; the arrays
  // are kept between turns (a new one per member per turn was garbage the
  // young generation had to collect, as in core/outbox.ts).
  #queue: (Outgoing | undefined)[] = [];
  #ids: (number | undefined)[] = [];
  #count = 0;
  #queueBytes = 0;
  #scheduled = false;
  #pending: Outgoing[] = [];
  #pendingBytes = 0;

  /** @param options The byte bound. */
  constructor(options: EventFeedOptions) {
    this.#outboundBytes = options.outboundBytes;
  }

  /** The attached stream, if any. */
  get sink(): EventSink | undefined {
    return this.#sink;
  }

  /**
   * Attach a stream: it gets the unnumbered events waiting for it (a
   * WELCOME), the numbered ones after `after` (default: the last one a
   * stream was given) that the log still has, then live events. A stream
   * already attached is closed.
   *
   * @param sink The stream.
   * @param after The last event number the client has (`Last-Event-ID`).
   * @param source The core session, for its sent log.
   */
  attach(
    sink: EventSink,
    after: number | undefined,
    source: FeedSource | undefined,
  ): void {
    const old = this.#sink;
    this.#sink = sink;
    old?.close(true);
    this.flush();
    const items: Outgoing[] = this.#pending;
    const ids: (number | undefined)[] = items.map(() => undefined);
    this.#pending = [];
    this.#pendingBytes = 0;
    const replay = source?.sentAfter(after ?? this.cursor);
    if (replay !== undefined) {
      if (replay.lost > 0) sink.gap?.(replay.seq - replay.lost, replay.seq);
      let id = replay.seq;
      for (const out of replay.events) {
        items.push(out);
        ids.push(++id);
      }
      this.cursor = id;
    }
    if (items.length > 0) sink.write(items, items.length, ids);
  }

  /**
   * The stream went away: write what is queued.
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
   * Queue an event for the stream, or, while none is attached, keep an
   * unnumbered one for the next (a numbered one is in the sent log).
   *
   * @param out The event.
   * @param seq Its number, if numbered.
   * @returns False when the member is over its outbound bytes.
   */
  push(out: Outgoing, seq: number | undefined): boolean {
    const sink = this.#sink;
    if (sink === undefined) {
      if (seq !== undefined) return true;
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
    this.#ids[this.#count] = seq;
    this.#queue[this.#count++] = out;
    this.#queueBytes += size;
    if (seq !== undefined && seq > this.cursor) this.cursor = seq;
    if (!this.#scheduled) {
      this.#scheduled = true;
      httpRounds.schedule(this);
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
    const n = this.#count;
    if (n === 0 || this.#sink === undefined) return;
    this.#queueBytes = 0;
    this.#sink.write(this.#queue as Outgoing[], n, this.#ids);
    this.#release();
  }

  /** Empty the queue's slots (keeping no event alive), keeping the arrays. */
  #release(): void {
    const n = this.#count;
    this.#count = 0;
    this.#queueBytes = 0;
    if (n > 4096) {
      this.#queue = [];
      this.#ids = [];
    } else for (let i = 0; i < n; i++) this.#queue[i] = undefined;
  }
}
