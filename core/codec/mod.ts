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
  DEFAULT_MAX_FRAME_SIZE,
  FrameType,
  HEADER_SIZE,
  MAGIC,
} from "./header.ts";
export {
  type Command,
  type Frame,
  isCommand,
  LATEST_VERSION,
  PROTOCOL_VERSION,
} from "./frame.ts";
export { encodeFrame, encodeHistory, MAX_FIELD_BYTES } from "./encode.ts";
export { decodePayload } from "./decode_payload.ts";
export {
  type Decoded,
  decodeFrame,
  decodeFrames,
  type DecoderOptions,
  FrameDecoder,
} from "./decoder.ts";
