/**
 * The stream transports: TCP and Unix domain sockets share one listener,
 * picked by address. Binary frames and text mode on the same port.
 *
 * @module
 */

export { listenStream } from "./listen.ts";
export type { StreamAddress, StreamListener, StreamOptions } from "./listen.ts";
