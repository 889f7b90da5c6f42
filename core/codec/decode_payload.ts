/**
 * Decoding a payload: the layout of each frame type, read after its header.
 * Codes and reasons newer than this code are carried, not refused.
 *
 * @module
 */

import { ByteReader } from "../_bytes.ts";
import { decodeDatagramPayload, isDatagramType } from "../datagram/frames.ts";
import { errorCodeName, FrameError } from "../errors.ts";
import {
  type HistoryEvent,
  leaveReasonName,
  type ResumeInfo,
} from "../events.ts";
import type { Frame } from "./frame.ts";
import { FrameType, HEADER_SIZE, MAGIC, readU32 } from "./header.ts";

/**
 * Decode the payload of a frame whose header was already read.
 *
 * @param type The frame type byte.
 * @param payload The payload bytes.
 * @returns The frame.
 * @throws {FrameError} UNKNOWN_TYPE, FRAME_MALFORMED or INVALID_UTF8.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const frame = decodePayload(0x03, new Uint8Array([0, 2, 0x68, 0x69]));
 * assert.deepEqual(frame, { type: "say", text: "hi" });
 * ```
 */
export function decodePayload(type: number, payload: Uint8Array): Frame {
  const r = new ByteReader(payload, HEADER_SIZE);
  let frame: Frame;
  switch (type) {
    case FrameType.HELLO:
      frame = {
        type: "hello",
        version: r.u16("HELLO version"),
        software: r.str("HELLO software"),
      };
      break;
    case FrameType.JOIN:
      frame = {
        type: "join",
        room: r.str("JOIN room"),
        name: r.str("JOIN name"),
      };
      break;
    case FrameType.SAY:
      frame = { type: "say", text: r.str("SAY text") };
      break;
    case FrameType.WHO:
      frame = { type: "who", room: r.str("WHO room") };
      break;
    case FrameType.LEAVE:
      frame = { type: "leave" };
      break;
    case FrameType.PING:
      frame = { type: "ping", nonce: r.u32("PING nonce") };
      break;
    case FrameType.RESUME:
      frame = {
        type: "resume",
        token: r.str("RESUME token"),
        seen: r.u32("RESUME seen"),
      };
      break;
    case FrameType.RECALL:
      frame = { type: "recall" };
      break;
    case FrameType.HELLO_OK:
      frame = {
        type: "hello_ok",
        version: r.u16("HELLO_OK version"),
        software: r.str("HELLO_OK software"),
        maxFrame: r.u32("HELLO_OK max frame"),
        maxMessage: r.u32("HELLO_OK max message"),
      };
      break;
    case FrameType.WELCOME: {
      const room = r.str("WELCOME room");
      const name = r.str("WELCOME name");
      const total = r.u32("WELCOME total");
      const members = readNames(r, "WELCOME");
      const at = r.offset;
      // Version 2 (asked for in HELLO): the resume fields follow.
      frame = r.rest() === 0
        ? { type: "welcome", room, name, total, members }
        : {
          type: "welcome",
          room,
          name,
          total,
          members,
          resume: readResume(payload, at),
        };
      break;
    }
    case FrameType.MEMBERS: {
      const room = r.str("MEMBERS room");
      const total = r.u32("MEMBERS total");
      frame = {
        type: "members",
        room,
        total,
        members: readNames(r, "MEMBERS"),
      };
      break;
    }
    case FrameType.JOINED:
      frame = {
        type: "joined",
        room: r.str("JOINED room"),
        name: r.str("JOINED name"),
      };
      break;
    case FrameType.LEFT: {
      const room = r.str("LEFT room");
      const name = r.str("LEFT name");
      const n = r.u8("LEFT reason");
      const reason = leaveReasonName(n);
      // A reason newer than this reader is carried, not refused.
      frame = reason === undefined
        ? { type: "left", room, name, reason: "unknown", reasonNumber: n }
        : { type: "left", room, name, reason };
      break;
    }
    case FrameType.MESSAGE:
      frame = {
        type: "message",
        room: r.str("MESSAGE room"),
        from: r.str("MESSAGE from"),
        text: r.str("MESSAGE text"),
      };
      break;
    case FrameType.ANNOUNCEMENT: {
      const room = r.str("ANNOUNCEMENT room");
      frame = {
        type: "announcement",
        room: room === "" ? null : room,
        text: r.str("ANNOUNCEMENT text"),
      };
      break;
    }
    case FrameType.ERROR: {
      const n = r.u16("ERROR code");
      const fatal = r.u8("ERROR fatal") !== 0;
      const message = r.str("ERROR message");
      const code = errorCodeName(n);
      // A code newer than this reader is carried, not refused.
      frame = code === undefined
        ? { type: "error", code: "UNKNOWN", codeNumber: n, fatal, message }
        : { type: "error", code, fatal, message };
      break;
    }
    case FrameType.PONG:
      frame = { type: "pong", nonce: r.u32("PONG nonce") };
      break;
    case FrameType.HISTORY: {
      const time = r.u64("HISTORY time");
      frame = { type: "history", time, event: readInner(r) };
      break;
    }
    default:
      if (isDatagramType(type)) {
        frame = decodeDatagramPayload(type, r);
        break;
      }
      throw new FrameError(
        "UNKNOWN_TYPE",
        `Cannot decode frame: unknown type 0x${
          type.toString(16).padStart(2, "0")
        }`,
        1,
      );
  }
  r.end(frameName(type));
  return frame;
}

/** The resume fields of a version 2 WELCOME, from `at` to the end. */
function readResume(payload: Uint8Array, at: number): ResumeInfo {
  const r = new ByteReader(payload.subarray(at), HEADER_SIZE + at);
  const resume = {
    token: r.str("WELCOME token"),
    graceMs: r.u32("WELCOME grace"),
    seq: r.u32("WELCOME seq"),
    lost: r.u32("WELCOME lost"),
  };
  r.end("WELCOME");
  return resume;
}

/** The whole MESSAGE or ANNOUNCEMENT frame a HISTORY frame carries. */
function readInner(r: ByteReader): HistoryEvent["event"] {
  const head = r.bytes(HEADER_SIZE, "HISTORY event header");
  const type = head[1]!;
  const length = readU32(head, 2);
  if (
    head[0] !== MAGIC ||
    (type !== FrameType.MESSAGE && type !== FrameType.ANNOUNCEMENT)
  ) {
    throw new FrameError(
      "FRAME_MALFORMED",
      "Cannot decode HISTORY event: not a MESSAGE or ANNOUNCEMENT frame",
      HEADER_SIZE + 8,
    );
  }
  const inner = decodePayload(type, r.bytes(length, "HISTORY event"));
  return inner as HistoryEvent["event"];
}

function readNames(r: ByteReader, what: string): string[] {
  const count = r.u16(`${what} count`);
  const names: string[] = [];
  for (let i = 0; i < count; i++) names.push(r.str(`${what} member`));
  return names;
}

/** Frame names by type number, for error messages (looked up per decoded frame). */
const FRAME_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(FrameType).map(([name, n]) => [n, name]),
);

function frameName(type: number): string {
  return FRAME_NAMES.get(type) ?? "frame";
}
