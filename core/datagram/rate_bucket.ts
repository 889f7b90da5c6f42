/**
 * A token bucket, sans-IO: the datagram server's rate limits per source
 * address and per session (core/datagram/server.ts).
 *
 * @module
 */

/**
 * A token bucket: `rate` per second, holding at most `burst`. Time is given
 * by the caller (the chat clock).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const b = new RateBucket(1, 2, 0);
 * assert.deepEqual([b.take(0), b.take(0), b.take(0)], [true, true, false]);
 * assert.equal(b.take(1000), true);
 * ```
 */
export class RateBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /**
   * @param rate Tokens per second; 0 means no limit.
   * @param burst Most tokens held.
   * @param now Current time in ms.
   */
  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Take one token; false when there is none. */
  take(now: number): boolean {
    if (this.#rate === 0) return true;
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when the bucket is full again (the sender has been quiet). */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#burst;
  }

  #refill(now: number): void {
    const t = this.#tokens + ((now - this.#at) * this.#rate) / 1000;
    this.#tokens = Math.min(this.#burst, t);
    this.#at = now;
  }
}
