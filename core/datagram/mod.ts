/**
 * The UDP session machinery, sans-IO: the server side
 * ({@link DatagramServer}: session tokens, reliable and exactly-once client
 * commands, best-effort sequence-stamped events packed into datagrams) and
 * the client side ({@link DatagramClient}), plus the datagram frames of
 * docs/protocol.md section 12. The UDP adapter moves datagrams between a
 * socket and these; the clock is passed in.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeFrame } from "../codec/mod.ts";
 * import { encodeDatagramFrame, resolveDatagramLimits } from "./mod.ts";
 *
 * const ack = encodeDatagramFrame({ type: "ack", ack: 3, mask: 0b101 });
 * assert.deepEqual(decodeFrame(ack), { type: "ack", ack: 3, mask: 0b101 });
 * assert.equal(resolveDatagramLimits().datagramSize, 1200);
 * ```
 *
 * @module
 */

export { DatagramServer } from "./server.ts";
export type { DatagramServerOptions, DatagramStats } from "./server.ts";
export { DatagramClient } from "./client.ts";
export type { DatagramClientOptions, DatagramClientState } from "./client.ts";
export {
  type DatagramLimits,
  DEFAULT_DATAGRAM_LIMITS,
  resolveDatagramLimits,
} from "./limits.ts";
export { addressKey, type DatagramAddress } from "./address.ts";
export {
  type AckFrame,
  type DatagramFrame,
  DatagramFrameType,
  encodeDatagramFrame,
  type EnvelopeFrame,
  type PadFrame,
  type SeqFrame,
  type TokenFrame,
} from "./frames.ts";
