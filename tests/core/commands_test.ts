// The protocol state machine (core/commands.ts): HELLO, messages and their
// limits, WHO and PING, and the rate limit. Commands sent while a JOIN is
// decided: join_answer_test.ts.

import assert from "node:assert/strict";
import { LATEST_VERSION, PROTOCOL_VERSION } from "../../core/codec/mod.ts";
import { SOFTWARE } from "../../core/commands.ts";
import {
  assertEvents,
  clear,
  connect,
  error,
  member,
  say,
  setup,
} from "./_chat.ts";

Deno.test("chat: rate limit refuses messages over the burst and refills with the clock", () => {
  const { chat, clock } = setup({
    limits: { messagesPerSecond: 2, messageBurst: 3 },
  });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  for (const text of ["1", "2", "3"]) say(bob, text);
  say(bob, "4");
  assertEvents(bob.peer.take(), [error("RATE_LIMITED")]);
  assert.deepEqual(amy.peer.take().map((e) => e.type === "message" && e.text), [
    "1",
    "2",
    "3",
  ]);
  clock.advance(499);
  say(bob, "5");
  assertEvents(bob.peer.take(), [error("RATE_LIMITED")]);
  clock.advance(1); // 500 ms at 2/s: one message
  say(bob, "6");
  say(bob, "7");
  assertEvents(bob.peer.take(), [error("RATE_LIMITED")]);
  assertEvents(amy.peer.take(), [{ type: "message", text: "6" }]);
  // A long pause refills only up to the burst.
  clock.advance(60_000);
  for (const text of ["a", "b", "c", "d"]) say(bob, text);
  assertEvents(bob.peer.take(), [error("RATE_LIMITED")]);
  assert.equal(amy.peer.take().length, 3);
  // Refused messages are refusals, not messages.
  assert.equal(chat.stats.messagesIn, 7);
  // The member is not closed for going too fast.
  assert.equal(bob.session.state, "joined");
});

Deno.test("chat: messagesPerSecond 0 turns the rate limit off", () => {
  const { chat } = setup({ limits: { messagesPerSecond: 0, messageBurst: 1 } });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  for (let i = 0; i < 100; i++) say(bob, `${i}`);
  assert.deepEqual(bob.peer.take(), []);
  assert.equal(amy.peer.take().length, 100);
});

Deno.test("chat: empty messages are refused", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  for (const text of ["", " ", "\t\n", "\u3000"]) {
    say(bob, text);
    assertEvents(
      bob.peer.take(),
      [error("MESSAGE_EMPTY")],
      JSON.stringify(text),
    );
  }
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: message length is counted in UTF-8 bytes, the limit itself is fine", () => {
  const { chat } = setup({ limits: { maxMessageBytes: 12 } });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  const ok = [
    "a".repeat(12),
    "中".repeat(4), // 12 bytes
    "😀".repeat(3), // 12 bytes
    "é".repeat(6), // 12 bytes
    "中中中aé", // 9 + 1 + 2 bytes
  ];
  const tooLong = [
    "a".repeat(13),
    "中".repeat(4) + "a", // 13 bytes, 5 UTF-16 units
    "中".repeat(5), // 15 bytes, 5 UTF-16 units
    "😀".repeat(3) + "a", // 13 bytes
    "é".repeat(7), // 14 bytes, 7 units
  ];
  for (const text of ok) {
    assert.equal(new TextEncoder().encode(text).length <= 12, true, text);
    say(bob, text);
    assert.deepEqual(bob.peer.take(), [], text);
    assertEvents(amy.peer.take(), [{ type: "message", text }], text);
  }
  for (const text of tooLong) {
    assert.equal(new TextEncoder().encode(text).length > 12, true, text);
    say(bob, text);
    assertEvents(bob.peer.take(), [error("MESSAGE_TOO_LONG")], text);
    assert.deepEqual(amy.peer.take(), [], text);
  }
});

Deno.test("chat: lone surrogates count as the 3 bytes they are sent as", () => {
  const { chat } = setup({ limits: { maxMessageBytes: 12 } });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  const fits = "\ud800中\ud800中"; // U+FFFD 中 U+FFFD 中: 12 bytes
  const over = "\ud800中\ud800中\ud800中"; // 18 bytes
  say(bob, fits);
  assertEvents(amy.peer.take(), [{ type: "message" }]);
  say(bob, over);
  assertEvents(bob.peer.take(), [error("MESSAGE_TOO_LONG")]);
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: the default 4096-byte message limit, with multibyte text", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  say(bob, "a".repeat(4096));
  say(bob, "中".repeat(1365) + "a"); // 4096 bytes
  assert.equal(amy.peer.take().length, 2);
  for (
    const text of [
      "a".repeat(4097),
      "中".repeat(1365) + "ab",
      "中".repeat(4000),
    ]
  ) {
    say(bob, text);
    assertEvents(bob.peer.take(), [error("MESSAGE_TOO_LONG")]);
  }
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: SAY and WHO before JOIN are NOT_JOINED", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const c = connect(chat);
  say(c, "hello?");
  c.session.handle({ type: "who", room: "" });
  assertEvents(c.peer.take(), [error("NOT_JOINED"), error("NOT_JOINED")]);
  assert.deepEqual(amy.peer.take(), []);
  assert.equal(c.session.state, "ready");
  // WHO of a named room works before joining.
  c.session.handle({ type: "who", room: "Lobby" });
  assert.deepEqual(c.peer.take(), [
    { type: "members", room: "lobby", members: ["amy"], total: 1 },
  ]);
});

