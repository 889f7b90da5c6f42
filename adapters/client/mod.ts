/**
 * The client side of every transport: dial a server URL (`tcp://`,
 * `unix://`, `udp://`, `ws://`) and exchange commands and events, or call the
 * HTTP API with {@link ApiClient}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serve } from "../../mod.ts";
 * import { dial } from "./mod.ts";
 *
 * const server = await serve({ transports: ["tcp"], port: 0 });
 * const conn = await dial(new URL(server.listeners[0]!.url));
 * const welcomed = new Promise<string>((resolve) => {
 *   conn.onEvent = (e) => { if (e.type === "welcome") resolve(e.name); };
 * });
 * conn.send({ type: "hello", version: 1, software: "example-bot/1" });
 * conn.send({ type: "join", room: "lobby", name: "bot" });
 * assert.equal(await welcomed, "bot");
 * conn.close();
 * await conn.closed;
 * await server.shutdown();
 * ```
 *
 * @module
 */

export { dial, parseServerUrl } from "./dial.ts";
export { type ClientConnection, ConnectError } from "./connection.ts";
export { dialUdp, type UdpDialOptions } from "./udp.ts";
export { dialResuming, type ResumingOptions } from "./resuming.ts";
export { dialWebSocket } from "./ws.ts";
export { ApiClient, ApiError } from "./api.ts";
export type { AnnounceAnswer, RoomMembers, RoomSummary } from "./api.ts";
