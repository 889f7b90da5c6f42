/**
 * The seam between an HTTP member and the stream its events go out on:
 * adapters/http/sse.ts and adapters/http/ws.ts each implement
 * {@link EventSink}; adapters/http/event_feed.ts writes to it.
 *
 * @module
 */

import type { Outgoing } from "../../core/peer.ts";

/** One event for a stream, with its id when it is a numbered room event. */
export interface SinkItem {
  /** The event, shared with the other recipients. */
  readonly out: Outgoing;
  /** Its id, for `Last-Event-ID`. */
  readonly id: number | undefined;
}

/** Where an attached stream takes events. */
export interface EventSink {
  /** Which kind of stream. */
  readonly kind: "sse" | "ws";
  /** Bytes written and not yet taken by the client (about). */
  readonly buffered: number;
  /** Write events, in order, as one batch. */
  write(items: readonly SinkItem[]): void;
  /** Tell the client that events after `after` up to `lostUpTo` are gone. */
  gap?(after: number, lostUpTo: number): void;
  /** Keep an idle stream alive. */
  heartbeat?(): void;
  /** End the stream: after what is queued (`flush`), or at once. */
  close(flush: boolean): void;
}
