// Conformance cases: bad input. The sender gets a coded error (fatal where
// the stream can no longer be trusted) and no other member notices anything
// beyond, for a fatal error, the sender's ordinary `left` (disconnect).

import assert from "node:assert/strict";
import { encodeFrame, FrameType } from "../../core/codec/mod.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import { concat, field, rawFrame } from "./_client.ts";
import {
  type Case,
  expectError,
  expectEvent,
  expectFatal,
  type Harness,
} from "./_harness.ts";

const SAY = FrameType.SAY;
const te = new TextEncoder();
/** The header of a SAY one byte over the default 64 KiB frame limit. */
const OVERSIZE_HEADER = rawFrame(SAY, new Uint8Array(0), 65536 - 6 + 1);

/**
 * A joined member "mal" sends `bytes`; amy and bob watch. Non-fatal: mal is
 * told, nobody else hears a thing, and mal can still talk. Fatal: mal is
 * told and cut off; amy and bob see only mal leave.
 */
async function joinedSends(
  h: Harness,
  bytes: Uint8Array,
  code: ErrorCodeName,
  fatal: boolean,
): Promise<void> {
  const [amy, bob, mal] = await h.members("amy", "bob", "mal");
  mal!.sendRaw(bytes);
  if (fatal) {
    await expectFatal(mal!, code);
    for (const c of [amy!, bob!]) {
      await expectEvent(c, {
        type: "left",
        room: "lobby",
        name: "mal",
        reason: "disconnect",
      });
    }
    await h.barrier(amy!, [bob!], "amy");
  } else {
    await expectError(mal!, code, false);
    await h.barrier(mal!, [amy!, bob!], "mal");
  }
}

/** A connection that said HELLO but never joined sends `bytes`. */
async function strangerSends(
  h: Harness,
  bytes: Uint8Array,
  code: ErrorCodeName,
  fatal: boolean,
): Promise<void> {
  const [amy, bob] = await h.members("amy", "bob");
  const c = await h.hello();
  c.sendRaw(bytes);
  if (fatal) await expectFatal(c, code);
  else await expectError(c, code, false);
  await h.barrier(amy!, [bob!], "amy");
}

function badInput(
  name: string,
  bytes: Uint8Array,
  code: ErrorCodeName,
  fatal: boolean,
): Case {
  return { name, fn: (h) => joinedSends(h, bytes, code, fatal) };
}

/** The bad-input cases every transport must pass. */
export const BAD_INPUT_CASES: Case[] = [
  {
    // Only the header is sent: the server must judge it without the payload.
    name: "a frame over the size limit, before joining",
    fn: (h) => strangerSends(h, OVERSIZE_HEADER, "FRAME_TOO_LARGE", true),
  },
  badInput(
    "a frame over the size limit, from a member",
    OVERSIZE_HEADER,
    "FRAME_TOO_LARGE",
    true,
  ),
  {
    name: "a frame of exactly the size limit is read",
    async fn(h) {
      const [amy, mal] = await h.members("amy", "mal");
      const text = "x".repeat(65536 - 6 - 2);
      mal!.send({ type: "say", text });
      await expectError(mal!, "MESSAGE_TOO_LONG", false);
      await h.barrier(mal!, [amy!], "mal");
    },
  },
  badInput(
    "an unknown frame type",
    rawFrame(0x7f, new Uint8Array([1, 2, 3])),
    "UNKNOWN_TYPE",
    false,
  ),
  badInput(
    "a server frame sent by a client",
    encodeFrame({ type: "message", room: "lobby", from: "amy", text: "x" }),
    "UNKNOWN_TYPE",
    false,
  ),
  {
    name: "an unsupported protocol version",
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const c = await h.connect();
      c.send({ type: "hello", version: 3, software: "future/9" });
      await expectFatal(c, "UNSUPPORTED_VERSION");
      await h.barrier(amy!, [bob!], "amy");
    },
  },
  badInput(
    "a truncated field",
    rawFrame(SAY, concat(new Uint8Array([0, 10]), te.encode("hi"))),
    "FRAME_MALFORMED",
    false,
  ),
  badInput(
    "a missing field",
    rawFrame(FrameType.JOIN, field("lobby")),
    "FRAME_MALFORMED",
    false,
  ),
  badInput(
    "trailing bytes after the last field",
    rawFrame(SAY, concat(field("hi"), new Uint8Array([0]))),
    "FRAME_MALFORMED",
    false,
  ),
  badInput(
    "a bad magic byte between frames",
    new Uint8Array([0x00, 0x03, 0, 0, 0, 0]),
    "FRAME_MALFORMED",
    true,
  ),
  badInput(
    "invalid UTF-8 in a message",
    rawFrame(SAY, field(new Uint8Array([0x68, 0xff, 0xfe]))),
    "INVALID_UTF8",
    false,
  ),
  badInput(
    "an encoded surrogate (CESU-8) in a message",
    rawFrame(SAY, field(new Uint8Array([0xed, 0xa0, 0x80]))),
    "INVALID_UTF8",
    false,
  ),
  badInput(
    "an empty message",
    encodeFrame({ type: "say", text: "" }),
    "MESSAGE_EMPTY",
    false,
  ),
  badInput(
    "a message of only spaces",
    encodeFrame({ type: "say", text: " \t " }),
    "MESSAGE_EMPTY",
    false,
  ),
  {
    name: "invalid UTF-8 in a name",
    async fn(h) {
      const c = await h.hello();
      c.sendRaw(
        rawFrame(
          FrameType.JOIN,
          concat(field("lobby"), field(new Uint8Array([0xc3, 0x28]))),
        ),
      );
      await expectError(c, "INVALID_UTF8", false);
      c.send({ type: "join", room: "lobby", name: "ok" });
      assert.equal((await c.next()).type, "welcome");
    },
  },
  {
    name: "a frame before HELLO",
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const c = await h.connect();
      c.send({ type: "join", room: "lobby", name: "mal" });
      await expectFatal(c, "HELLO_REQUIRED");
      await h.barrier(amy!, [bob!], "amy");
    },
  },
  {
    name: "a message before joining",
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
    async fn(h) {
      const [amy, mal] = await h.members("amy", "mal");
      mal!.send({ type: "say", text: "a".repeat(4097) });
      await expectError(mal!, "MESSAGE_TOO_LONG", false);
      mal!.send({ type: "say", text: "中".repeat(1366) }); // 4098 bytes
      await expectError(mal!, "MESSAGE_TOO_LONG", false);
      const max = "a".repeat(4095) + "!";
      mal!.send({ type: "say", text: max });
      await expectEvent(amy!, {
        type: "message",
        room: "lobby",
        from: "mal",
        text: max,
      });
    },
  },
  {
    name: "a frame split into single bytes",
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      const bytes = encodeFrame({ type: "say", text: "slow 慢" });
      for (const b of bytes) bob!.sendRaw(new Uint8Array([b]));
      await expectEvent(amy!, {
        type: "message",
        room: "lobby",
        from: "bob",
        text: "slow 慢",
      });
    },
  },
  {
    name: "a connection closed in the middle of a frame",
    async fn(h) {
      const [amy, mal] = await h.members("amy", "mal");
      mal!.sendRaw(encodeFrame({ type: "say", text: "cut" }).subarray(0, 7));
      await mal!.close();
      await expectEvent(amy!, {
        type: "left",
        room: "lobby",
        name: "mal",
        reason: "disconnect",
      });
    },
  },
];
