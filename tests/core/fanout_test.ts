// Fan-out (core/fanout.ts): one shared event to every other member, and slow
// consumers dropped without holding up the rest.

import assert from "node:assert/strict";
import { assertEvents, clear, member, say, setup } from "./_chat.ts";

Deno.test("chat: a message goes to every other member, not the sender", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat");
  const dan = member(chat, "dan", "elsewhere");
  clear(amy, bob, cat);
  say(amy, "hi 你好");
  const message = {
    type: "message",
    room: "lobby",
    from: "amy",
    text: "hi 你好",
  };
  assert.deepEqual(bob.peer.take(), [message]);
  assert.deepEqual(cat.peer.take(), [message]);
  assert.deepEqual(amy.peer.take(), []);
  assert.deepEqual(dan.peer.take(), []);
});

Deno.test("chat: a fan-out is encoded once and shared by every recipient", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat");
  clear(amy, bob, cat);
  say(amy, "shared");
  const [toBob] = bob.peer.sent;
  const [toCat] = cat.peer.sent;
  assert.ok(toBob !== undefined && toCat !== undefined);
  assert.equal(toBob, toCat, "the same Outgoing instance");
  const bytes = toBob.binary();
  assert.equal(toCat.binary(), bytes, "the same Uint8Array object");
  assert.equal(toBob.json(), toCat.json());

  // Joined, left and announcements are shared too.
  member(chat, "dan");
  assert.equal(amy.peer.sent.at(-1), bob.peer.sent.at(-1));
  chat.announce("all");
  assert.equal(amy.peer.sent.at(-1), cat.peer.sent.at(-1));
  cat.session.close();
  assert.equal(amy.peer.sent.at(-1), bob.peer.sent.at(-1));
  assert.equal(amy.peer.last?.type, "left");
});

Deno.test("chat: a slow consumer is dropped; the rest of the fan-out goes on", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat");
  const dan = member(chat, "dan");
  clear(amy, bob, cat, dan);
  bob.peer.refuse = true;
  say(amy, "hi");
  const message = { type: "message", room: "lobby", from: "amy", text: "hi" };
  const left = {
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "slow_consumer",
  };
  // Members after bob in the room still got the message, then bob's leaving.
  assert.deepEqual(cat.peer.take(), [message, left]);
  assert.deepEqual(dan.peer.take(), [message, left]);
  assert.deepEqual(amy.peer.take(), [left]);
  // Bob is told nothing more (its buffer is full) and closed at once.
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(bob.peer.closes, [false]);
  assert.equal(bob.session.state, "closed");
  assert.equal(chat.stats.slowConsumers, 1);
  assert.deepEqual(chat.members("lobby"), ["amy", "cat", "dan"]);
});

Deno.test("chat: several slow consumers in one fan-out are all dropped", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const slow = [member(chat, "b1"), member(chat, "b2"), member(chat, "b3")];
  const cat = member(chat, "cat");
  clear(amy, cat, ...slow);
  for (const s of slow) s.peer.refuse = true;
  say(amy, "hi");
  for (const s of slow) assert.deepEqual(s.peer.closes, [false]);
  assertEvents(cat.peer.take(), [
    { type: "message" },
    { type: "left", name: "b1", reason: "slow_consumer" },
    { type: "left", name: "b2", reason: "slow_consumer" },
    { type: "left", name: "b3", reason: "slow_consumer" },
  ]);
  assert.equal(chat.stats.slowConsumers, 3);
  assert.deepEqual(chat.members("lobby"), ["amy", "cat"]);
});
