// The answer to a JOIN decided asynchronously (core/join_answer.ts): the
// commands sent meanwhile wait, bounded, and run once it is decided; a move
// leaves the old room only then; a connection closed meanwhile keeps no name.

import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../../core/codec/mod.ts";
import {
  assertEvents,
  clear,
  connect,
  DeferredClaimBackplane,
  error,
  frames,
  say,
  setup,
} from "./_chat.ts";

Deno.test("chat: commands sent while a JOIN is decided are queued, then run in order", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane });
  const amy = connect(chat);
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  await backplane.answer();
  clear(amy);

  const bob = connect(chat, { hello: true });
  bob.session.feed(frames(
    { type: "hello", version: PROTOCOL_VERSION, software: "test" },
    { type: "join", room: "lobby", name: "bob" },
    { type: "say", text: "one" },
    { type: "who", room: "" },
    { type: "say", text: "two" },
    { type: "ping", nonce: 3 },
  ));
  assert.equal(bob.session.state, "joining");
  assert.equal(backplane.waiting, 1);
  assertEvents(bob.peer.take(), [{ type: "hello_ok" }]);
  assert.deepEqual(amy.peer.take(), []);

  await backplane.answer();
  assert.equal(bob.session.state, "joined");
  assertEvents(bob.peer.take(), [
    { type: "welcome", members: ["amy", "bob"] },
    { type: "members", members: ["amy", "bob"] },
    { type: "pong", nonce: 3 },
  ]);
  assertEvents(amy.peer.take(), [
    { type: "joined", name: "bob" },
    { type: "message", text: "one" },
    { type: "message", text: "two" },
  ]);
});

Deno.test("chat: a refused asynchronous JOIN runs the queued commands as not joined", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane });
  const amy = connect(chat);
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  await backplane.answer();

  const c = connect(chat);
  c.session.handle({ type: "join", room: "lobby", name: "Amy" });
  say(c, "queued");
  await backplane.answer();
  assertEvents(c.peer.take(), [error("NAME_TAKEN"), error("NOT_JOINED")]);
  assert.equal(c.session.state, "ready");

  // A claim that fails is UNAVAILABLE, and the session can try again.
  backplane.failNext = true;
  c.session.handle({ type: "join", room: "lobby", name: "cat" });
  await backplane.answer();
  assertEvents(c.peer.take(), [error("UNAVAILABLE")]);
  assert.equal(c.session.state, "ready");
  c.session.handle({ type: "join", room: "lobby", name: "cat" });
  await backplane.answer();
  assertEvents(c.peer.take(), [{ type: "welcome", name: "cat" }]);
});

Deno.test("chat: the queue of commands while joining is bounded (JOIN_PENDING)", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane, limits: { pendingCommands: 2 } });
  const c = connect(chat);
  c.session.handle({ type: "join", room: "lobby", name: "bob" });
  c.session.handle({ type: "ping", nonce: 1 });
  c.session.handle({ type: "ping", nonce: 2 });
  c.session.handle({ type: "ping", nonce: 3 });
  assertEvents(c.peer.take(), [error("JOIN_PENDING")]);
  await backplane.answer();
  assertEvents(c.peer.take(), [
    { type: "welcome" },
    { type: "pong", nonce: 1 },
    { type: "pong", nonce: 2 },
  ]);
});

Deno.test("chat: a move decided asynchronously leaves the old room only once decided", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane });
  const amy = connect(chat);
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  const bob = connect(chat);
  bob.session.handle({ type: "join", room: "lobby", name: "bob" });
  await backplane.answer();
  clear(amy, bob);
  bob.session.handle({ type: "join", room: "other", name: "bob" });
  assert.deepEqual(amy.peer.take(), []);
  await backplane.answer();
  assertEvents(amy.peer.take(), [{ type: "left", reason: "moved" }]);
  assertEvents(bob.peer.take(), [{ type: "welcome", room: "other" }]);
  assert.deepEqual(chat.members("lobby"), ["amy"]);
});

Deno.test("chat: a connection closed while its JOIN is decided does not keep the name", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane });
  const amy = connect(chat);
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  await backplane.answer();
  clear(amy);

  const bob = connect(chat);
  bob.session.handle({ type: "join", room: "lobby", name: "bob" });
  bob.session.close();
  await backplane.answer();
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(amy.peer.take(), []);
  assert.deepEqual(chat.members("lobby"), ["amy"]);

  // The same when the join times out.
  const { chat: chat2, clock } = setup({
    backplane: new DeferredClaimBackplane(),
    limits: { joinTimeoutMs: 1000 },
  });
  const bp2 = chat2.backplane as DeferredClaimBackplane;
  const cat = connect(chat2);
  cat.session.handle({ type: "join", room: "lobby", name: "cat" });
  clock.advance(1000);
  chat2.tick();
  assertEvents(cat.peer.take(), [error("JOIN_TIMEOUT", true)]);
  await bp2.answer();
  assert.deepEqual(chat2.members("lobby"), []);
  const again = connect(chat2);
  again.session.handle({ type: "join", room: "lobby", name: "cat" });
  await bp2.answer();
  assertEvents(again.peer.take(), [{ type: "welcome", name: "cat" }]);
});
