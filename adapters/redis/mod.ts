/**
 * Rooms shared by several nodes through Redis: name claims under a lease,
 * events over pub/sub, catch-up after a gap.
 *
 * @module
 */

export { DEFAULT_LEASE_MS, MIN_LEASE_MS, RedisBackplane } from "./backplane.ts";
export type { RedisBackplaneOptions } from "./backplane.ts";
