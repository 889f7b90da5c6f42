/**
 * The frames that only datagram transports (UDP) use: the session envelope
 * and padding a client puts in its datagrams, and the token grant, the
 * acknowledgement and the sequence stamp the server puts in its own.
 * docs/protocol.md ("UDP") is the byte-level spec; core/codec.ts dispatches
 * these frame types here.
 *
 * @module
 */

import type { ByteReader } from "../_bytes.ts";
import { putHexToken, TOKEN_BYTES, tokenToHex } from "./token.ts";
import { FrameError } from "../errors.ts";

export { sameToken, TOKEN_BYTES, tokenBytes, tokenToHex } from "./token.ts";

/** Wire numbers of the datagram frames (client 0x10-0x1F, server 0x90-0x9F). */
export const DatagramFrameType = {
  ENVELOPE: 0x10,
  PAD: 0x1f,
  TOKEN: 0x90,
  ACK: 0x91,
  SEQ: 0x92,
} as const;

/** Whole ENVELOPE frame: header, token, seq. */
export const ENVELOPE_SIZE = 6 + TOKEN_BYTES + 4;
/** Whole SEQ frame: header, token, seq. */
export const SEQ_SIZE = 6 + TOKEN_BYTES + 4;
/** Whole ACK frame: header, ack, mask. */
export const ACK_SIZE = 6 + 4 + 4;
/** Whole TOKEN frame: header, token, idle timeout, ping interval, datagram size. */
export const TOKEN_SIZE = 6 + TOKEN_BYTES + 4 + 4 + 2;

/**
 * First frame of every client datagram in a session: the session token and
 * the datagram's sequence number (0: not acknowledged, for heartbeats).
 */
export interface EnvelopeFrame {
  /** Frame type tag. */
  readonly type: "envelope";
  /** Session token, 32 lowercase hex digits (16 bytes on the wire). */
  readonly token: string;
  /** Sequence number of this datagram; 0 means unreliable (PING only). */
  readonly seq: number;
}

/** Padding: its payload is ignored (a client pads its opening HELLO). */
export interface PadFrame {
  /** Frame type tag. */
  readonly type: "pad";
  /** Payload length in bytes (zeros when encoded). */
  readonly length: number;
}

/** The server grants a session: its token and the session's timing. */
export interface TokenFrame {
  /** Frame type tag. */
  readonly type: "token";
  /** Session token, 32 lowercase hex digits. */
  readonly token: string;
  /** Silence after which the server removes the member, in ms. */
  readonly idleTimeoutMs: number;
  /** How often the client should ping when it has nothing else to send, in ms. */
  readonly pingIntervalMs: number;
  /** Largest datagram the server accepts and sends, in bytes. */
  readonly maxDatagram: number;
}

/**
 * Which client datagrams the server has: every seq up to `ack`, and each
 * seq `ack + 1 + i` whose bit `i` is set in `mask` (bit 0 is the lowest).
 */
export interface AckFrame {
  /** Frame type tag. */
  readonly type: "ack";
  /** Highest seq such that it and every seq below it have been handled. */
  readonly ack: number;
  /** Seqs above `ack` received and held, as a bit set. */
  readonly mask: number;
}

/**
 * First frame of every server datagram in a session: the token, and the
 * sequence number of the first event frame in the datagram (the others
 * follow it one by one).
 */
export interface SeqFrame {
  /** Frame type tag. */
  readonly type: "seq";
  /** Session token, 32 lowercase hex digits. */
  readonly token: string;
  /** Sequence number of the datagram's first event frame. */
  readonly seq: number;
}

/** Any datagram frame. */
export type DatagramFrame =
  | EnvelopeFrame
  | PadFrame
  | TokenFrame
  | AckFrame
  | SeqFrame;

/** Frame tags of {@link DatagramFrame}. */
export type DatagramFrameTag = DatagramFrame["type"];

/** First byte of every frame (core/codec.ts `MAGIC`). */
const MAGIC = 0xab;
/** Frame header: magic, type, u32 payload length. */
const HEADER = 6;

/**
 * Encode a datagram frame, written straight into one buffer of the frame's
 * size (no writer object, no DataView; numbers wrap as DataView's setters
 * wrap them).
 *
 * @param frame The frame.
 * @returns The whole frame.
 * @throws {RangeError} When a token is not 32 lowercase hex digits, or a PAD
 *   length is not a valid byte count.
 */
export function encodeDatagramFrame(frame: DatagramFrame): Uint8Array {
  switch (frame.type) {
    case "envelope":
    case "seq": {
      const b = start(
        frame.type === "seq"
          ? DatagramFrameType.SEQ
          : DatagramFrameType.ENVELOPE,
        TOKEN_BYTES + 4,
      );
      putHexToken(b, HEADER, frame.token);
      putU32(b, HEADER + TOKEN_BYTES, frame.seq);
      return b;
    }
    case "pad":
      return start(DatagramFrameType.PAD, frame.length);
    case "token": {
      const b = start(DatagramFrameType.TOKEN, TOKEN_BYTES + 10);
      putHexToken(b, HEADER, frame.token);
      putU32(b, HEADER + TOKEN_BYTES, frame.idleTimeoutMs);
      putU32(b, HEADER + TOKEN_BYTES + 4, frame.pingIntervalMs);
      const n = frame.maxDatagram;
      b[HEADER + TOKEN_BYTES + 8] = n >>> 8;
      b[HEADER + TOKEN_BYTES + 9] = n;
      return b;
    }
    case "ack": {
      const b = start(DatagramFrameType.ACK, 8);
      putU32(b, HEADER, frame.ack);
      putU32(b, HEADER + 4, frame.mask);
      return b;
    }
  }
}

