/**
 * The receive window of a datagram session, sans-IO: what makes the
 * client-to-server direction reliable and exactly-once. The server
 * acknowledges with its {@link InboundWindow.ack} and
 * {@link InboundWindow.mask}; docs/protocol.md ("UDP") is the spec.
 *
 * @module
 */

import type { Decoded } from "../codec/mod.ts";
import { WINDOW } from "./limits.ts";

/** What became of a datagram given to an {@link InboundWindow}. */
export type WindowResult =
  /** In order: handle these batches now (it and any held ones it freed). */
  | { readonly status: "new"; readonly ready: readonly (readonly Decoded[])[] }
  /** Seen before: acknowledge again, handle nothing. */
  | { readonly status: "duplicate" }
  /** Ahead of a gap: held until the gap is filled. */
  | { readonly status: "held" }
  /** Too far ahead of the window: dropped unacknowledged. */
  | { readonly status: "outside" };

/**
 * The server's view of one session's client datagrams: each sequence number
 * is handled exactly once and in order. A datagram ahead of a gap is held
 * (up to {@link WINDOW} - 1 of them) until the gap is filled by a
 * retransmission; one seen before is reported as a duplicate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w = new InboundWindow();
 * assert.equal(w.receive(2, []).status, "held");
 * const r = w.receive(1, []);
 * assert.equal(r.status === "new" && r.ready.length, 2);
 * assert.equal(w.receive(1, []).status, "duplicate");
 * assert.deepEqual([w.ack, w.mask], [2, 0]);
 * ```
 */
export class InboundWindow {
  #next = 1;
  readonly #held = new Map<number, readonly Decoded[]>();

  /** Highest seq handled with every seq below it. */
  get ack(): number {
    return this.#next - 1;
  }

  /** Held seqs above {@link InboundWindow.ack}: bit i is seq ack + 1 + i. */
  get mask(): number {
    let mask = 0;
    for (const seq of this.#held.keys()) mask |= 1 << (seq - this.#next);
    return mask >>> 0;
  }

  /**
   * Take a datagram's frames (after its envelope).
   *
   * @param seq Its sequence number (1 or more).
   * @param frames Its decoded frames.
   */
  receive(seq: number, frames: readonly Decoded[]): WindowResult {
    if (seq < this.#next || this.#held.has(seq)) return { status: "duplicate" };
    if (seq >= this.#next + WINDOW) return { status: "outside" };
    if (seq > this.#next) {
      this.#held.set(seq, frames);
      return { status: "held" };
    }
    const ready = [frames];
    this.#next++;
    for (;;) {
      const next = this.#held.get(this.#next);
      if (next === undefined) break;
      this.#held.delete(this.#next);
      ready.push(next);
      this.#next++;
    }
    return { status: "new", ready };
  }
}
