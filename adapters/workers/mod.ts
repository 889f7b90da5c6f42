/**
 * `serve --workers N`: one chat served by N Workers that share rooms
 * through the isolates backplane, TCP and HTTP on shared ports.
 *
 * @module
 */

export { serveWorkers } from "./serve_workers.ts";
export type { WorkerServer, WorkersOptions } from "./serve_workers.ts";
export type { ListenerInfo, WorkerServeOptions } from "./messages.ts";
