// Room history (core/history.ts, core/welcome.ts): a late joiner gets the
// last N messages and announcements right after its WELCOME, bounded in
// count and bytes; RECALL shows them again; a room's history goes with its
// last member; announcements to every room are in every room's history.

import assert from "node:assert/strict";
import { MemoryBackplane, MemoryBus } from "../../core/memory_backplane.ts";
import { Chat } from "../../core/chat.ts";
import type { ChatEvent } from "../../core/events.ts";
import { clear, connect, member, say, setup } from "./_chat.ts";
import { FakeClock } from "./_peers.ts";

/** The texts of history events, in order. */
function texts(events: readonly ChatEvent[] | undefined): string[] {
  return (events ?? []).flatMap((e) =>
    e.type === "history" ? [e.event.text] : []
  );
}

Deno.test("history: a late joiner gets exactly the last N, after its welcome", () => {
  const { chat } = setup({ limits: { historyLength: 3 } });
  const amy = member(chat, "amy");
  assert.deepEqual(amy.history, []);
  for (const text of ["one", "two", "three", "four"]) say(amy, text);
  const bob = member(chat, "bob");
  assert.deepEqual(texts(bob.history), ["two", "three", "four"]);
  const [first] = bob.history!;
  assert.deepEqual(first, {
    type: "history",
    time: 1_000_000,
    event: { type: "message", room: "lobby", from: "amy", text: "two" },
  });
});

Deno.test("history: time is the wall clock, sender and room are kept", () => {
  const clock = new FakeClock(5);
  const chat = new Chat({ now: clock.now, wallClock: () => 1764172834102 });
  const amy = member(chat, "amy", "kitchen");
  say(amy, "soup");
  const bob = member(chat, "bob", "kitchen");
  assert.deepEqual(bob.history, [{
    type: "history",
    time: 1764172834102,
    event: { type: "message", room: "kitchen", from: "amy", text: "soup" },
  }]);
});

Deno.test("history: bounded in bytes (text and sender, UTF-8)", () => {
  // Each entry: 3 bytes of "amy" + 10 of text = 13; 30 bytes hold two.
  const { chat } = setup({ limits: { historyBytes: 30 } });
  const amy = member(chat, "amy");
  for (const text of ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"]) say(amy, text);
  assert.deepEqual(texts(member(chat, "bob").history), [
    "bbbbbbbbbb",
    "cccccccccc",
  ]);
  // An entry larger than the bound is not kept, nor anything before it.
  say(amy, "x".repeat(40));
  assert.deepEqual(texts(member(chat, "cat").history), []);
});

Deno.test("history: 0 turns it off", () => {
  const { chat } = setup({ limits: { historyLength: 0 } });
  const amy = member(chat, "amy");
  say(amy, "nobody will know");
  chat.announce("nor this");
  assert.deepEqual(member(chat, "bob").history, []);
  assert.deepEqual(chat.history("lobby"), []);
});

Deno.test("history: announcements are in every room's history, in order", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  member(chat, "cat", "kitchen");
  say(amy, "before");
  chat.announce("to all");
  chat.announce("to the kitchen", "kitchen");
  const bob = member(chat, "bob");
  assert.deepEqual(texts(bob.history), ["before", "to all"]);
  const dan = member(chat, "dan", "kitchen");
  assert.deepEqual(dan.history?.map((e) => e.type === "history" && e.event), [
    { type: "announcement", room: null, text: "to all" },
    { type: "announcement", room: "kitchen", text: "to the kitchen" },
  ]);
});

Deno.test("history: a room's history goes with its last member", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  say(amy, "hello?");
  const bob = member(chat, "bob");
  assert.deepEqual(texts(bob.history), ["hello?"]);
  amy.session.handle({ type: "leave" });
  bob.session.handle({ type: "leave" });
  assert.deepEqual(chat.history("lobby"), []);
  assert.deepEqual(member(chat, "cat").history, []);
});

