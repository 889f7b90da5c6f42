/**
 * The UDP transport: one `node:dgram` socket serves every datagram session
 * (binary, token-guarded, docs/protocol.md section 12) and text session
 * (`nc -u`). {@link listenUdp} hands them to a chat.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Chat } from "../../core/mod.ts";
 * import { listenUdp } from "./mod.ts";
 *
 * const chat = new Chat({ now: () => performance.now() });
 * const listener = await listenUdp(chat, { port: 0 });
 * assert.match(listener.url, /^udp:\/\/127\.0\.0\.1:\d+$/);
 * await listener.close();
 * await chat.shutdown();
 * ```
 *
 * @module
 */

export { listenUdp } from "./listen.ts";
export type { UdpListener, UdpOptions } from "./listen.ts";
