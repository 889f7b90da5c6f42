/**
 * The limits of the datagram transport (UDP), sans-IO: datagram sizes, the
 * window of unacknowledged datagrams, timeouts, rates and handshakes, with
 * their defaults and checks. The rest of the transport is beside it in
 * core/datagram/; docs/protocol.md ("UDP") is the spec.
 *
 * @module
 */

import { isLoopbackHost } from "../loopback.ts";

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
