// The chat's side of a cluster: what the backplane seam carries between
// nodes (shutdown leaves, shared encodings, names lost after an outage,
// bounded member lists), tested with in-memory nodes on one MemoryBus.

import assert from "node:assert/strict";
import type { LostHandler, Receiver, Roster } from "../../core/backplane.ts";
import { MemoryBackplane, MemoryBus } from "../../core/memory_backplane.ts";
import { Chat, ROSTER_MAX } from "../../core/chat.ts";
import { encodeFrame } from "../../core/codec/mod.ts";
import type { ChatEvent, RoomEvent } from "../../core/events.ts";
import { Outgoing } from "../../core/peer.ts";
import type { Session } from "../../core/session.ts";
import { FakeClock, FakePeer, settle } from "./_peers.ts";

interface Conn {
  peer: FakePeer;
  session: Session;
}

function node(bus: MemoryBus, backplane = new MemoryBackplane({ bus })): Chat {
  return new Chat({ now: new FakeClock().now, backplane });
}

function join(chat: Chat, name: string, room = "lobby"): Conn {
  const peer = new FakePeer();
  const session = chat.connect(peer, { transport: "memory" });
  session.handle({ type: "join", room, name });
  const welcome = peer.take()[0];
  assert.equal(welcome?.type, "welcome", `${name} should be welcomed`);
  return { peer, session };
}

function pick(events: ChatEvent[], type: ChatEvent["type"]): ChatEvent[] {
  return events.filter((e) => e.type === type);
}

/** A memory backplane whose chat can be told that it lost a name. */
class LossyBackplane extends MemoryBackplane {
  lose: LostHandler = () => {};
  override listen(receiver: Receiver, lost?: LostHandler): void {
    super.listen(receiver);
    if (lost) this.lose = lost;
  }
}

Deno.test("cluster: a node's graceful shutdown tells other nodes its members left (shutdown)", async () => {
  const bus = new MemoryBus();
  const a = node(bus), b = node(bus);
  const amy = join(a, "amy");
  const bob = join(b, "bob");
  const cat = join(b, "cat", "other");
  const dan = join(b, "dan");
  amy.peer.take();
  bob.peer.take();
  dan.peer.take();

  await b.shutdown();
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "shutdown" },
    { type: "left", room: "lobby", name: "dan", reason: "shutdown" },
  ]);
  // Each of b's members hears about itself once, not about the others.
  const own = (room: string, name: string) => [
    { type: "left", room, name, reason: "shutdown" },
  ];
  assert.deepEqual(pick(bob.peer.take(), "left"), own("lobby", "bob"));
  assert.deepEqual(pick(cat.peer.take(), "left"), own("other", "cat"));
  assert.deepEqual(pick(dan.peer.take(), "left"), own("lobby", "dan"));
  // Their names are free on the surviving node.
  assert.deepEqual(a.members("lobby"), ["amy"]);
  join(a, "bob");
  await a.shutdown();
});

Deno.test("cluster: an in-memory fan-out shares one Outgoing across nodes, so each encoding is made once", () => {
  const bus = new MemoryBus();
  const a = node(bus), b = node(bus);
  const amy = join(a, "amy");
  const bob = join(b, "bob");
  const cat = join(b, "cat");
  for (const c of [amy, bob, cat]) c.peer.take();
  amy.session.handle({ type: "say", text: "hi" });
  const [toBob] = bob.peer.sent, [toCat] = cat.peer.sent;
  assert.ok(toBob && toCat);
  assert.equal(toBob, toCat);
  assert.equal(toBob.binary(), toCat.binary());
  // Announcements too.
  amy.peer.take();
  a.announce("all");
  assert.equal(amy.peer.sent[0], bob.peer.sent[1]);
});

Deno.test("cluster: Outgoing keeps a frame received from another node instead of encoding again", () => {
  const event: RoomEvent = {
    type: "message",
    room: "lobby",
    from: "bob",
    text: "hi",
  };
  const frame = encodeFrame(event);
  const out = new Outgoing(event, frame);
  assert.equal(out.binary(), frame);
  assert.equal(out.json(), JSON.stringify(event));
});

