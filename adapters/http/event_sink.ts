/**
 * The seam between an HTTP member and the stream its events go out on:
 * adapters/http/sse.ts and adapters/http/ws_sink.ts each implement
 * {@link EventSink}; adapters/http/event_feed.ts writes to it, once per
 * event-loop turn.
 *
 * @module
 */

import type { Outgoing } from "../../core/peer.ts";

/** Where an attached stream takes events. */
export interface EventSink {
  /** Which kind of stream. */
  readonly kind: "sse" | "ws";
  /**
   * Bytes written and not yet taken by the client (about; a cheap read, as
   * it is asked for every event).
   */
  readonly buffered: number;
  /** Bytes an event takes on this stream, for the member's outbound bound. */
  size(out: Outgoing): number;
  /**
   * Write the events of one turn, in order, as one batch: the first `count`
   * of `batch`, with their numbers in the member's stream in `ids` (the SSE
   * `id:`; undefined for a WELCOME). The arrays are the caller's again once
   * this returns.
   */
  write(
    batch: readonly Outgoing[],
    count: number,
    ids: readonly (number | undefined)[],
  ): void;
  /** Tell the client that events after `after` up to `lostUpTo` are gone. */
  gap?(after: number, lostUpTo: number): void;
  /** Keep an idle stream alive. */
  heartbeat?(): void;
  /** End the stream: after what is queued (`flush`), or at once. */
  close(flush: boolean): void;
}
