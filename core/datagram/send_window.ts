/**
 * The send window of a datagram client, sans-IO: commands queued (or
 * refused: too large for a datagram, too many waiting), packed
 * into sequence-numbered datagrams while at most {@link WINDOW} are
 * unacknowledged, and sent again with exponential backoff until an ACK
 * covers them or they run out of tries. The server's side is
 * core/datagram/inbound_window.ts; core/datagram/client.ts uses this one.
 *
 * @module
 */

import { type Command, encodeFrame } from "../codec/mod.ts";
import type { ErrorEvent } from "../events.ts";
import { WINDOW } from "./limits.ts";
import { encodeEnvelope, ENVELOPE_SIZE } from "./frames.ts";
import { packFrames } from "./pack.ts";
import { MAX_RTO, type RoundTrip } from "./round_trip.ts";

/** Commands that may wait to be sent. */
const MAX_QUEUED = 4096;

/** A datagram sent and not acknowledged yet. */
export interface Outstanding {
  /** The datagram. */
  readonly bytes: Uint8Array;
  /** When it was first sent. */
  readonly first: number;
  /** Sends so far. */
  tries: number;
  /** When to send it again. */
  due: number;
}

/** Options of a {@link SendWindow}. */
export interface SendWindowOptions {
  /** Sends of one datagram before giving up on the server. */
  readonly maxTries: number;
  /** Send one datagram (at clock time `now`). */
  send(bytes: Uint8Array, now: number): void;
  /** The round-trip estimate, sampled here and by the HELLO. */
  readonly rtt: RoundTrip;
}

/**
 * The client-to-server direction of a datagram session.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RoundTrip } from "./round_trip.ts";
 * const sent: Uint8Array[] = [];
 * const w = new SendWindow({
 *   maxTries: 8,
 *   send: (b) => sent.push(b),
 *   rtt: new RoundTrip(),
 * });
 * w.push({ type: "ping", nonce: 1 }, 1200);
 * w.flush(0, 1200, new Uint8Array(16));
 * assert.equal(sent.length, 1);
 * w.acked(1, 0, 50);
 * assert.ok(w.idle);
 * ```
 */
export class SendWindow {
  readonly #maxTries: number;
  readonly #send: (bytes: Uint8Array, now: number) => void;
  readonly #rtt: RoundTrip;
  readonly #unacked = new Map<number, Outstanding>();
  #queue: Uint8Array[] = [];
  #nextSeq = 1;

  /** @param options Tries, the send function and the round-trip estimate. */
  constructor(options: SendWindowOptions) {
    this.#maxTries = options.maxTries;
    this.#send = options.send;
    this.#rtt = options.rtt;
  }

  /** True when nothing is waiting to be sent or acknowledged. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#unacked.size === 0;
  }

  /** Sends of one datagram before giving up on the server. */
  get maxTries(): number {
    return this.#maxTries;
  }

  /** The retransmission timeout now (before any backoff), in ms. */
  get rto(): number {
    return this.#rtt.rto;
  }

  /** Frames queued and not sent yet. */
  get queued(): number {
    return this.#queue.length;
  }

  /** The sequence number of the latest datagram sent (0: none yet). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** True when the datagram `seq` was sent and has been acknowledged. */
  acknowledged(seq: number): boolean {
    return seq < this.#nextSeq && !this.#unacked.has(seq);
  }

  /**
   * Queue a command, or say why not: it does not fit a datagram, or too
   * many wait already.
   *
   * @param command The command.
   * @param size Largest datagram.
   * @returns The error to tell the user, if the command is refused.
   */
  push(command: Command, size: number): ErrorEvent | undefined {
    const frame = encodeFrame(command);
    if (frame.length > size - ENVELOPE_SIZE) {
      return {
        type: "error",
        code: "DATAGRAM_TOO_LARGE",
        message:
          `Cannot send ${command.type}: ${frame.length} bytes do not fit a ${size}-byte datagram`,
        fatal: false,
      };
    }
    if (this.#queue.length >= MAX_QUEUED) {
      return {
        type: "error",
        code: "RATE_LIMITED",
        message:
          `Cannot send ${command.type}: ${MAX_QUEUED} commands are already waiting`,
        fatal: false,
      };
    }
    this.#queue.push(frame);
    return undefined;
  }

  /**
   * Send queued frames, packed behind an ENVELOPE, as far as the window of
   * unacknowledged datagrams allows.
   *
   * @param now The clock.
   * @param size Largest datagram.
   * @param token The session token's 16 bytes.
   */
  flush(now: number, size: number, token: Uint8Array): void {
    while (this.#queue.length > 0 && this.#unacked.size < WINDOW) {
      let n = 0, length = ENVELOPE_SIZE;
      while (
        n < this.#queue.length && length + this.#queue[n]!.length <= size
      ) length += this.#queue[n++]!.length;
      const frames = this.#queue.splice(0, n);
      const seq = this.#nextSeq++;
      const head = encodeEnvelope(token, seq);
      const [bytes] = packFrames(frames, size, () => head);
      this.#unacked.set(seq, {
        bytes: bytes!,
        first: now,
        tries: 1,
        due: now + this.#rtt.rto,
      });
      this.#send(bytes!, now);
    }
  }

  /** An ACK from the server: forget what it covers. */
  acked(ack: number, mask: number, now: number): void {
    for (const [seq, o] of this.#unacked) {
      const bit = seq - ack - 1;
      if (seq <= ack || (bit < 32 && (mask >>> bit) & 1)) {
        if (o.tries === 1) this.#rtt.sample(now - o.first);
        this.#unacked.delete(seq);
      }
    }
  }

  /**
   * Send again what is due. Stops at a datagram that has had all its tries
   * and returns their number: the server is gone.
   */
  retransmit(now: number): number | undefined {
    for (const o of this.#unacked.values()) {
      if (now < o.due) continue;
      if (o.tries >= this.#maxTries) return o.tries;
      o.tries++;
      o.due = now + Math.min(MAX_RTO, this.#rtt.rto * 2 ** (o.tries - 1));
      this.#send(o.bytes, now);
    }
    return undefined;
  }

  /** The earlier of `wake` and the next retransmission. */
  wake(wake: number): number {
    for (const o of this.#unacked.values()) wake = Math.min(wake, o.due);
    return wake;
  }

  /** Drop everything queued or unacknowledged. */
  clear(): void {
    this.#unacked.clear();
    this.#queue = [];
  }
}
