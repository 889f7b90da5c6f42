/**
 * The client-to-server half of the kit's UDP client (udp_client.ts), from
 * docs/protocol.md 12.4: commands packed into numbered datagrams behind an
 * ENVELOPE, each kept and sent again with backoff until an ACK covers it,
 * a bounded number of times.
 *
 * @module
 */

import { encodeFrame } from "../../core/codec/mod.ts";
import { concat } from "./wire.ts";

const ENVELOPE = 26;
const RTO_MS = 300;
const MAX_RTO_MS = 2000;

/** Options of a {@link UdpSender}. */
export interface UdpSenderOptions {
  /** Put one datagram on the wire. */
  send(bytes: Uint8Array): void;
  /** Sends of one datagram before giving up. */
  readonly tries: number;
}

interface Unacked {
  readonly bytes: Uint8Array;
  tries: number;
  due: number;
}

/** Numbered datagrams of one session, until acknowledged. */
export class UdpSender {
  /** The session token (32 hex digits), once the session is open. */
  token = "";
  /** Largest datagram: the server's `max_datagram`. */
  size = 1200;
  /** When a datagram was last sent (Date.now). */
  lastSent = 0;
  readonly #send: (bytes: Uint8Array) => void;
  readonly #tries: number;
  readonly #unacked = new Map<number, Unacked>();
  #queue: Uint8Array[] = [];
  #seq = 0;

  /** @param options The socket's send function, and the tries allowed. */
  constructor(options: UdpSenderOptions) {
    this.#send = options.send;
    this.#tries = options.tries;
  }

  /** Queue a frame for the next {@link UdpSender.flush}. */
  queue(frame: Uint8Array): void {
    this.#queue.push(frame);
  }

  /**
   * Send what is queued, packed into as few numbered datagrams as fit.
   *
   * @returns The number of the last datagram sent (0: none yet).
   */
  flush(): number {
    while (this.#queue.length > 0 && this.token !== "") {
      let n = 0, length = ENVELOPE;
      while (
        n < this.#queue.length &&
        (n === 0 || length + this.#queue[n]!.length <= this.size)
      ) length += this.#queue[n++]!.length;
      this.numbered(concat(...this.#queue.splice(0, n)));
    }
    return this.#seq;
  }

  /**
   * Send `frames` as they are in one numbered datagram.
   *
   * @returns Its number.
   */
  numbered(frames: Uint8Array): number {
    const seq = ++this.#seq;
    const bytes = concat(
      encodeFrame({ type: "envelope", token: this.token, seq }),
      frames,
    );
    this.#unacked.set(seq, { bytes, tries: 1, due: Date.now() + RTO_MS });
    this.transmit(bytes);
    return seq;
  }

  /** Send `frames` in a datagram with seq 0 (not acknowledged). */
  unreliable(...frames: Uint8Array[]): void {
    this.transmit(concat(
      encodeFrame({ type: "envelope", token: this.token, seq: 0 }),
      ...frames,
    ));
  }

  /** Put bytes on the wire as they are. */
  transmit(bytes: Uint8Array): void {
    this.lastSent = Date.now();
    this.#send(bytes);
  }

  /** An ACK: forget every datagram it covers. */
  acked(ack: number, mask: number): void {
    for (const seq of [...this.#unacked.keys()]) {
      const bit = seq - ack - 1;
      if (seq <= ack || (bit < 32 && (mask >>> bit) & 1)) {
        this.#unacked.delete(seq);
      }
    }
  }

  /** True when datagram `seq` was sent and has been acknowledged. */
  acknowledged(seq: number): boolean {
    return seq > 0 && seq <= this.#seq && !this.#unacked.has(seq);
  }

  /**
   * Send again what is due.
   *
   * @returns Why the session cannot go on, when a datagram had its tries.
   */
  retransmit(now: number): string | undefined {
    for (const u of this.#unacked.values()) {
      if (now < u.due) continue;
      if (u.tries >= this.#tries) {
        return `no acknowledgement after ${u.tries} sends`;
      }
      u.tries++;
      u.due = now + Math.min(MAX_RTO_MS, RTO_MS * 2 ** (u.tries - 1));
      this.transmit(u.bytes);
    }
    return undefined;
  }

  /** Drop everything. */
  clear(): void {
    this.#unacked.clear();
    this.#queue = [];
  }
}
