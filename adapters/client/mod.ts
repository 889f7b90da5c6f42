/**
 * The client side of every transport: dial a server URL (`tcp://`,
 * `unix://`, `udp://`, `ws://`) and exchange commands and events, or call the
 * HTTP API.
 *
 * @module
 */

export { dial, parseServerUrl } from "./dial.ts";
export { type ClientConnection, ConnectError } from "./connection.ts";
export { dialUdp, type UdpDialOptions } from "./udp.ts";
export { dialWebSocket } from "./ws.ts";
export { ApiClient, ApiError } from "./api.ts";
export type { AnnounceAnswer, RoomMembers, RoomSummary } from "./api.ts";
