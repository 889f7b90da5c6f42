/**
 * The 6-byte frame header every frame starts with (Python `struct` format
 * `>BBI`: magic 0xAB, type, payload length, big-endian), the frame type
 * numbers, and the checks a decoder makes on a header before it buffers the
 * payload.
 *
 * @module
 */

import { FrameError } from "../errors.ts";

/** First byte of every frame. It cannot start UTF-8 text (it is a continuation byte). */
export const MAGIC = 0xab;
/** Bytes in a frame header. */
export const HEADER_SIZE = 6;
/** Default largest frame (header included) a peer accepts. */
export const DEFAULT_MAX_FRAME_SIZE = 65536;

/** Frame types and their wire numbers. Client-to-server below 0x80. */
export const FrameType = {
  HELLO: 0x01,
  JOIN: 0x02,
  SAY: 0x03,
  WHO: 0x04,
  LEAVE: 0x05,
  PING: 0x06,
  RESUME: 0x07,
  RECALL: 0x08,
  HELLO_OK: 0x81,
  WELCOME: 0x82,
  JOINED: 0x83,
  LEFT: 0x84,
  MESSAGE: 0x85,
  ANNOUNCEMENT: 0x86,
  MEMBERS: 0x87,
  ERROR: 0x88,
  PONG: 0x89,
  HISTORY: 0x8a,
  // Datagram transports only (core/datagram/frames.ts).
  ENVELOPE: 0x10,
  PAD: 0x1f,
  TOKEN: 0x90,
  ACK: 0x91,
  SEQ: 0x92,
} as const;
/** A frame type number. */
export type FrameType = typeof FrameType[keyof typeof FrameType];

/**
 * The payload length in a header: the u32 at `at` (big-endian).
 *
 * @param b Bytes holding a header.
 * @param at Where the length starts (the header's offset + 2).
 * @returns The length.
 */
export function readU32(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) * 0x1000000) +
    (((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0));
}

/**
 * The error for a frame that does not start with {@link MAGIC}.
 *
 * @param byte The byte found instead.
 * @param at Its offset.
 * @returns A FRAME_MALFORMED error.
 */
export function badMagic(byte: number, at: number): FrameError {
  return new FrameError(
    "FRAME_MALFORMED",
    `Cannot decode frame: expected magic byte 0xab, got 0x${
      byte.toString(16).padStart(2, "0")
    }`,
    at,
  );
}

/**
 * Check a header before its payload is buffered: the magic byte, and the
 * frame's size (header included) against the limit.
 *
 * @param data Bytes holding a whole header at `at`.
 * @param at Where the header starts.
 * @param max Largest frame accepted, header included.
 * @returns The problem, or undefined when the header is good.
 */
export function checkHeader(
  data: Uint8Array,
  at: number,
  max: number,
): FrameError | undefined {
  const magic = data[at] ?? 0;
  if (magic !== MAGIC) return badMagic(magic, at);
  const size = HEADER_SIZE + readU32(data, at + 2);
  if (size > max) {
    return new FrameError(
      "FRAME_TOO_LARGE",
      `Cannot accept frame: ${size} bytes exceeds the limit of ${max}`,
      at + 2,
    );
  }
  return undefined;
}