Deno.test("cluster: a name lost to another node removes the local member quietly for the cluster", () => {
  const bus = new MemoryBus();
  const bp = new LossyBackplane({ bus });
  const a = node(bus, bp), b = node(bus);
  const amy = join(a, "amy");
  const bob = join(a, "bob");
  const far = join(b, "far");
  for (const c of [amy, bob, far]) c.peer.take();
  const seen: RoomEvent[] = [];
  a.observe((e) => seen.push(e));

  // Unknown rooms and names are ignored.
  bp.lose("nowhere", "bob");
  bp.lose("lobby", "nobody");
  assert.deepEqual(bob.peer.events, []);

  // As if, after an outage, another node had been found holding "bob".
  bp.lose("lobby", "bob");
  const [err, left] = bob.peer.take();
  assert.equal(err?.type, "error");
  assert.equal(err.type === "error" && err.code, "NAME_TAKEN");
  assert.equal(err.type === "error" && err.fatal, false);
  assert.match(
    err.type === "error" ? err.message : "",
    /^Cannot keep name "bob"/,
  );
  assert.deepEqual(left, {
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "node_lost",
  });
  assert.deepEqual(bob.peer.closes, [true]);
  assert.equal(bob.session.state, "closed");
  // This node's members see it go; other nodes hear nothing.
  assert.deepEqual(amy.peer.take(), [left]);
  assert.deepEqual(far.peer.take(), []);
  assert.deepEqual(seen, [left]);
  // The claim was not released by the loser (in memory it stays where it
  // was; in Redis it belongs to the other node).
  assert.deepEqual(bus.claims.get("lobby")?.get("bob")?.node, bp.nodeId);
});

Deno.test("cluster: welcome and who use the backplane's roster when it has one", async () => {
  const calls: [string, number][] = [];
  class Big extends MemoryBackplane {
    roster(room: string, max: number): Promise<Roster> {
      calls.push([room, max]);
      return Promise.resolve({ names: ["x1", "x2"], total: 5000 });
    }
  }
  const chat = new Chat({ now: new FakeClock().now, backplane: new Big() });
  const peer = new FakePeer();
  const s = chat.connect(peer, { transport: "memory" });
  s.handle({ type: "join", room: "lobby", name: "amy" });
  await settle();
  assert.deepEqual(peer.take(), [{
    type: "welcome",
    room: "lobby",
    name: "amy",
    members: ["amy", "x1", "x2"],
    total: 5000,
  }]);
  s.handle({ type: "who", room: "" });
  await settle();
  assert.deepEqual(peer.take(), [{
    type: "members",
    room: "lobby",
    members: ["x1", "x2"],
    total: 5000,
  }]);
  assert.deepEqual(calls, [["lobby", ROSTER_MAX], ["lobby", ROSTER_MAX]]);
  await chat.shutdown();
});

Deno.test("cluster: nothing reaches a member before its WELCOME, even when the roster is slow", async () => {
  const pending: (() => void)[] = [];
  class Slow extends MemoryBackplane {
    roster(room: string, _max: number): Promise<Roster> {
      const names = this.members(room);
      return new Promise((resolve) =>
        pending.push(() => resolve({ names, total: names.length }))
      );
    }
  }
  const chat = new Chat({ now: new FakeClock().now, backplane: new Slow() });
  const amyPeer = new FakePeer();
  const amy = chat.connect(amyPeer, { transport: "memory" });
  amy.handle({ type: "join", room: "lobby", name: "amy" });
  pending.shift()?.();
  await settle();
  amyPeer.take();

  const bobPeer = new FakePeer();
  const bob = chat.connect(bobPeer, { transport: "memory" });
  bob.handle({ type: "join", room: "lobby", name: "bob" });
  bob.handle({ type: "ping", nonce: 1 });
  amy.handle({ type: "say", text: "hi bob" });
  chat.announce("welcome, bob");
  assert.deepEqual(bobPeer.events, []);
  pending.shift()?.();
  await settle();
  assert.deepEqual(bobPeer.take().map((e) => e.type), [
    "welcome",
    "pong",
    "message",
    "announcement",
  ]);
  // Released: later events go straight through.
  amy.handle({ type: "say", text: "again" });
  assert.deepEqual(bobPeer.take().map((e) => e.type), ["message"]);
  await chat.shutdown();
});

Deno.test("cluster: announceCounted counts every node's members; announce counts this node's", async () => {
  const bus = new MemoryBus();
  const a = node(bus), b = node(bus);
  join(a, "amy");
  join(b, "bob");
  join(b, "cat", "kitchen");
  assert.deepEqual(a.announce("local count"), {
    ok: true,
    rooms: 1,
    delivered: 1,
  });
  assert.deepEqual(await a.announceCounted("everyone"), {
    ok: true,
    rooms: 2,
    delivered: 3,
  });
  assert.deepEqual(await a.announceCounted("kitchen only", "kitchen"), {
    ok: true,
    rooms: 1,
    delivered: 1,
  });
  assert.deepEqual(await a.announceCounted(" "), {
    ok: false,
    code: "MESSAGE_EMPTY",
    message: "Cannot announce: text is empty",
  });
  await a.shutdown();
  await b.shutdown();
});
