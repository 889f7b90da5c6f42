/**
 * Decoding frames out of bytes. Sans-IO: {@link FrameDecoder} takes chunks of
 * a stream and returns frames; {@link decodeFrames} takes one datagram. Neither
 * reads, waits or buffers more than one frame, and each checks a frame's
 * header before it buffers the payload.
 *
 * @module
 */

import { FrameError } from "../errors.ts";
import type { Frame } from "./frame.ts";
import {
  badMagic,
  checkHeader,
  DEFAULT_MAX_FRAME_SIZE,
  HEADER_SIZE,
  MAGIC,
  readU32,
} from "./header.ts";
import { decodePayload } from "./decode_payload.ts";

/** Result of decoding: a frame, or a coded error about one frame. */
export type Decoded = Frame | FrameError;

/** Options of a {@link FrameDecoder}. */
export interface DecoderOptions {
  /** Largest frame accepted, header included. @default {65536} */
  maxFrameSize?: number;
}

/** The empty buffer every idle decoder holds (nothing is ever written to it). */
const NO_BYTES = new Uint8Array(0);

/**
 * Splits a byte stream into frames. Feed it chunks as they arrive; it returns
 * the frames completed by each chunk. A frame whose fields are wrong yields a
 * {@link FrameError} in place of the frame and decoding goes on (the stream
 * is still in step). A bad magic byte or an over-size length yields a final
 * FrameError with `fatal` set on the decoder: the stream cannot be trusted.
 * The length is checked from the header, before any payload is buffered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./encode.ts";
 * const d = new FrameDecoder();
 * const bytes = encodeFrame({ type: "say", text: "hi" });
 * assert.deepEqual(d.push(bytes.subarray(0, 3)), []);
 * assert.deepEqual(d.push(bytes.subarray(3)), [{ type: "say", text: "hi" }]);
 * ```
 */
export class FrameDecoder {
  readonly #max: number;
  #buf: Uint8Array = NO_BYTES;
  #len = 0;
  #failed = false;

  /**
   * Create a new instance.
   * @param options Size limit.
   */
  constructor(options: DecoderOptions = {}) {
    this.#max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  }

  /** True once the stream broke framing; later pushes return nothing. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Bytes held of an incomplete frame. */
  get pending(): number {
    return this.#len;
  }

  /**
   * Decode what a chunk completes.
   *
   * @param chunk Bytes from the stream; not kept after the call returns.
   * @returns Frames and per-frame errors, in stream order.
   */
  push(chunk: Uint8Array): Decoded[] {
    const out: Decoded[] = [];
    if (this.#failed) return out;
    let data = chunk;
    if (this.#len > 0) {
      this.#append(chunk);
      data = this.#buf.subarray(0, this.#len);
    }
    let at = 0;
    while (data.length - at >= HEADER_SIZE) {
      const problem = checkHeader(data, at, this.#max);
      if (problem) {
        out.push(problem);
        this.#failed = true;
        this.#len = 0;
        this.#buf = NO_BYTES;
        return out;
      }
      const size = HEADER_SIZE + readU32(data, at + 2);
      if (data.length - at < size) break;
      out.push(decodeOne(data, at, size));
      at += size;
    }
    // A partial header can already be judged by its magic byte.
    if (at < data.length && data[at] !== MAGIC) {
      out.push(badMagic(data[at] ?? 0, at));
      this.#failed = true;
      this.#len = 0;
      return out;
    }
    const rest = data.length - at;
    if (data === chunk) {
      if (rest > 0) this.#keep(chunk.subarray(at));
    } else if (rest === 0) {
      this.#len = 0;
      if (this.#buf.length > 4096) this.#buf = NO_BYTES;
    } else if (at > 0) {
      this.#buf.copyWithin(0, at, this.#len);
      this.#len = rest;
    }
    return out;
  }

  #keep(bytes: Uint8Array): void {
    this.#len = 0;
    this.#append(bytes);
  }

  #append(bytes: Uint8Array): void {
    const need = this.#len + bytes.length;
    if (need > this.#buf.length) {
      const grown = new Uint8Array(
        Math.max(need, Math.min(this.#buf.length * 2, this.#max)),
      );
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(bytes, this.#len);
    this.#len = need;
  }
}
function decodeOne(data: Uint8Array, at: number, size: number): Decoded {
  try {
    return decodePayload(
      data[at + 1] ?? 0,
      data.subarray(at + HEADER_SIZE, at + size),
    );
  } catch (e) {
    if (e instanceof FrameError) return e;
    throw e;
  }
}

/**
 * Decode a datagram that holds one or more whole frames. Any framing problem
 * (bad magic, over-size, a partial frame at the end) makes the whole datagram
 * invalid; a frame with bad fields yields a FrameError in its place.
 *
 * @param bytes The datagram.
 * @param options Size limit per frame.
 * @returns The frames, in order.
 * @throws {FrameError} When the datagram is not a sequence of whole frames.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./encode.ts";
 * const a = encodeFrame({ type: "ping", nonce: 1 });
 * const b = encodeFrame({ type: "leave" });
 * const both = new Uint8Array([...a, ...b]);
 * assert.deepEqual(decodeFrames(both), [{ type: "ping", nonce: 1 }, { type: "leave" }]);
 * ```
 */
export function decodeFrames(
  bytes: Uint8Array,
  options: DecoderOptions = {},
): Decoded[] {
  const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  const out: Decoded[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < HEADER_SIZE) {
      throw new FrameError(
        "FRAME_MALFORMED",
        `Cannot decode datagram: ${
          bytes.length - at
        } byte(s) after the last frame`,
        at,
      );
    }
    const problem = checkHeader(bytes, at, max);
    if (problem) throw problem;
    const size = HEADER_SIZE + readU32(bytes, at + 2);
    if (bytes.length - at < size) {
      throw new FrameError(
        "FRAME_MALFORMED",
        `Cannot decode datagram: frame of ${size} bytes is cut at ${
          bytes.length - at
        }`,
        at,
      );
    }
    out.push(decodeOne(bytes, at, size));
    at += size;
  }
  return out;
}

/**
 * Decode exactly one frame.
 *
 * @param bytes One whole frame.
 * @param options Size limit.
 * @returns The frame.
 * @throws {FrameError} When the bytes are not exactly one valid frame.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./encode.ts";
 * const f = decodeFrame(encodeFrame({ type: "join", room: "lobby", name: "bob" }));
 * assert.deepEqual(f, { type: "join", room: "lobby", name: "bob" });
 * ```
 */
export function decodeFrame(
  bytes: Uint8Array,
  options: DecoderOptions = {},
): Frame {
  const frames = decodeFrames(bytes, options);
  const [first] = frames;
  if (frames.length !== 1 || first === undefined) {
    throw new FrameError(
      "FRAME_MALFORMED",
      `Cannot decode frame: expected 1 frame, found ${frames.length}`,
      0,
    );
  }
  if (first instanceof FrameError) throw first;
  return first;
}
