/**
 * The heartbeat of a datagram client, sans-IO: a PING (in an unreliable
 * datagram, ENVELOPE seq 0) when nothing else was sent for `ping_ms`, and
 * the session given up when nothing was heard from the server for
 * `idle_ms` (both from the server's TOKEN). core/datagram/client.ts uses
 * it; docs/protocol.md ("Heartbeats, timeouts, leaving") is the spec.
 *
 * @module
 */

import { encodeFrame } from "../codec/mod.ts";
import { encodeEnvelope } from "./frames.ts";
import { packFrames } from "./pack.ts";

/**
 * When a client last sent and last heard, and what that calls for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const beat = new Heartbeat();
 * beat.open(3000, 1000, 0);
 * assert.equal(beat.ping(500, new Uint8Array(16), 1200), undefined);
 * assert.equal(beat.ping(1000, new Uint8Array(16), 1200)?.length, 36);
 * assert.match(beat.silent(3000) ?? "", /nothing for 3 s/);
 * ```
 */
export class Heartbeat {
  #idleMs = 30_000;
  #pingMs = 10_000;
  #nonce = 0;
  #lastSent = 0;
  #lastHeard = 0;

  /**
   * The session is open.
   *
   * @param idleMs Silence after which the server is given up on.
   * @param pingMs Quiet after which to ping.
   * @param now The clock.
   */
  open(idleMs: number, pingMs: number, now: number): void {
    this.#idleMs = idleMs;
    this.#pingMs = pingMs;
    this.#lastHeard = now;
  }

  /** A datagram was sent. */
  sent(now: number): void {
    this.#lastSent = now;
  }

  /** A datagram of the session was heard from the server. */
  heard(now: number): void {
    this.#lastHeard = now;
  }

  /** Why the session is over when the server has been silent too long. */
  silent(now: number): string | undefined {
    if (now - this.#lastHeard < this.#idleMs) return undefined;
    return `Cannot hear the server: nothing for ${
      Math.round(this.#idleMs / 1000)
    } s`;
  }

  /**
   * The PING datagram to send when the client has been quiet for `ping_ms`.
   *
   * @param now The clock.
   * @param token The session token's 16 bytes.
   * @param size Largest datagram.
   */
  ping(now: number, token: Uint8Array, size: number): Uint8Array | undefined {
    if (now - this.#lastSent < this.#pingMs) return undefined;
    const head = encodeEnvelope(token, 0);
    const ping = encodeFrame({ type: "ping", nonce: ++this.#nonce >>> 0 });
    return packFrames([ping], size, () => head)[0];
  }

  /** When to ping or give up next (clock time). */
  wake(): number {
    return Math.min(
      this.#lastSent + this.#pingMs,
      this.#lastHeard + this.#idleMs,
    );
  }
}
