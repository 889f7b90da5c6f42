// The session (core/session.ts): leaving, closing, refused sends, text
// sessions started by the first byte, and refusals kept out of the log.

import assert from "node:assert/strict";
import { LOGGED_REFUSALS } from "../../core/session.ts";
import { assertEvents, clear, connect, member, say, setup } from "./_chat.ts";

Deno.test("chat: LEAVE tells the member and the room, and closes with flush", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.session.handle({ type: "leave" });
  const left = { type: "left", room: "lobby", name: "bob", reason: "quit" };
  assert.deepEqual(bob.peer.take(), [left]);
  assert.deepEqual(bob.peer.closes, [true]);
  assert.deepEqual(amy.peer.take(), [left]);
  assert.equal(bob.session.state, "closed");
  assert.equal(chat.size, 1);
  assert.deepEqual(chat.members("lobby"), ["amy"]);

  // Closed sessions ignore everything.
  say(bob, "ghost");
  bob.session.close();
  assert.deepEqual(amy.peer.take(), []);
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(bob.peer.closes, [true]);

  // LEAVE before joining just closes.
  const c = connect(chat);
  c.session.handle({ type: "leave" });
  assert.deepEqual(c.peer.take(), []);
  assert.deepEqual(c.peer.closes, [true]);
});

Deno.test("chat: session.close() is a disconnect for the others", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.session.close();
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "disconnect" },
  ]);
  // The transport is already gone: nothing is sent or closed.
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(bob.peer.closes, []);
  assert.equal(chat.size, 1);
  assert.equal(chat.stats.connections.get("memory"), 1);
  // The last member leaving empties the room.
  amy.session.close();
  assert.deepEqual(chat.rooms(), []);
});

Deno.test("chat: a refused direct send (welcome, error, pong) drops the member too", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.peer.refuse = true;
  bob.session.handle({ type: "ping", nonce: 1 });
  assert.deepEqual(bob.peer.closes, [false]);
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "slow_consumer" },
  ]);
});

// A first byte that cannot start a frame makes a text session (details in
// tests/core/text/mode_test.ts): no HELLO, the first line is the name.
Deno.test("chat: feed makes a stream that does not start with the magic byte a text session", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const c = connect(chat, { transport: "tcp", hello: true });
  c.session.feed(new TextEncoder().encode("bob\nhi\n"));
  assert.equal(c.session.text, true);
  assert.equal(c.session.state, "joined");
  assert.deepEqual(c.peer.closes, []);
  assertEvents(c.peer.take(), [{ type: "welcome", name: "bob" }]);
  assertEvents(amy.peer.take(), [{ type: "joined", name: "bob" }, {
    type: "message",
    from: "bob",
    text: "hi",
  }]);
});

Deno.test("chat: a session flooding bad input fills no log: the first refusals are logged, all are counted", () => {
  const { chat, logs } = setup();
  const bob = connect(chat);
  for (let i = 0; i < 100; i++) bob.session.handle({ type: "say", text: "x" });
  const refused = logs.filter((r) => r.event === "refused");
  assert.equal(refused.length, LOGGED_REFUSALS);
  assert.equal(refused.at(-1)?.more, "not logged");
  assert.equal(chat.stats.refused, 100);
  assert.equal(bob.peer.take().length, 100); // the member is still told each time
});

Deno.test("chat: a session drawing more than maxRefusals refusals within the window is cut with TOO_MANY_ERRORS", () => {
  const { chat, logs } = setup({
    limits: { maxRefusals: 10, refusalWindowMs: 1000 },
  });
  const bob = connect(chat);
  for (let i = 0; i < 50; i++) bob.session.handle({ type: "say", text: "x" });
  const events = bob.peer.take();
  assert.equal(events.length, 11); // ten refusals, then the cut
  assert.deepEqual(events.at(-1), {
    type: "error",
    code: "TOO_MANY_ERRORS",
    message:
      "Cannot go on: more than 10 refusals within 1000 ms (the last: NOT_JOINED)",
    fatal: true,
  });
  assert.equal(bob.session.state, "closed");
  assert.deepEqual(bob.peer.closes, [true]);
  assert.equal(chat.size, 0);
  assert.equal(logs.filter((r) => r.code === "TOO_MANY_ERRORS").length, 1);
});

Deno.test("chat: refusals spread over time, or with maxRefusals 0, never cut", () => {
  const { chat, clock } = setup({
    limits: { maxRefusals: 10, refusalWindowMs: 1000 },
  });
  const bob = connect(chat);
  // One refusal every 100 ms is the rate the bucket refills at.
  for (let i = 0; i < 100; i++) {
    bob.session.handle({ type: "say", text: "x" });
    clock.advance(100);
  }
  assert.notEqual(bob.session.state, "closed");
  assert.equal(bob.peer.take().length, 100);

  const off = setup({ limits: { maxRefusals: 0 } });
  const amy = connect(off.chat);
  for (let i = 0; i < 1000; i++) amy.session.handle({ type: "say", text: "x" });
  assert.notEqual(amy.session.state, "closed");
});
