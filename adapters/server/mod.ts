/**
 * A whole server: the chat with its transports started together
 * (`serve()`), and the operator's console that announces what is typed.
 *
 * @module
 */

export { defaultSocketPath, serve, TRANSPORTS } from "./serve.ts";
export type {
  Listener,
  ServeOptions,
  Server,
  TransportStarter,
} from "./serve.ts";
export { runConsole, runStdinConsole } from "./console.ts";
export type { Announcer } from "./console.ts";
