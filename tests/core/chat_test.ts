// The chat node (core/chat.ts): observers, totals, and two nodes on one bus.
// Timeouts, limits and the shutdown: chat_life_test.ts.

import assert from "node:assert/strict";
import { MemoryBackplane, MemoryBus } from "../../core/memory_backplane.ts";
import type { RoomEvent } from "../../core/events.ts";
import {
  assertEvents,
  clear,
  connect,
  error,
  member,
  say,
  setup,
} from "./_chat.ts";

Deno.test("chat: observe() sees every room event until it stops", () => {
  const { chat } = setup();
  const seen: RoomEvent[] = [];
  const stop = chat.observe((e) => seen.push(e));
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  say(amy, "hi");
  chat.announce("note");
  bob.session.handle({ type: "leave" });
  assert.deepEqual(seen, [
    { type: "joined", room: "lobby", name: "amy" },
    { type: "joined", room: "lobby", name: "bob" },
    { type: "message", room: "lobby", from: "amy", text: "hi" },
    { type: "announcement", room: null, text: "note" },
    { type: "left", room: "lobby", name: "bob", reason: "quit" },
  ]);
  stop();
  say(amy, "unseen");
  assert.equal(seen.length, 5);
});

Deno.test("chat: stats count connections, messages, refusals, deliveries", () => {
  const { chat, logs } = setup();
  const amy = member(chat, "amy", "lobby", { transport: "tcp" });
  const bob = member(chat, "bob", "lobby", { transport: "ws" }); // 1 delivery
  const cat = member(chat, "cat", "lobby", { transport: "ws" }); // 2 deliveries
  assert.equal(chat.stats.connections.get("tcp"), 1);
  assert.equal(chat.stats.connections.get("ws"), 2);
  say(amy, "one"); // 2 deliveries
  say(bob, "two"); // 2 deliveries
  say(bob, ""); // refused
  chat.announce("all"); // 3 deliveries
  assert.equal(chat.stats.messagesIn, 2);
  assert.equal(chat.stats.refused, 1);
  assert.equal(chat.stats.deliveries, 10);
  assert.equal(chat.stats.announcements, 1);
  cat.session.close(); // 2 deliveries
  assert.equal(chat.stats.deliveries, 12);
  assert.equal(chat.stats.connections.get("ws"), 1);
  assert.equal(chat.stats.slowConsumers, 0);
  assert.deepEqual(
    logs.map((r) => r.event).filter((e) => e !== "connect"),
    ["join", "join", "join", "refused", "announce", "leave", "disconnect"],
  );
});

Deno.test("chat: two nodes on one bus share names, rooms and events", async () => {
  const bus = new MemoryBus();
  const a = setup({ backplane: new MemoryBackplane({ bus }) }).chat;
  const b = setup({ backplane: new MemoryBackplane({ bus }) }).chat;
  assert.notEqual(a.backplane.nodeId, b.backplane.nodeId);

  const amy = member(a, "amy");
  const bob = member(b, "bob");
  // Bob's welcome listed amy (checked by `member`); amy heard bob join.
  assert.deepEqual(amy.peer.take(), [
    { type: "joined", room: "lobby", name: "bob" },
  ]);

  // Names are unique across nodes.
  const dup = connect(b);
  dup.session.handle({ type: "join", room: "lobby", name: "AMY" });
  assertEvents(dup.peer.take(), [error("NAME_TAKEN")]);

  // Messages cross nodes, and are not echoed back.
  say(amy, "from a");
  assert.deepEqual(bob.peer.take(), [
    { type: "message", room: "lobby", from: "amy", text: "from a" },
  ]);
  assert.deepEqual(amy.peer.take(), []);
  say(bob, "from b");
  assertEvents(amy.peer.take(), [{ type: "message", from: "bob" }]);
  assert.deepEqual(bob.peer.take(), []);

  // History is shared too: a joiner on either node hears what was said.
  const cat = member(a, "cat");
  assert.deepEqual(cat.history?.map((e) => e.type === "history" && e.event), [
    { type: "message", room: "lobby", from: "amy", text: "from a" },
    { type: "message", room: "lobby", from: "bob", text: "from b" },
  ]);

  // WHO lists both nodes' members.
  clear(amy, bob);
  cat.session.handle({ type: "who", room: "" });
  assertEvents(cat.peer.take(), [
    { type: "members", members: ["amy", "bob", "cat"], total: 3 },
  ]);
  assert.deepEqual(b.members("lobby"), ["amy", "bob", "cat"]);

  // Announcements reach both nodes; counts are this node's.
  assert.deepEqual(a.announce("hello all"), {
    ok: true,
    rooms: 1,
    delivered: 2,
  });
  assertEvents(bob.peer.take(), [{ type: "announcement", text: "hello all" }]);
  assertEvents(amy.peer.take(), [{ type: "announcement" }]);
  clear(cat);
  b.announce("to lobby", "lobby");
  assertEvents(cat.peer.take(), [{ type: "announcement", room: "lobby" }]);

  // Leaves cross nodes and free the name cluster-wide.
  clear(amy, bob, cat);
  bob.session.close();
  assertEvents(amy.peer.take(), [
    { type: "left", name: "bob", reason: "disconnect" },
  ]);
  assertEvents(cat.peer.take(), [{ type: "left", name: "bob" }]);
  member(a, "bob");

  // A node that shuts down releases its names.
  await b.shutdown();
  assert.deepEqual(a.members("lobby"), ["amy", "cat", "bob"]);
  await a.shutdown();
  assert.deepEqual(bus.claims.size, 0);
  assert.equal(bus.nodes.size, 0);
});
