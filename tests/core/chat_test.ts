// The chat node (core/chat.ts): connection limits, time, shutdown, observers,
// totals, and two nodes on one bus.

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

Deno.test("chat: tick closes connections that do not join in time", () => {
  const { chat, clock } = setup({ limits: { joinTimeoutMs: 5000 } });
  const lazy = connect(chat);
  const refused = connect(chat);
  refused.session.handle({ type: "join", room: "lobby", name: "admin" });
  refused.peer.take();
  const quick = member(chat, "quick");
  clock.advance(4999);
  chat.tick();
  assert.deepEqual(lazy.peer.take(), []);
  assert.equal(lazy.peer.closed, false);
  clock.advance(1);
  chat.tick();
  assertEvents(lazy.peer.take(), [error("JOIN_TIMEOUT", true)]);
  assert.deepEqual(lazy.peer.closes, [true]);
  assert.equal(lazy.session.state, "closed");
  // A refused JOIN does not count as joining.
  assertEvents(refused.peer.take(), [error("JOIN_TIMEOUT", true)]);
  // A member that joined is left alone, however long it stays.
  clock.advance(1_000_000);
  chat.tick();
  assert.deepEqual(quick.peer.take(), []);
  assert.equal(quick.session.state, "joined");
  assert.equal(chat.size, 1);
});

Deno.test("chat: idleTimeoutMs removes silent members with reason timeout", () => {
  const { chat, clock } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob", "lobby", { idleTimeoutMs: 5000 });
  clear(amy);
  clock.advance(4999);
  chat.tick();
  assert.equal(bob.session.state, "joined");
  // Anything from the member counts as activity.
  bob.session.handle({ type: "ping", nonce: 9 });
  assert.deepEqual(bob.peer.take(), [{ type: "pong", nonce: 9 }]);
  clock.advance(4999);
  chat.tick();
  assert.equal(bob.session.state, "joined");
  clock.advance(1);
  chat.tick();
  const left = { type: "left", room: "lobby", name: "bob", reason: "timeout" };
  assert.deepEqual(bob.peer.take(), [left]);
  assert.deepEqual(bob.peer.closes, [true]);
  assert.deepEqual(amy.peer.take(), [left]);
  // Members without an idle timeout stay.
  clock.advance(1_000_000);
  chat.tick();
  assert.equal(amy.session.state, "joined");
});

Deno.test("chat: maxConnections refuses further connections with SERVER_FULL", () => {
  const { chat } = setup({ limits: { maxConnections: 2 } });
  const a = connect(chat);
  connect(chat, { transport: "ws" });
  const c = connect(chat);
  assertEvents(c.peer.take(), [error("SERVER_FULL", true)]);
  assert.deepEqual(c.peer.closes, [true]);
  assert.equal(c.session.state, "closed");
  assert.equal(chat.size, 2);
  assert.equal(chat.stats.connections.get("memory"), 1);
  assert.equal(chat.stats.connections.get("ws"), 1);
  a.session.close();
  const d = connect(chat);
  assert.equal(d.session.state, "ready");
  assert.deepEqual(d.peer.take(), []);
});

Deno.test("chat: shutdown tells each member once, closes everyone, refuses new connections", async () => {
  const { chat } = setup();
  const lobby = ["amy", "bob", "cat", "dan"].map((n) => member(chat, n));
  const other = member(chat, "eve", "other");
  const waiting = connect(chat);
  const members = [...lobby, other];
  clear(...members);

  await chat.shutdown();
  assert.equal(chat.closing, true);
  for (const m of members) {
    const name = m.session === other.session ? "eve" : undefined;
    const events = m.peer.take();
    // Exactly one event each: its own left, not N-1 left notices of others.
    assert.equal(events.length, 1, JSON.stringify(events));
    const [left] = events;
    assert.equal(left?.type, "left");
    if (left?.type !== "left") continue;
    assert.equal(left.reason, "shutdown");
    assert.equal(left.name, name ?? left.name);
    assert.deepEqual(m.peer.closes, [true]);
    assert.equal(m.session.state, "closed");
  }
  assert.deepEqual(
    lobby.map((m) => m.peer.sent.length),
    [0, 0, 0, 0],
  );
  assertEvents(waiting.peer.take(), [error("SHUTTING_DOWN", true)]);
  assert.deepEqual(waiting.peer.closes, [true]);
  assert.equal(chat.size, 0);
  assert.deepEqual(chat.rooms(), []);
  assert.equal(chat.stats.connections.get("memory"), 0);

  const late = connect(chat);
  assertEvents(late.peer.take(), [error("SHUTTING_DOWN", true)]);
  assert.deepEqual(late.peer.closes, [true]);
  assert.equal(chat.size, 0);
  await chat.shutdown(); // twice is fine
});

Deno.test("chat: shutdown sends each member a left event with its own name", async () => {
  const { chat } = setup();
  const names = ["amy", "Bob", "张三"];
  const conns = names.map((n) => member(chat, n));
  clear(...conns);
  await chat.shutdown();
  assert.deepEqual(
    conns.map((c) => c.peer.events),
    names.map((name) => [
      { type: "left", room: "lobby", name, reason: "shutdown" },
    ]),
  );
});

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
