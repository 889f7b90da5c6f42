/**
 * Bytes built by hand for the conformance cases: frames whose header may
 * lie about the payload, `str` fields of any bytes, concatenation. What a
 * well-behaved client never sends is what the cases need to send.
 *
 * @module
 */

/**
 * The bytes of all parts, one after another, in a new buffer.
 *
 * @param parts Byte arrays.
 * @returns Their concatenation.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(concat(new Uint8Array([1]), new Uint8Array([2])), new Uint8Array([1, 2]));
 * ```
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A frame built by hand: header `>BBI` (magic, type, payload length) and the
 * payload as given, so cases can lie about lengths and contents.
 *
 * @param type Frame type byte.
 * @param payload Payload bytes.
 * @param length Payload length to announce (defaults to the real one).
 * @returns The frame's bytes.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(rawFrame(5, new Uint8Array(0)), new Uint8Array([0xab, 5, 0, 0, 0, 0]));
 * ```
 */
export function rawFrame(
  type: number,
  payload: Uint8Array,
  length: number = payload.length,
): Uint8Array {
  const out = new Uint8Array(6 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, 0xab);
  view.setUint8(1, type);
  view.setUint32(2, length);
  out.set(payload, 6);
  return out;
}

/**
 * A u16-length-prefixed field holding the given bytes (or UTF-8 text).
 *
 * @param bytes The field's bytes, or text to encode.
 * @returns The field.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(field("hi"), new Uint8Array([0, 2, 0x68, 0x69]));
 * ```
 */
export function field(bytes: Uint8Array | string): Uint8Array {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const out = new Uint8Array(2 + b.length);
  new DataView(out.buffer).setUint16(0, b.length);
  out.set(b, 2);
  return out;
}
