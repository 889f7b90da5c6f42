/**
 * Building blocks of the datagram transport (UDP), sans-IO: addresses, the
 * limits, a token bucket, and the receive window that makes client-to-server
 * delivery reliable and exactly-once (packing is in core/datagram/pack.ts).
 * core/datagram/server.ts and core/datagram/client.ts put them together;
 * docs/protocol.md ("UDP") is the spec.
 *
 * @module
 */

import type { Decoded } from "../codec/mod.ts";

/** Default largest datagram, in bytes: fits any path with an IPv6-sized MTU. */
export const DEFAULT_DATAGRAM_SIZE = 1200;
/** Smallest datagram size the server can be set to. */
export const MIN_DATAGRAM_SIZE = 512;
/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM_SIZE = 65507;
/**
 * Smallest datagram that may open a session (HELLO without a token): the
 * answer is smaller, so a forged HELLO cannot make the server an amplifier.
 */
export const MIN_HELLO_DATAGRAM = 256;
/** Client datagrams that may be outstanding (sent, not yet acknowledged). */
export const WINDOW = 32;

/** Limits of the datagram transport. */
export interface DatagramLimits {
  /** Largest datagram accepted and sent, in bytes. @default {1200} */
  readonly datagramSize: number;
  /** Silence after which a binary member is removed, in ms. @default {30000} */
  readonly idleTimeoutMs: number;
  /**
   * Silence after which a text member (`nc -u`) is removed, in ms; 0 turns
   * text mode over UDP off. @default {600000}
   */
  readonly textIdleTimeoutMs: number;
  /**
   * Datagrams per second from one address, and from one session; bursts of
   * twice as many. 0 turns the limit off. @default {100}
   */
  readonly datagramsPerSecond: number;
  /** Sessions that said HELLO but have not used their token yet. @default {1024} */
  readonly handshakes: number;
}

/** The default datagram limits. */
export const DEFAULT_DATAGRAM_LIMITS: DatagramLimits = {
  datagramSize: DEFAULT_DATAGRAM_SIZE,
  idleTimeoutMs: 30_000,
  textIdleTimeoutMs: 600_000,
  datagramsPerSecond: 100,
  handshakes: 1024,
};

/**
 * Whether a host to bind is a loopback address: `localhost`, 127.0.0.0/8
 * (also IPv4-mapped, `::ffff:127.0.0.1`) or `::1`. Any other form,
 * wildcards (`0.0.0.0`, `::`) included, is not.
 *
 * @param hostname The host, as given to bind (brackets allowed).
 * @returns True for a loopback host.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.ok(isLoopbackHost("127.0.0.1") && isLoopbackHost("[::1]"));
 * assert.ok(!isLoopbackHost("0.0.0.0") && !isLoopbackHost("192.168.1.2"));
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = host.replace(/^(?:0{0,4}:){5}ffff:/, "").replace(/^::ffff:/, "");
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4)) {
    return v4.split(".").every((p) => Number(p) <= 255);
  }
  return /^(?:0{0,4}:){7}0{0,3}1$/.test(host) ||
    /^(?:0{0,4}:){0,6}:0{0,3}1$/.test(host);
}

/**
 * The text-session timeout (`textIdleTimeoutMs`) of a UDP listener on
 * `hostname` when none is given. Text mode over UDP (`nc -u`) has no token,
 * so a forged source address gets a session and the room's traffic: it is
 * on (600 s) on a loopback address, where only local programs can send, and
 * off (0) on any other.
 *
 * @param hostname The host the listener binds.
 * @returns The timeout in ms; 0 is off.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(defaultTextIdleTimeoutMs("127.0.0.1"), 600_000);
 * assert.equal(defaultTextIdleTimeoutMs("0.0.0.0"), 0);
 * ```
 */
export function defaultTextIdleTimeoutMs(hostname: string): number {
  return isLoopbackHost(hostname)
    ? DEFAULT_DATAGRAM_LIMITS.textIdleTimeoutMs
    : 0;
}

/**
 * Fill in defaults and check values.
 *
 * @param given Limits to override.
 * @returns Complete limits.
 * @throws {RangeError} When a value is out of range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(resolveDatagramLimits({}).datagramSize, 1200);
 * assert.throws(() => resolveDatagramLimits({ datagramSize: 100 }), RangeError);
 * ```
 */
export function resolveDatagramLimits(
  given: Partial<DatagramLimits> = {},
): DatagramLimits {
  const limits = { ...DEFAULT_DATAGRAM_LIMITS };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(DEFAULT_DATAGRAM_LIMITS, key)) {
      throw new RangeError(`Cannot set datagram limit "${key}": no such limit`);
    }
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot set datagram limit "${key}": ${value} is not a whole number >= 0`,
      );
    }
    (limits as Record<string, number>)[key] = value;
  }
  const size = limits.datagramSize;
  if (size < MIN_DATAGRAM_SIZE || size > MAX_DATAGRAM_SIZE) {
    throw new RangeError(
      `Cannot set datagram limit "datagramSize": ${size} is not within ${MIN_DATAGRAM_SIZE}..${MAX_DATAGRAM_SIZE}`,
    );
  }
  if (limits.idleTimeoutMs < 1000) {
    throw new RangeError(
      `Cannot set datagram limit "idleTimeoutMs": ${limits.idleTimeoutMs} is below 1000`,
    );
  }
  if (limits.handshakes < 1) {
    throw new RangeError(
      'Cannot set datagram limit "handshakes": it must be >= 1',
    );
  }
  return limits;
}

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

/** Where a datagram came from or goes to. */
export interface DatagramAddress {
  /** IP address. */
  readonly address: string;
  /** UDP port. */
  readonly port: number;
}

/**
 * An address as one string: `1.2.3.4:5678` or `[::1]:5678`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(addressKey({ address: "::1", port: 7 }), "[::1]:7");
 * ```
 */
export function addressKey(a: DatagramAddress): string {
  return a.address.includes(":")
    ? `[${a.address}]:${a.port}`
    : `${a.address}:${a.port}`;
}
