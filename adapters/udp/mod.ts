/**
 * The UDP transport: one `node:dgram` socket serves every datagram session
 * (binary, token-guarded) and text session (`nc -u`).
 *
 * @module
 */

export { listenUdp } from "./listen.ts";
export type { UdpListener, UdpOptions } from "./listen.ts";