/**
 * A SEQ frame from the token's 16 bytes, which a session keeps (decoded
 * once): the head of every server datagram, so no hex is parsed per
 * datagram. Same bytes as {@link encodeDatagramFrame} with the token's hex.
 *
 * @param token The session token's 16 bytes.
 * @param seq Sequence number of the datagram's first event frame.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const b = encodeSeq(new Uint8Array(16).fill(7), 1);
 * assert.equal(b.length, SEQ_SIZE);
 * assert.equal(b[1], DatagramFrameType.SEQ);
 * ```
 */
export function encodeSeq(token: Uint8Array, seq: number): Uint8Array {
  return stamp(DatagramFrameType.SEQ, token, seq);
}

/**
 * An ENVELOPE frame from the token's 16 bytes (see {@link encodeSeq}): the
 * head of every client datagram.
 *
 * @param token The session token's 16 bytes.
 * @param seq Sequence number of the datagram; 0 for an unreliable one.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const b = encodeEnvelope(new Uint8Array(16).fill(7), 0);
 * assert.equal(b.length, ENVELOPE_SIZE);
 * ```
 */
export function encodeEnvelope(token: Uint8Array, seq: number): Uint8Array {
  return stamp(DatagramFrameType.ENVELOPE, token, seq);
}

/**
 * Set the seq of an ENVELOPE or SEQ frame in place, so one head serves every
 * datagram of a flush (core/datagram/pack.ts `packFrames` copies the head
 * before it asks for the next).
 *
 * @param frame A frame from {@link encodeSeq} or {@link encodeEnvelope}.
 * @param seq The new sequence number.
 * @returns The same frame.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const b = encodeSeq(new Uint8Array(16), 1);
 * assert.equal(restamp(b, 258)[SEQ_SIZE - 2], 1);
 * ```
 */
export function restamp(frame: Uint8Array, seq: number): Uint8Array {
  putU32(frame, HEADER + TOKEN_BYTES, seq);
  return frame;
}

function stamp(type: number, token: Uint8Array, seq: number): Uint8Array {
  if (token.length !== TOKEN_BYTES) {
    throw new RangeError(
      `Cannot encode token: expected ${TOKEN_BYTES} bytes, got ${token.length}`,
    );
  }
  const b = start(type, TOKEN_BYTES + 4);
  b.set(token, HEADER);
  putU32(b, HEADER + TOKEN_BYTES, seq);
  return b;
}

/** A frame of `payload` bytes with its header written. */
function start(type: number, payload: number): Uint8Array {
  const b = new Uint8Array(HEADER + payload);
  b[0] = MAGIC;
  b[1] = type;
  putU32(b, 2, payload);
  return b;
}

/** Big-endian u32 at `at`; wraps modulo 2^32 as `DataView.setUint32` does. */
function putU32(b: Uint8Array, at: number, n: number): void {
  n = n >>> 0;
  b[at] = n >>> 24;
  b[at + 1] = n >>> 16;
  b[at + 2] = n >>> 8;
  b[at + 3] = n;
}

/**
 * True for the type numbers of datagram frames.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isDatagramType(0x10), true);
 * assert.equal(isDatagramType(0x03), false);
 * ```
 */
export function isDatagramType(type: number): boolean {
  return type === 0x10 || type === 0x1f || (type >= 0x90 && type <= 0x92);
}

/**
 * Decode the payload of a datagram frame.
 *
 * @param type The type number ({@link isDatagramType} must be true).
 * @param r A reader over the payload.
 * @returns The frame (the caller checks that the payload was all read).
 * @throws {FrameError} When the payload is too short.
 */
export function decodeDatagramPayload(
  type: number,
  r: ByteReader,
): DatagramFrame {
  switch (type) {
    case DatagramFrameType.ENVELOPE:
      return {
        type: "envelope",
        token: tokenHex(r, "ENVELOPE token"),
        seq: r.u32("ENVELOPE seq"),
      };
    case DatagramFrameType.PAD:
      return { type: "pad", length: r.rest() };
    case DatagramFrameType.TOKEN:
      return {
        type: "token",
        token: tokenHex(r, "TOKEN token"),
        idleTimeoutMs: r.u32("TOKEN idle timeout"),
        pingIntervalMs: r.u32("TOKEN ping interval"),
        maxDatagram: r.u16("TOKEN max datagram"),
      };
    case DatagramFrameType.ACK:
      return { type: "ack", ack: r.u32("ACK ack"), mask: r.u32("ACK mask") };
    case DatagramFrameType.SEQ:
      return {
        type: "seq",
        token: tokenHex(r, "SEQ token"),
        seq: r.u32("SEQ seq"),
      };
  }
  throw new FrameError(
    "UNKNOWN_TYPE",
    `Cannot decode frame: unknown type 0x${type.toString(16)}`,
    1,
  );
}

function tokenHex(r: ByteReader, what: string): string {
  return tokenToHex(r.bytes(TOKEN_BYTES, what));
}
