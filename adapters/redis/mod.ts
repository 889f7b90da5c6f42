/**
 * Rooms shared by several nodes through Redis: name claims under a lease,
 * events over pub/sub, catch-up after a gap. Pass a {@link RedisBackplane}
 * as `serve({ backplane })`; `serve --redis URL` does it from the command
 * line. docs/scaling.md has the guarantees and the keys.
 *
 * @example
 * ```ts ignore
 * import { serve } from "../../mod.ts";
 * import { RedisBackplane } from "./mod.ts";
 *
 * const backplane = await RedisBackplane.connect({ url: "redis://127.0.0.1:6379" });
 * const server = await serve({ transports: ["tcp"], port: 0, backplane });
 * await server.shutdown();
 * ```
 *
 * @module
 */

export { DEFAULT_LEASE_MS, MIN_LEASE_MS, RedisBackplane } from "./backplane.ts";
export type { RedisBackplaneOptions } from "./backplane.ts";
