/**
 * The stream transports: TCP and Unix domain sockets share one listener,
 * picked by address, with binary frames and text mode (`nc`) on the same
 * port. {@link listenStream} hands each connection to a chat.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Chat } from "../../core/mod.ts";
 * import { listenStream } from "./mod.ts";
 *
 * const chat = new Chat({ now: () => performance.now() });
 * const listener = await listenStream(chat, { transport: "tcp", port: 0 });
 * assert.match(listener.url, /^tcp:\/\/127\.0\.0\.1:\d+$/);
 * await listener.close();
 * await chat.shutdown();
 * ```
 *
 * @module
 */

export { listenStream } from "./listen.ts";
export type { StreamAddress, StreamListener, StreamOptions } from "./listen.ts";
export {
  ConnectionGate,
  type ConnectionGateOptions,
  type GatedTransport,
} from "../connection_gate.ts";
