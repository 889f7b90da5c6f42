// A chat node's sessions over its life (core/chat_life.ts): join and idle
// timeouts, the connection limit, and the shutdown.

import assert from "node:assert/strict";
import { assertEvents, clear, connect, error, member, setup } from "./_chat.ts";

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
