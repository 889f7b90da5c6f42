// Binary mode (core/frame_mode.ts): Session.feed with a stream of frames.

import assert from "node:assert/strict";
import { encodeFrame, PROTOCOL_VERSION } from "../../core/codec/mod.ts";
import { concat } from "../_bytes.ts";
import {
  assertEvents,
  clear,
  connect,
  error,
  frames,
  member,
  setup,
} from "./_chat.ts";

Deno.test("chat: feed with HELLO+JOIN+SAY pipelined in one chunk", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  clear(amy);
  const bob = connect(chat, { hello: true, transport: "tcp" });
  bob.session.feed(frames(
    { type: "hello", version: PROTOCOL_VERSION, software: "test" },
    { type: "join", room: "lobby", name: "bob" },
    { type: "say", text: "hi" },
    { type: "ping", nonce: 5 },
  ));
  assertEvents(bob.peer.take(), [
    { type: "hello_ok" },
    { type: "welcome", name: "bob" },
    { type: "pong", nonce: 5 },
  ]);
  assert.deepEqual(amy.peer.take(), [
    { type: "joined", room: "lobby", name: "bob" },
    { type: "message", room: "lobby", from: "bob", text: "hi" },
  ]);
});

Deno.test("chat: feed one byte at a time", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  clear(amy);
  const bob = connect(chat, { hello: true });
  const bytes = frames(
    { type: "hello", version: PROTOCOL_VERSION, software: "test" },
    { type: "join", room: "lobby", name: "张三" },
    { type: "say", text: "你好" },
  );
  for (let i = 0; i < bytes.length; i++) {
    bob.session.feed(bytes.slice(i, i + 1));
  }
  assertEvents(bob.peer.take(), [{ type: "hello_ok" }, { type: "welcome" }]);
  assertEvents(amy.peer.take(), [{ type: "joined" }, {
    type: "message",
    text: "你好",
  }]);
});

Deno.test("chat: feed answers a bad frame with an error and goes on", () => {
  const { chat } = setup();
  const c = connect(chat);
  const unknownType = new Uint8Array([0xab, 0x7f, 0, 0, 0, 0]);
  const badUtf8 = new Uint8Array([0xab, 0x03, 0, 0, 0, 3, 0, 1, 0xff]);
  c.session.feed(concat(
    frames({ type: "join", room: "lobby", name: "bob" }),
    unknownType,
    badUtf8,
    // A server frame sent by a client.
    encodeFrame({ type: "pong", nonce: 1 }),
    frames({ type: "ping", nonce: 2 }),
  ));
  assertEvents(c.peer.take(), [
    { type: "welcome" },
    error("UNKNOWN_TYPE"),
    error("INVALID_UTF8"),
    error("UNKNOWN_TYPE"),
    { type: "pong", nonce: 2 },
  ]);
  assert.equal(c.session.state, "joined");
  assert.equal(c.peer.closed, false);
});

Deno.test("chat: feed closes the connection on an over-size frame header", () => {
  const { chat } = setup({
    limits: { maxFrameSize: 1024, maxMessageBytes: 500 },
  });
  const amy = member(chat, "amy");
  const bob = connect(chat);
  bob.session.feed(frames({ type: "join", room: "lobby", name: "bob" }));
  clear(amy, bob);
  // Only the header of a 1 GiB frame arrives.
  bob.session.feed(new Uint8Array([0xab, 0x03, 0x40, 0, 0, 0]));
  assertEvents(bob.peer.take(), [error("FRAME_TOO_LARGE", true)]);
  assert.deepEqual(bob.peer.closes, [true]);
  assertEvents(amy.peer.take(), [
    { type: "left", name: "bob", reason: "disconnect" },
  ]);
  // Nothing more is read.
  bob.session.feed(frames({ type: "say", text: "late" }));
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: feed stops at LEAVE; later frames in the chunk are ignored", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = connect(chat);
  bob.session.feed(frames(
    { type: "join", room: "lobby", name: "bob" },
    { type: "leave" },
    { type: "say", text: "after leave" },
  ));
  assertEvents(amy.peer.take(), [
    { type: "joined" },
    { type: "left", name: "bob", reason: "quit" },
  ]);
  assertEvents(bob.peer.take(), [{ type: "welcome" }, { type: "left" }]);
});
