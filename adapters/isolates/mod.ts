/**
 * One chat across the isolates of a process, with no external service:
 * the Workers of `serve --workers N`, the isolates of `deno serve
 * --parallel`, or a program's own Workers. Names and presence in Deno KV
 * under a lease per isolate, events over a BroadcastChannel. Needs
 * `--unstable-kv`.
 *
 * @module
 */

export { DEFAULT_ISOLATE_LEASE_MS, IsolateBackplane } from "./backplane.ts";
export type { IsolateBackplaneOptions } from "./backplane.ts";
export { openIsolateStore } from "./store_dir.ts";
export type { IsolateStore, IsolateStoreOptions } from "./store_dir.ts";
