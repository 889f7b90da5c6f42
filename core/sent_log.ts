/**
 * What a resumable member was sent: each event after its WELCOME gets the
 * next number, and the latest ones are kept (bounded by count and bytes) so
 * that a member coming back after a dropped connection gets exactly the
 * events after the last one it received (docs/protocol.md, "History and
 * resume"). Events are kept by reference: they are the fan-out's shared
 * {@link Outgoing}s, so keeping one encodes nothing and copies nothing.
 *
 * @module
 */

import { HistoryRing } from "./history_ring.ts";
import type { Outgoing } from "./peer.ts";

/** Bounds of a {@link SentLog}. */
export interface SentLogBounds {
  /** Events kept. */
  readonly events: number;
  /** Bytes kept (estimated from the events' strings, `Outgoing.size`). */
  readonly bytes: number;
}

/** The events after a number, as {@link SentLog.after} finds them. */
export interface Replay {
  /** The number of the event before the first of `events`. */
  readonly seq: number;
  /** Events after the number asked for that are no longer kept. */
  readonly lost: number;
  /** The events kept after it, oldest first. */
  readonly events: readonly Outgoing[];
}

/**
 * A member's numbered events, the latest kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outgoing } from "./peer.ts";
 * const log = new SentLog({ events: 2, bytes: 1 << 20 });
 * for (const nonce of [1, 2, 3]) log.record(new Outgoing({ type: "pong", nonce }));
 * assert.equal(log.seq, 3);
 * const replay = log.after(0);
 * assert.equal(replay.lost, 1);
 * assert.equal(replay.seq, 1);
 * assert.deepEqual(replay.events.map((o) => o.event), [
 *   { type: "pong", nonce: 2 },
 *   { type: "pong", nonce: 3 },
 * ]);
 * assert.deepEqual(log.after(3).events, []);
 * ```
 */
export class SentLog {
  readonly #ring: HistoryRing<Outgoing>;
  #seq: number;
  #floor = 0;

  /**
   * Create a new instance.
   * @param bounds Events and bytes kept.
   * @param seq The number of the last event already sent. @default {0}
   */
  constructor(bounds: SentLogBounds, seq = 0) {
    this.#ring = new HistoryRing({
      maxItems: bounds.events,
      maxBytes: bounds.bytes,
    });
    this.#seq = seq;
  }

  /** The number of the last event recorded. */
  get seq(): number {
    return this.#seq;
  }

  /** Events kept. */
  get length(): number {
    return this.#ring.length;
  }

  /** Give the next number to an event and keep it. */
  record(out: Outgoing): void {
    this.#seq++;
    this.#ring.push(out, out.size());
  }

  /**
   * The member entered another room: forget the events kept, and give
   * nothing from before now to a resume (nor count it lost: the new
   * WELCOME describes the new room).
   */
  restart(): void {
    this.#ring.clear();
    this.#floor = this.#seq;
  }

  /**
   * The events after number `seen` (a client's last received event).
   * A number beyond the last one sent counts as the last one; one from
   * before the member's current room counts as its entry.
   *
   * @param seen The number of the last event the client received.
   * @returns The events kept after it, and how many after it are gone.
   */
  after(seen: number): Replay {
    const last = this.#seq;
    const first = last - this.#ring.length + 1;
    const from = Math.min(Math.max(this.#floor, Math.floor(seen)), last);
    if (from >= first - 1) {
      return { seq: from, lost: 0, events: this.#ring.items(from - first + 1) };
    }
    return {
      seq: first - 1,
      lost: first - 1 - from,
      events: this.#ring.items(),
    };
  }
}
