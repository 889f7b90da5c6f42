/**
 * The round-trip estimate of a datagram client, sans-IO: RFC 6298's
 * smoothed round-trip time and variance, and the retransmission timeout
 * they give, bounded to {@link MIN_RTO}..{@link MAX_RTO}. Samples come
 * from datagrams sent once only (Karn), the caller's business.
 *
 * @module
 */

/** Shortest retransmission timeout, in ms. */
export const MIN_RTO = 200;
/** Longest retransmission timeout, in ms, backoff included. */
export const MAX_RTO = 4000;

/**
 * A round-trip estimate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rtt = new RoundTrip();
 * assert.equal(rtt.rto, 500);
 * rtt.sample(100);
 * assert.equal(rtt.rto, 300);
 * ```
 */
export class RoundTrip {
  #srtt = 0;
  #rttvar = 0;
  #rto = 500;

  /** The retransmission timeout, in ms (500 before any sample). */
  get rto(): number {
    return this.#rto;
  }

  /** RFC 6298 round-trip estimate from one sample (Karn: first sends only). */
  sample(rtt: number): void {
    if (this.#srtt === 0) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    const rto = this.#srtt + Math.max(10, 4 * this.#rttvar);
    this.#rto = Math.min(MAX_RTO, Math.max(MIN_RTO, rto));
  }
}
