/**
 * The server-to-client direction of a datagram session, client side,
 * sans-IO: the frames after a SEQ read as events numbered from its seq,
 * each handed on once, gaps counted as lost (the server does not send
 * events again), and ACKs in the same datagram passed to the send window.
 * core/datagram/client.ts uses it; docs/protocol.md ("UDP") is the spec.
 *
 * @module
 */

import type { Decoded } from "../codec/mod.ts";
import { FrameError } from "../errors.ts";
import { type ChatEvent, isEventType } from "../events.ts";
import type { SendWindow } from "./send_window.ts";

/** Options of an {@link EventSequence}. */
export interface EventSequenceOptions {
  /** Told how many server events were lost when a gap is seen. */
  lost(count: number): void;
}

/** The numbering of the events a server sends one client. */
export class EventSequence {
  readonly #lost: (count: number) => void;
  #expected = 0;
  #lastLost = 0;

  /** @param options Where lost events are counted. */
  constructor(options: EventSequenceOptions) {
    this.#lost = options.lost;
  }

  /** Events lost just before the datagram read last. */
  get lastLost(): number {
    return this.#lastLost;
  }

  /** The session is open: its first event has number `seq`. */
  open(seq: number): void {
    this.#expected = seq;
  }

  /**
   * The events of a datagram from the server not seen before, in order;
   * null for a frame type from a newer server, skipped but counted (it took
   * an event number; docs/protocol.md, forward compatibility).
   *
   * @param seq The number of its first event (its SEQ).
   * @param frames Its frames, the SEQ first.
   * @param window Where its ACKs go.
   * @param now The clock.
   */
  read(
    seq: number,
    frames: readonly Decoded[],
    window: SendWindow,
    now: number,
  ): (ChatEvent | null)[] {
    const events: (ChatEvent | null)[] = [];
    for (const f of frames.slice(1)) {
      if (f instanceof FrameError && f.code === "UNKNOWN_TYPE") {
        events.push(null);
      } else if (f instanceof FrameError) {
        events.push({
          type: "error",
          code: f.code,
          message: `Cannot read server frame: ${f.message}`,
          fatal: false,
        });
      } else if (f.type === "ack") window.acked(f.ack, f.mask, now);
      else if (isEventType(f.type)) events.push(f as ChatEvent);
    }
    this.#lastLost = 0;
    if (seq + events.length <= this.#expected) return [];
    const skip = Math.max(0, this.#expected - seq);
    if (seq > this.#expected) {
      this.#lastLost = seq - this.#expected;
      this.#lost(this.#lastLost);
    }
    this.#expected = seq + events.length;
    return events.slice(skip);
  }
}
