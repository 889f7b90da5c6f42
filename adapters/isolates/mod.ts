/**
 * One chat across the isolates of a process, with no external service:
 * the Workers of `serve --workers N`, the isolates of `deno serve
 * --parallel`, or a program's own Workers. Names and presence in Deno KV
 * under a lease per isolate, events over a BroadcastChannel (or
 * MessagePorts between Workers). Needs `--unstable-kv`. docs/scaling.md
 * has the guarantees and the keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IsolateBackplane } from "./mod.ts";
 *
 * // Two isolates' backplanes (here in one isolate) on one store.
 * const dir = await Deno.makeTempDir();
 * const options = { path: `${dir}/kv.sqlite`, channel: `example-${dir}` };
 * const a = await IsolateBackplane.connect(options);
 * const b = await IsolateBackplane.connect(options);
 * assert.equal(await a.claim("lobby", "bob", "Bob"), true);
 * assert.equal(await b.claim("lobby", "bob", "BOB"), false);
 * assert.deepEqual(await b.members("lobby"), ["Bob"]);
 * await a.close();
 * await b.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export { DEFAULT_ISOLATE_LEASE_MS, IsolateBackplane } from "./backplane.ts";
export type { IsolateBackplaneOptions } from "./backplane.ts";
export type { IsolatePeers } from "./peers.ts";
export { openIsolateStore } from "./store_dir.ts";
export type { IsolateStore, IsolateStoreOptions } from "./store_dir.ts";
