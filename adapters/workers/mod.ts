/**
 * `serve --workers N`: one chat served by N Workers that share rooms
 * through the isolates backplane (adapters/isolates/), TCP and HTTP on
 * shared ports (`SO_REUSEPORT`), the Unix socket and UDP in Worker 0.
 * Needs `--unstable-kv --unstable-net`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveWorkers } from "./mod.ts";
 *
 * const server = await serveWorkers({
 *   workers: 2,
 *   serve: { transports: ["tcp"], port: 0 },
 * });
 * assert.equal(server.listeners[0]?.transport, "tcp");
 * assert.deepEqual(await server.announceCounted("hello"), {
 *   ok: true,
 *   rooms: 0,
 *   delivered: 0,
 * });
 * await server.shutdown();
 * ```
 *
 * @module
 */

export { serveWorkers } from "./serve_workers.ts";
export type { WorkerServer, WorkersOptions } from "./serve_workers.ts";
export type { ListenerInfo, WorkerServeOptions } from "./messages.ts";