Deno.test("history: moving to a room gets that room's history, not again on a repeated join", () => {
  const { chat } = setup();
  const cat = member(chat, "cat", "kitchen");
  say(cat, "soup is ready");
  const amy = member(chat, "amy");
  amy.session.handle({ type: "join", room: "kitchen", name: "amy" });
  const events = amy.peer.take();
  assert.equal(events[0]?.type, "welcome");
  assert.deepEqual(texts(events.slice(1)), ["soup is ready"]);
  amy.session.handle({ type: "join", room: "kitchen", name: "AMY" });
  assert.deepEqual(amy.peer.take().map((e) => e.type), ["welcome"]);
});

Deno.test("history: RECALL sends the room's history again; not before joining", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  say(amy, "one");
  const bob = member(chat, "bob");
  clear(amy);
  say(amy, "two");
  bob.peer.take();
  bob.session.handle({ type: "recall" });
  assert.deepEqual(texts(bob.peer.take()), ["one", "two"]);
  const c = connect(chat);
  c.session.handle({ type: "recall" });
  assert.deepEqual(c.peer.take().map((e) => e.type === "error" && e.code), [
    "NOT_JOINED",
  ]);
});

Deno.test("history: a history event is encoded once around the message's own bytes", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  say(amy, "shared");
  const live = bob.peer.sent.at(-1)!;
  const cat = member(chat, "cat");
  const dan = member(chat, "dan");
  clear(cat, dan);
  // Recall so both get the same history Outgoing.
  cat.session.handle({ type: "recall" });
  dan.session.handle({ type: "recall" });
  const [h1] = cat.peer.sent, [h2] = dan.peer.sent;
  assert.ok(h1 !== undefined && h1 === h2, "the same Outgoing instance");
  const frame = h1.binary();
  assert.equal(h2.binary(), frame, "the same bytes");
  // The HISTORY frame ends with the live MESSAGE frame, byte for byte.
  assert.deepEqual(frame.subarray(14), live.binary());
  assert.equal(
    h1.json(),
    `{"type":"history","time":1000000,"event":${live.json()}}`,
  );
});

Deno.test("history: nodes on one bus share room histories", () => {
  const bus = new MemoryBus();
  const a = setup({ backplane: new MemoryBackplane({ bus }) }).chat;
  const b = setup({ backplane: new MemoryBackplane({ bus }) }).chat;
  const amy = member(a, "amy");
  say(amy, "from a");
  b.announce("from b");
  assert.deepEqual(texts(member(b, "bob").history), ["from a", "from b"]);
  assert.deepEqual(
    (a.history("LOBBY") as readonly { event: { text: string } }[]).map((e) =>
      e.event.text
    ),
    ["from a", "from b"],
  );
});

Deno.test("history: a backplane without a store: each node keeps its rooms' own, what other nodes said included", () => {
  const bus = new MemoryBus();
  // The bus's backplanes without their shared history (as a third-party
  // backplane might be): each chat keeps histories itself.
  const bare = () => {
    const bp = new MemoryBackplane({ bus });
    return {
      nodeId: bp.nodeId,
      claim: bp.claim.bind(bp),
      release: bp.release.bind(bp),
      publish: bp.publish.bind(bp),
      listen: bp.listen.bind(bp),
      members: bp.members.bind(bp),
      rooms: bp.rooms.bind(bp),
      close: bp.close.bind(bp),
    };
  };
  const a = setup({ backplane: bare() }).chat;
  const b = setup({ backplane: bare() }).chat;
  const amy = member(a, "amy");
  const cat = member(b, "cat");
  say(cat, "from b");
  say(amy, "from a");
  const bob = member(a, "bob");
  assert.deepEqual(texts(bob.history), ["from b", "from a"]);
  assert.deepEqual(texts(member(b, "dan").history), ["from b", "from a"]);
  // A node's room goes with its last local member, and so does its history.
  amy.session.handle({ type: "leave" });
  bob.session.handle({ type: "leave" });
  assert.deepEqual(a.history("lobby"), []);
  assert.equal((b.history("lobby") as readonly unknown[]).length, 2);
});
