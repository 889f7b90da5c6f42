/**
 * Conformance cases: bad input (docs/protocol.md, 4 and 5.7). The sender
 * gets a coded error (fatal where the stream can no longer be trusted) and
 * no other member notices anything beyond, for a fatal error, the sender's
 * ordinary `left` (disconnect).
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeFrame, FrameType } from "../../core/codec/mod.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import type { ConformanceCase, Spec, Wire } from "./case.ts";
import { expectEvent, type Harness } from "./harness.ts";
import { concat, field, rawFrame } from "./wire.ts";

const SAY = FrameType.SAY;
const te = new TextEncoder();

/** The header of a SAY one byte over the server's frame limit. */
function oversizeHeader(h: Harness): Uint8Array {
  return rawFrame(SAY, new Uint8Array(0), h.limits.maxFrame - 6 + 1);
}

/** Bytes, or bytes that depend on what the server announced. */
type Bytes = Uint8Array | ((h: Harness) => Uint8Array);

/**
 * A joined member "mal" sends `bytes`; amy and bob watch. Non-fatal: mal is
 * told, nobody else hears a thing, and mal can still talk. Fatal: mal is
 * told and cut off; amy and bob see only mal leave.
 */
async function joinedSends(
  h: Harness,
  bytes: Bytes,
  code: ErrorCodeName,
  fatal: boolean,
): Promise<void> {
  const [amy, bob, mal] = await h.members("amy", "bob", "mal");
  mal!.sendRaw(typeof bytes === "function" ? bytes(h) : bytes);
  if (fatal) {
    await h.expectFatal(mal!, code);
    for (const c of [amy!, bob!]) {
      await expectEvent(c, {
        type: "left",
        room: h.room(),
        name: "mal",
        reason: "disconnect",
      });
    }
    await h.barrier(amy!, [bob!], "amy");
  } else {
    await h.expectError(mal!, code, false);
    await h.barrier(mal!, [amy!, bob!], "mal");
  }
}

/** A connection that said HELLO but never joined sends `bytes`. */
async function strangerSends(
  h: Harness,
  bytes: Bytes,
  code: ErrorCodeName,
  fatal: boolean,
): Promise<void> {
  const [amy, bob] = await h.members("amy", "bob");
  const c = await h.hello();
  c.sendRaw(typeof bytes === "function" ? bytes(h) : bytes);
  if (fatal) await h.expectFatal(c, code);
  else await h.expectError(c, code, false);
  await h.barrier(amy!, [bob!], "amy");
}

function badInput(
  name: string,
  bytes: Bytes,
  code: ErrorCodeName,
  fatal: boolean,
  more: { on?: readonly Wire[]; spec?: readonly Spec[] } = {},
): ConformanceCase {
  return { name, ...more, fn: (h) => joinedSends(h, bytes, code, fatal) };
}

/** One statement of a section. */
function says(section: string, words: string): { spec: Spec[] } {
  return { spec: [{ section, says: words }] };
}

// Frame size and framing errors are stream matters: over UDP a datagram
// that is not whole frames is refused whole, not fatal to a session
// (cases_udp.ts).
const STREAM = ["stream"] as const;

/** The bad-input cases. */
export const BAD_INPUT_CASES: readonly ConformanceCase[] = [
  {
    // Only the header is sent: the server must judge it without the payload.
    name: "a frame over the size limit, before joining",
    on: STREAM,
    ...says(
      "2",
      "`6 + length > max_frame` it sends a fatal ERROR `FRAME_TOO_LARGE`",
    ),
    fn: (h) => strangerSends(h, oversizeHeader, "FRAME_TOO_LARGE", true),
  },
  badInput(
    "a frame over the size limit, from a member",
    oversizeHeader,
    "FRAME_TOO_LARGE",
    true,
    { on: STREAM },
  ),
  {
    name: "a frame of exactly the size limit is read",
    on: STREAM,
    ...says("2", "a frame of exactly `max_frame` bytes is accepted"),
    async fn(h) {
      const [amy, mal] = await h.members("amy", "mal");
      const text = "x".repeat(h.limits.maxFrame - 6 - 2);
      mal!.send({ type: "say", text });
      await h.expectError(mal!, "MESSAGE_TOO_LONG", false);
      await h.barrier(mal!, [amy!], "mal");
    },
  },
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
      "`version` other than 1 → fatal ERROR `UNSUPPORTED_VERSION`",
    ),
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const c = await h.connect();
      c.send({ type: "hello", version: 2, software: "future/9" });
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
    "a bad magic byte between frames",
    new Uint8Array([0x00, 0x03, 0, 0, 0, 0]),
    "FRAME_MALFORMED",
    true,
    {
      on: STREAM,
      ...says(
        "2",
        "the server sends a fatal ERROR `FRAME_MALFORMED` and closes the connection",
      ),
    },
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
  {
    name: "a frame split into single bytes",
    ...says("1", "Stream boundaries mean nothing"),
    on: STREAM,
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const bytes = encodeFrame({ type: "say", text: "slow 慢" });
      for (const b of bytes) bob!.sendRaw(new Uint8Array([b]));
      await expectEvent(amy!, {
        type: "message",
        room: h.room(),
        from: "bob",
        text: "slow 慢",
      });
    },
  },
  {
    name: "a connection closed in the middle of a frame",
    ...says("7", "The connection went away without LEAVE"),
    on: STREAM,
    async fn(h) {
      const [amy, mal] = await h.members("amy", "mal");
      mal!.sendRaw(encodeFrame({ type: "say", text: "cut" }).subarray(0, 7));
      await mal!.close();
      await expectEvent(amy!, {
        type: "left",
        room: h.room(),
        name: "mal",
        reason: "disconnect",
      });
    },
  },
];
