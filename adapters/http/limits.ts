/**
 * Limits and timings of the HTTP adapter (body size, idle timeout,
 * heartbeats, linger, the connections' request and keep-alive timeouts),
 * their defaults, and how overrides are applied. How
 * long a member whose stream went away keeps its place, and how many events
 * it gets back, are the core's limits (`resumeGraceMs`, `replayEvents`),
 * the same on every transport.
 *
 * @module
 */

/** Limits and timings of the HTTP adapter. */
export interface HttpLimits {
  /** Largest request body, in bytes. @default {65536} */
  maxBodyBytes: number;
  /** A session with no stream and no requests ends after this, in ms. @default {60000} */
  idleTimeoutMs: number;
  /** Interval of SSE heartbeats, in ms. @default {15000} */
  heartbeatMs: number;
  /** Time to finish writing to a stream being closed, in ms. @default {2000} */
  lingerMs: number;
  /**
   * Time for a request's head and body to arrive, from its first byte (from
   * connecting, for a connection's first request), until the server
   * answers; past it the connection is closed, in ms. @default {10000}
   */
  requestTimeoutMs: number;
  /**
   * An HTTP connection with no request under way and nothing sent either
   * way is closed after this, in ms (an event stream stays open while its
   * heartbeats flow; a WebSocket is timed by `wsIdleMs`). @default {30000}
   */
  keepAliveMs: number;
  /**
   * A WebSocket whose client has sent nothing (pongs count) for this long
   * is closed; it is pinged after half of it, in ms. @default {60000}
   */
  wsIdleMs: number;
}

/** The defaults of {@link HttpLimits}. */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBodyBytes: 64 * 1024,
  idleTimeoutMs: 60_000,
  heartbeatMs: 15_000,
  lingerMs: 2000,
  requestTimeoutMs: 10_000,
  keepAliveMs: 30_000,
  wsIdleMs: 60_000,
};

/**
 * The limits in force: the defaults with the overrides that are set.
 *
 * @param overrides Limits to override; undefined values keep the default.
 * @returns A full set of limits.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const limits = resolveHttpLimits({ heartbeatMs: 1000 });
 * assert.equal(limits.heartbeatMs, 1000);
 * assert.equal(limits.lingerMs, 2000);
 * ```
 */
export function resolveHttpLimits(
  overrides: Partial<HttpLimits> | undefined,
): HttpLimits {
  return { ...DEFAULT_HTTP_LIMITS, ...definedOnly(overrides) };
}

function definedOnly<T extends object>(o: Partial<T> | undefined): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o ?? {})) {
    if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}
