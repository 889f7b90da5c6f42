/**
 * A whole server: the chat with its transports started together
 * ({@link serve}, also in the root module), the transport table
 * ({@link TRANSPORTS}), the operator's console that announces what is typed,
 * and the log line format.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatLog, serve } from "./mod.ts";
 *
 * const lines: string[] = [];
 * const server = await serve({
 *   transports: ["tcp"],
 *   port: 0,
 *   log: (record) => lines.push(formatLog(record)),
 * });
 * assert.ok(lines.some((l) => / listen transport=tcp /.test(l)));
 * await server.shutdown();
 * ```
 *
 * @module
 */

export { defaultSocketPath, serve, TRANSPORTS } from "./serve.ts";
export type {
  Listener,
  ServeOptions,
  Server,
  StarterOptions,
  TransportStarter,
} from "./serve.ts";
export { capConnections } from "./connection_cap.ts";
export {
  ConnectionGate,
  type ConnectionGateOptions,
  DESCRIPTORS_PER_CONNECTION,
  type GatedTransport,
} from "../connection_gate.ts";
export type { ConnectionPlan } from "../descriptors.ts";
export { runConsole, runStdinConsole } from "./console.ts";
export type { Announcer } from "./console.ts";
export { formatLog } from "../log.ts";
