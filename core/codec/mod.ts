/**
 * The binary wire protocol: frames with a fixed 6-byte big-endian header
 * (magic 0xAB, type, payload length) and u16-length-prefixed UTF-8 fields.
 * docs/protocol.md is the byte-level spec.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeFrame, encodeFrame } from "./mod.ts";
 * const bytes = encodeFrame({ type: "say", text: "hi" });
 * assert.deepEqual(decodeFrame(bytes), { type: "say", text: "hi" });
 * ```
 *
 * @module
 */

export {
  type Command,
  type Decoded,
  decodeFrame,
  decodeFrames,
  decodePayload,
  type DecoderOptions,
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  HEADER_SIZE,
  isCommand,
  MAGIC,
  MAX_FIELD_BYTES,
  PROTOCOL_VERSION,
} from "./decoder.ts";
