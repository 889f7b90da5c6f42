/**
 * The opening of a datagram session, client side, sans-IO: a HELLO padded
 * so that the server may answer it (a forged one cannot make the server an
 * amplifier), sent again with backoff a bounded number of times, and the
 * answer that opens the session: a TOKEN beside a SEQ with the same token.
 * core/datagram/client.ts uses it; docs/protocol.md ("UDP") is the spec.
 *
 * @module
 */

import { type Decoded, encodeFrame, PROTOCOL_VERSION } from "../codec/mod.ts";
import { FrameError } from "../errors.ts";
import { MIN_HELLO_DATAGRAM } from "./limits.ts";
import { sameToken, type SeqFrame, type TokenFrame } from "./frames.ts";
import { packFrames } from "./pack.ts";
import type { RoundTrip } from "./round_trip.ts";
import type { Outstanding } from "./send_window.ts";

const HELLO_RTO = 250;

/** Options of a {@link Handshake}. */
export interface HandshakeOptions {
  /** Software name in HELLO. */
  readonly software: string;
  /** Sends of the HELLO before giving up. */
  readonly tries: number;
  /** Send one datagram (at clock time `now`). */
  send(bytes: Uint8Array, now: number): void;
  /** The round-trip estimate: an answer to the first HELLO is a sample. */
  readonly rtt: RoundTrip;
}

/**
 * The HELLO of one client and its answer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RoundTrip } from "./round_trip.ts";
 * const sent: Uint8Array[] = [];
 * const h = new Handshake({
 *   software: "t",
 *   tries: 2,
 *   send: (b) => sent.push(b),
 *   rtt: new RoundTrip(),
 * });
 * h.start(0);
 * assert.equal(sent[0]!.length, 256);
 * assert.deepEqual([h.resend(250), h.resend(750)], [undefined, 2]);
 * ```
 */
export class Handshake {
  readonly #software: string;
  readonly #tries: number;
  readonly #send: (bytes: Uint8Array, now: number) => void;
  readonly #rtt: RoundTrip;
  #hello: Outstanding | undefined;

  /** @param options Software name, tries, send function, estimate. */
  constructor(options: HandshakeOptions) {
    this.#software = options.software;
    this.#tries = options.tries;
    this.#send = options.send;
    this.#rtt = options.rtt;
  }

  /** When to send the HELLO again; undefined when none is waiting. */
  get due(): number | undefined {
    return this.#hello?.due;
  }

  /** Send the opening HELLO, padded so the server may answer it. */
  start(now: number): void {
    const hello = encodeFrame({
      type: "hello",
      version: PROTOCOL_VERSION,
      software: this.#software,
    });
    const pad = encodeFrame({
      type: "pad",
      length: Math.max(0, MIN_HELLO_DATAGRAM - hello.length - 6),
    });
    const [bytes] = packFrames(
      [hello, pad],
      MIN_HELLO_DATAGRAM + 64,
      () => new Uint8Array(0),
    );
    this.#hello = { bytes: bytes!, first: now, tries: 1, due: now + HELLO_RTO };
    this.#send(bytes!, now);
  }

  /**
   * Send the HELLO again when it is due. Returns its number of sends when
   * it has had them all: the server does not answer.
   */
  resend(now: number): number | undefined {
    const hello = this.#hello;
    if (hello === undefined || now < hello.due) return undefined;
    if (hello.tries >= this.#tries) return hello.tries;
    hello.tries++;
    hello.due = now + HELLO_RTO * 2 ** (hello.tries - 1);
    this.#send(hello.bytes, now);
    return undefined;
  }

  /**
   * The TOKEN that answers the HELLO, when a datagram from the server has
   * one with the same token as its SEQ; it ends the handshake.
   *
   * @param first The datagram's SEQ.
   * @param frames All its frames.
   * @param now The clock.
   */
  answer(
    first: SeqFrame,
    frames: readonly Decoded[],
    now: number,
  ): TokenFrame | undefined {
    const token = frames.find((f) =>
      !(f instanceof FrameError) && f.type === "token"
    );
    if (
      token === undefined || token instanceof FrameError ||
      token.type !== "token"
    ) return undefined;
    if (!sameToken(token.token, first.token)) return undefined;
    if (this.#hello?.tries === 1) this.#rtt.sample(now - this.#hello.first);
    this.#hello = undefined;
    return token;
  }
}
