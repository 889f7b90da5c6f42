/**
 * The events of one HTTP member on their way to whichever stream is
 * attached (Server-Sent Events or a WebSocket): queued and written in one
 * batch per microtask, bounded by the member's outbound bytes. Events are
 * numbered by the core (the member's sent log, core/sent_log.ts), and the
 * number is the SSE event id: events a member misses while no stream is
 * attached are not queued here, they come back from that log when a stream
 * attaches (`Last-Event-ID`). adapters/http/session.ts owns one per session.
 *
 * @module
 */

import type { Outgoing } from "../../core/peer.ts";
import type { Replay } from "../../core/sent_log.ts";
import type { EventSink, SinkItem } from "./event_sink.ts";

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
  #queue: SinkItem[] = [];
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
    this.#flush();
    const items: SinkItem[] = this.#pending.map((out) => ({
      out,
      id: undefined,
    }));
    this.#pending = [];
    this.#pendingBytes = 0;
    const from = after ?? this.cursor;
    const replay = source?.sentAfter(from);
    if (replay !== undefined) {
      if (replay.lost > 0) sink.gap?.(replay.seq - replay.lost, replay.seq);
      let id = replay.seq;
      for (const out of replay.events) items.push({ out, id: ++id });
      this.cursor = id;
    }
    if (items.length > 0) sink.write(items);
  }

  /**
   * The stream went away: write what is queued.
   *
   * @returns False when `sink` was not the attached stream.
   */
  detach(sink: EventSink): boolean {
    if (this.#sink !== sink) return false;
    this.#flush();
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
    const size = out.json().length + 32;
    if (this.#sink === undefined) {
      if (seq !== undefined) return true;
      if (this.#pendingBytes + size > this.#outboundBytes) return false;
      this.#pending.push(out);
      this.#pendingBytes += size;
      return true;
    }
    if (this.#queueBytes + size + this.#sink.buffered > this.#outboundBytes) {
      return false;
    }
    this.#queue.push({ out, id: seq });
    this.#queueBytes += size;
    if (seq !== undefined && seq > this.cursor) this.cursor = seq;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
    return true;
  }

  /** End: write what is queued (`flush`) or drop it, and close the stream. */
  close(flush: boolean): void {
    if (flush) this.#flush();
    this.#queue = [];
    this.#pending = [];
    const sink = this.#sink;
    this.#sink = undefined;
    sink?.close(flush);
  }

  #flush = (): void => {
    this.#scheduled = false;
    const queue = this.#queue;
    if (queue.length === 0 || this.#sink === undefined) return;
    this.#queue = [];
    this.#queueBytes = 0;
    this.#sink.write(queue);
  };
}
