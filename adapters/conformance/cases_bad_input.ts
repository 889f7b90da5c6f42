/**
 * Conformance cases: bad input inside well-framed frames (docs/protocol.md,
 * 4, 5.1, 5.3 and 5.7): unknown and server frame types, payloads too short
 * or too long, invalid UTF-8, empty and over-long messages, frames before
 * HELLO or before JOIN. Each is refused with its code, fatal only where the
 * document says so, and nobody else notices.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeFrame, FrameType } from "../../core/codec/mod.ts";
import { badInput, says, strangerSends } from "./bad_input.ts";
import type { ConformanceCase } from "./case.ts";
import { expectEvent } from "./harness.ts";
import { concat, field, rawFrame } from "./wire.ts";

const SAY = FrameType.SAY;
const te = new TextEncoder();
const STREAM = ["stream"] as const;

/** The bad-input cases. */
export const BAD_INPUT_CASES: readonly ConformanceCase[] = [
  badInput(
    "an unknown frame type",
    rawFrame(0x7f, new Uint8Array([1, 2, 3])),
    "UNKNOWN_TYPE",
    false,
    says(
      "4",
      "a type number not in the table → ERROR `UNKNOWN_TYPE`, not fatal",
    ),
  ),
  badInput(
    "a server frame sent by a client",
    encodeFrame({ type: "message", room: "lobby", from: "amy", text: "x" }),
    "UNKNOWN_TYPE",
    false,
    says("4", "a well-formed one gets `UNKNOWN_TYPE`, not fatal"),
  ),
  {
    name: "an unsupported protocol version",
    ...says(
      "5.1",
      "`version` other than 1 or 2 → fatal ERROR `UNSUPPORTED_VERSION`",
    ),
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const c = await h.connect();
      c.send({ type: "hello", version: 3, software: "future/9" });
      await h.expectFatal(c, "UNSUPPORTED_VERSION");
      await h.barrier(amy!, [bob!], "amy");
    },
  },
  badInput(
    "a truncated field",
    rawFrame(SAY, concat(new Uint8Array([0, 10]), te.encode("hi"))),
    "FRAME_MALFORMED",
    false,
    says(
      "4",
      "fewer bytes than the fields need → ERROR `FRAME_MALFORMED`, not fatal",
    ),
  ),
  badInput(
    "a missing field",
    rawFrame(FrameType.JOIN, field("lobby")),
    "FRAME_MALFORMED",
    false,
    says(
      "4",
      "fewer bytes than the fields need → ERROR `FRAME_MALFORMED`, not fatal",
    ),
  ),
  badInput(
    "trailing bytes after the last field",
    rawFrame(SAY, concat(field("hi"), new Uint8Array([0]))),
    "FRAME_MALFORMED",
    false,
    says(
      "4",
      "bytes left over after the last field → ERROR `FRAME_MALFORMED`, not fatal",
    ),
  ),
  badInput(
    "invalid UTF-8 in a message",
    rawFrame(SAY, field(new Uint8Array([0x68, 0xff, 0xfe]))),
    "INVALID_UTF8",
    false,
    says(
      "4",
      "a `str` that is not valid UTF-8 → ERROR `INVALID_UTF8`, not fatal",
    ),
  ),
  badInput(
    "an encoded surrogate (CESU-8) in a message",
    rawFrame(SAY, field(new Uint8Array([0xed, 0xa0, 0x80]))),
    "INVALID_UTF8",
    false,
    says("3", "an encoded surrogate"),
  ),
  badInput(
    "an empty message",
    encodeFrame({ type: "say", text: "" }),
    "MESSAGE_EMPTY",
    false,
    says("5.3", "`text` is not empty or only whitespace"),
  ),
  badInput(
    "a message of only spaces",
    encodeFrame({ type: "say", text: " \t " }),
    "MESSAGE_EMPTY",
    false,
    says("5.3", "`text` is not empty or only whitespace"),
  ),
  {
    name: "invalid UTF-8 in a name",
    ...says(
      "4",
      "a `str` that is not valid UTF-8 → ERROR `INVALID_UTF8`, not fatal",
    ),
    async fn(h) {
      const c = await h.hello();
      c.sendRaw(
        rawFrame(
          FrameType.JOIN,
          concat(field(h.room()), field(new Uint8Array([0xc3, 0x28]))),
        ),
      );
      await h.expectError(c, "INVALID_UTF8", false);
      c.send({ type: "join", room: h.room(), name: "ok" });
      assert.equal((await c.next()).type, "welcome");
    },
  },
  {
    name: "a frame before HELLO",
    ...says("5.1", "first → fatal ERROR `HELLO_REQUIRED`"),
    // A UDP session exists only after its HELLO: nothing can come first.
    on: STREAM,
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const c = await h.connect();
      c.send({ type: "join", room: h.room(), name: "mal" });
      await h.expectFatal(c, "HELLO_REQUIRED");
      await h.barrier(amy!, [bob!], "amy");
    },
  },
  {
    name: "a message before joining",
    ...says("5.3", "the client has joined a room → otherwise `NOT_JOINED`"),
    async fn(h) {
      await strangerSends(
        h,
        encodeFrame({ type: "say", text: "hi" }),
        "NOT_JOINED",
        false,
      );
    },
  },
  {
    name: "a message over the message limit",
    ...says("5.3", "`text` is at most `max_message` UTF-8 bytes"),
    // Over UDP the datagram limit comes first (the client says
    // DATAGRAM_TOO_LARGE).
    on: STREAM,
    async fn(h) {
      const [amy, mal] = await h.members("amy", "mal");
      const limit = h.limits.maxMessage;
      mal!.send({ type: "say", text: "a".repeat(limit + 1) });
      await h.expectError(mal!, "MESSAGE_TOO_LONG", false);
      // Counted in bytes of UTF-8: 3 per character here.
      const cjk = "中".repeat(Math.floor(limit / 3)) + "中";
      mal!.send({ type: "say", text: cjk });
      await h.expectError(mal!, "MESSAGE_TOO_LONG", false);
      const max = "a".repeat(limit - 1) + "!";
      mal!.send({ type: "say", text: max });
      await expectEvent(amy!, {
        type: "message",
        room: h.room(),
        from: "mal",
        text: max,
      });
    },
  },
];
