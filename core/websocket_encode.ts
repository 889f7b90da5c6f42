/**
 * WebSocket framing (RFC 6455 §5), the server's side, sans-IO: the header of
 * an unmasked frame and a close frame's payload. Frames a client sends are
 * decoded by core/websocket.ts.
 *
 * @module
 */

/**
 * Bytes of the header of an unmasked (server) frame with a payload of
 * `length` bytes.
 *
 * @param length Payload bytes.
 * @returns 2, 4 or 10.
 */
export function wsHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/**
 * Write the header of a final, unmasked frame.
 *
 * @param target Where to write.
 * @param at Its offset.
 * @param opcode The frame's opcode (`WsOpcode` of core/websocket.ts).
 * @param length Payload bytes.
 * @returns Bytes written ({@link wsHeaderLength}).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeWsHeader } from "./websocket_encode.ts";
 * const b = new Uint8Array(4);
 * assert.equal(writeWsHeader(b, 0, 0x2, 300), 4);
 * assert.deepEqual([...b], [0x82, 126, 1, 44]);
 * ```
 */
export function writeWsHeader(
  target: Uint8Array,
  at: number,
  opcode: number,
  length: number,
): number {
  target[at] = 0x80 | opcode;
  if (length < 126) {
    target[at + 1] = length;
    return 2;
  }
  if (length < 0x10000) {
    target[at + 1] = 126;
    target[at + 2] = length >>> 8;
    target[at + 3] = length & 0xff;
    return 4;
  }
  target[at + 1] = 127;
  const high = Math.floor(length / 0x100000000);
  target[at + 2] = high >>> 24;
  target[at + 3] = (high >>> 16) & 0xff;
  target[at + 4] = (high >>> 8) & 0xff;
  target[at + 5] = high & 0xff;
  target[at + 6] = length >>> 24;
  target[at + 7] = (length >>> 16) & 0xff;
  target[at + 8] = (length >>> 8) & 0xff;
  target[at + 9] = length & 0xff;
  return 10;
}

const utf8Encoder = new TextEncoder();

/**
 * The payload of a close frame: the code, then the reason cut to fit the
 * 125 bytes of a control frame (at a character boundary).
 *
 * @param code The close code.
 * @param reason Why, for people.
 * @returns The payload.
 */
export function closePayload(code: number, reason: string): Uint8Array {
  let bytes = utf8Encoder.encode(reason);
  while (bytes.length > 123) {
    reason = reason.slice(0, -1);
    bytes = utf8Encoder.encode(reason);
  }
  const out = new Uint8Array(2 + bytes.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(bytes, 2);
  return out;
}