Deno.test("chat: WHO lists the current room or a named one; PING answers PONG", () => {
  const { chat } = setup();
  member(chat, "amy");
  const bob = member(chat, "bob");
  member(chat, "cat", "other");
  bob.session.handle({ type: "who", room: "" });
  bob.session.handle({ type: "who", room: "OTHER" });
  bob.session.handle({ type: "who", room: "empty" });
  bob.session.handle({ type: "who", room: "bad room" });
  bob.session.handle({ type: "ping", nonce: 0xffffffff });
  assertEvents(bob.peer.take(), [
    { type: "members", room: "lobby", members: ["amy", "bob"], total: 2 },
    { type: "members", room: "other", members: ["cat"], total: 1 },
    { type: "members", room: "empty", members: [], total: 0 },
    error("ROOM_INVALID"),
    { type: "pong", nonce: 0xffffffff },
  ]);
});

Deno.test("chat: with hello: true the first command must be HELLO", () => {
  const { chat } = setup();
  const c = connect(chat, { hello: true });
  assert.equal(c.session.state, "new");
  c.session.handle({ type: "join", room: "lobby", name: "bob" });
  assertEvents(c.peer.take(), [error("HELLO_REQUIRED", true)]);
  assert.deepEqual(c.peer.closes, [true]);
  assert.equal(c.session.state, "closed");
  assert.deepEqual(chat.rooms(), []);
});

Deno.test("chat: HELLO with another version is UNSUPPORTED_VERSION, fatal", () => {
  const { chat } = setup();
  const c = connect(chat, { hello: true });
  c.session.handle({
    type: "hello",
    version: LATEST_VERSION + 1,
    software: "x",
  });
  assertEvents(c.peer.take(), [error("UNSUPPORTED_VERSION", true)]);
  assert.deepEqual(c.peer.closes, [true]);
});

Deno.test("chat: hello_ok carries the version, software and limits", () => {
  const { chat } = setup({
    limits: { maxFrameSize: 2048, maxMessageBytes: 500 },
  });
  const c = connect(chat, { hello: true });
  c.session.handle({ type: "hello", version: PROTOCOL_VERSION, software: "t" });
  assert.deepEqual(c.peer.take(), [
    {
      type: "hello_ok",
      version: PROTOCOL_VERSION,
      software: SOFTWARE,
      maxFrame: 2048,
      maxMessage: 500,
    },
  ]);
  assert.equal(c.session.state, "ready");
  c.session.handle({ type: "join", room: "lobby", name: "bob" });
  assertEvents(c.peer.take(), [{ type: "welcome" }]);
  // HELLO is also fine where it is not required.
  const d = connect(chat);
  d.session.handle({ type: "hello", version: PROTOCOL_VERSION, software: "t" });
  assertEvents(d.peer.take(), [{ type: "hello_ok" }]);
});

Deno.test("chat: moving rooms and /who share the message rate limit, so nobody floods rooms with notices", () => {
  const { chat } = setup({ limits: { messagesPerSecond: 1, messageBurst: 2 } });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob"); // the first join is free
  clear(amy);
  bob.session.handle({ type: "join", room: "games", name: "bob" });
  bob.session.handle({ type: "who", room: "" });
  assert.deepEqual(bob.peer.take().map((e) => e.type), ["welcome", "members"]);
  bob.session.handle({ type: "join", room: "lobby", name: "bob" });
  bob.session.handle({ type: "who", room: "" });
  assertEvents(bob.peer.take(), [error("RATE_LIMITED"), error("RATE_LIMITED")]);
  // Amy saw bob leave once, and never come back.
  assert.deepEqual(amy.peer.take().map((e) => e.type), ["left"]);
  assert.equal(bob.session.room, "games");
});

Deno.test("chat: a JOIN of the room and name one already has costs no rate token", () => {
  const { chat } = setup({ limits: { messagesPerSecond: 1, messageBurst: 1 } });
  const amy = member(chat, "amy");
  amy.session.handle({ type: "join", room: "Lobby", name: "AMY" });
  assertEvents(amy.peer.take(), [{ type: "welcome" }]);
  say(amy, "still one token left");
  assert.deepEqual(amy.peer.take(), []);
});
