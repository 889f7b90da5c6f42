/**
 * Conformance cases: the handshake and the session's first frames
 * (docs/protocol.md, 4, 5.1, 5.4 to 5.7): HELLO again, another version
 * later, anything before HELLO, errors judged frame by frame, what works
 * before JOIN.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeFrame, FrameType } from "../../core/codec/mod.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import type { ConformanceCase } from "./case.ts";
import { expectEvent } from "./harness.ts";
import { concat, field, rawFrame } from "./wire.ts";

/** The handshake cases. */
export const HANDSHAKE_CASES: readonly ConformanceCase[] = [
  {
    name: "a HELLO sent again gets another HELLO_OK",
    spec: [{
      section: "5.1",
      says: "A HELLO sent again later is answered with another HELLO_OK",
    }],
    async fn(h) {
      const c = await h.member("amy");
      c.send({ type: "hello", version: 1, software: "kit/1" });
      const ok = await c.next();
      assert.equal(ok.type, "hello_ok", JSON.stringify(ok));
      if (ok.type === "hello_ok") {
        assert.deepEqual([ok.maxFrame, ok.maxMessage], [
          h.limits.maxFrame,
          h.limits.maxMessage,
        ]);
      }
    },
  },
  {
    name: "a later HELLO with a version not spoken is fatal, even in a room",
    spec: [{
      section: "5.1",
      says:
        "a later HELLO with a version other than 1 or 2 is fatal, even in a room",
    }],
    async fn(h) {
      const [amy, bob] = await h.members("amy", "bob");
      bob!.send({ type: "hello", version: 3, software: "future/9" });
      await h.expectFatal(bob!, "UNSUPPORTED_VERSION");
      await expectEvent(amy!, {
        type: "left",
        room: h.room(),
        name: "bob",
        reason: "disconnect",
      });
    },
  },
  {
    name: "a frame that fails to decode before HELLO is fatal, with its code",
    on: ["stream"],
    spec: [{
      section: "5.1",
      says:
        "A first frame that fails to decode (a type number not in the table, a payload too short or too long for its type, invalid UTF-8; HELLO included) → fatal ERROR with that error's code",
    }],
    async fn(h) {
      const cases: [Uint8Array, ErrorCodeName][] = [
        [rawFrame(0x7f, new Uint8Array([1, 2, 3])), "UNKNOWN_TYPE"],
        [rawFrame(FrameType.HELLO, new Uint8Array([0, 1])), "FRAME_MALFORMED"],
        [
          rawFrame(
            FrameType.HELLO,
            concat(new Uint8Array([0, 1]), field(new Uint8Array([0xff]))),
          ),
          "INVALID_UTF8",
        ],
      ];
      for (const [bytes, code] of cases) {
        const c = await h.connect();
        c.sendRaw(bytes);
        await h.expectFatal(c, code);
      }
    },
  },
  {
    name: "a server frame before HELLO is fatal HELLO_REQUIRED",
    on: ["stream"],
    spec: [{
      section: "5.1",
      says:
        "Any other command (JOIN, SAY, WHO, LEAVE, PING, RESUME, RECALL), or a server frame type, first → fatal ERROR `HELLO_REQUIRED`",
    }],
    async fn(h) {
      const c = await h.connect();
      c.sendRaw(encodeFrame({ type: "pong", nonce: 1 }));
      await h.expectFatal(c, "HELLO_REQUIRED");
    },
  },
  {
    name:
      "a bad frame then a bad magic byte in one write: non-fatal, then fatal",
    on: ["stream"],
    spec: [{
      section: "4",
      says:
        "a frame with a bad payload followed by a bad magic byte in the same write gets the non-fatal error for the frame, then the fatal `FRAME_MALFORMED` for the magic",
    }],
    async fn(h) {
      const c = await h.hello();
      c.sendRaw(concat(
        rawFrame(0x7f, new Uint8Array([1])),
        new Uint8Array([0x00, 0x03, 0, 0, 0, 0]),
      ));
      await h.expectError(c, "UNKNOWN_TYPE", false);
      await h.expectFatal(c, "FRAME_MALFORMED");
    },
  },
  {
    name: "before JOIN: PING works, SAY and WHO of your room are NOT_JOINED",
    spec: [
      { section: "5.5", says: "may be sent at any time, joined or not" },
      {
        section: "5.4",
        says:
          "means the client's current room (and gives `NOT_JOINED` if it has none)",
      },
      {
        section: "5.4",
        says: "An empty or unknown room gives total 0 and no names.",
      },
    ],
    async fn(h) {
      const c = await h.hello();
      c.send({ type: "ping", nonce: 42 });
      await expectEvent(c, { type: "pong", nonce: 42 });
      c.send({ type: "who", room: "" });
      await h.expectError(c, "NOT_JOINED", false);
      c.send({ type: "say", text: "hi" });
      await h.expectError(c, "NOT_JOINED", false);
      c.send({ type: "join", room: h.room(), name: "amy" });
      assert.equal((await c.next()).type, "welcome");
      c.send({ type: "who", room: h.room("nobody-here") });
      await expectEvent(c, {
        type: "members",
        room: h.room("nobody-here"),
        total: 0,
        members: [],
      });
    },
  },
  {
    name: "LEAVE before JOIN: no frame, then the server closes",
    on: ["stream"],
    spec: [{
      section: "5.6",
      says: "A client that has not joined gets no frame at all",
    }],
    async fn(h) {
      const c = await h.hello();
      c.send({ type: "leave" });
      await c.ended();
    },
  },
];
