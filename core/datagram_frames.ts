/**
 * The frames that only datagram transports (UDP) use: the session envelope
 * and padding a client puts in its datagrams, and the token grant, the
 * acknowledgement and the sequence stamp the server puts in its own.
 * docs/protocol.md ("UDP") is the byte-level spec; core/codec.ts dispatches
 * these frame types here.
 *
 * @module
 */

import type { ByteReader, ByteWriter } from "./_bytes.ts";
import type { FrameType } from "./codec.ts";
import { FrameError } from "./errors.ts";

/** Wire numbers of the datagram frames (client 0x10-0x1F, server 0x90-0x9F). */
export const DatagramFrameType = {
  ENVELOPE: 0x10,
  PAD: 0x1f,
  TOKEN: 0x90,
  ACK: 0x91,
  SEQ: 0x92,
} as const;

/** Bytes in a session token. */
export const TOKEN_BYTES = 16;
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

/** Makes a frame header for a payload length; given by core/codec.ts. */
export type FrameStarter = (type: FrameType, payload: number) => ByteWriter;

/**
 * Encode a datagram frame.
 *
 * @param frame The frame.
 * @param start Writes the frame header (core/codec.ts `frameOf`).
 * @returns The whole frame.
 * @throws {RangeError} When a token is not 32 hex digits or a number is out
 *   of range.
 */
export function encodeDatagramFrame(
  frame: DatagramFrame,
  start: FrameStarter,
): Uint8Array {
  switch (frame.type) {
    case "envelope":
      return start(DatagramFrameType.ENVELOPE, TOKEN_BYTES + 4)
        .raw(tokenBytes(frame.token)).u32(frame.seq).bytes;
    case "pad":
      return start(DatagramFrameType.PAD, frame.length).bytes;
    case "token":
      return start(DatagramFrameType.TOKEN, TOKEN_BYTES + 10)
        .raw(tokenBytes(frame.token)).u32(frame.idleTimeoutMs)
        .u32(frame.pingIntervalMs).u16(frame.maxDatagram).bytes;
    case "ack":
      return start(DatagramFrameType.ACK, 8).u32(frame.ack).u32(frame.mask)
        .bytes;
    case "seq":
      return start(DatagramFrameType.SEQ, TOKEN_BYTES + 4)
        .raw(tokenBytes(frame.token)).u32(frame.seq).bytes;
  }
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

const HEX = /^[0-9a-f]{32}$/;

/**
 * The 16 bytes of a token given as 32 lowercase hex digits.
 *
 * @throws {RangeError} When it is not 32 lowercase hex digits.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(tokenBytes("00".repeat(15) + "ff")[15], 255);
 * ```
 */
export function tokenBytes(token: string): Uint8Array {
  if (!HEX.test(token)) {
    throw new RangeError(
      `Cannot encode token: expected 32 lowercase hex digits, got ${token.length} characters`,
    );
  }
  const out = new Uint8Array(TOKEN_BYTES);
  for (let i = 0; i < TOKEN_BYTES; i++) {
    out[i] = parseInt(token.slice(i * 2, i * 2 + 2), 16);
  }
  return out;
}

/**
 * A token's 32 lowercase hex digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(tokenToHex(new Uint8Array(16).fill(0xab)), "ab".repeat(16));
 * ```
 */
export function tokenToHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function tokenHex(r: ByteReader, what: string): string {
  return tokenToHex(r.bytes(TOKEN_BYTES, what));
}

/**
 * Compare two tokens in time that depends only on their length, never on
 * where they first differ (so a forger learns nothing from timing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(sameToken("ab".repeat(16), "ab".repeat(16)), true);
 * assert.equal(sameToken("ab".repeat(16), "ab".repeat(15) + "ac"), false);
 * ```
 */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
