// Membership (core/membership.ts): joining, names, moving and leaving, and
// random command sequences that must keep claims and rooms in step.

import assert from "node:assert/strict";
import fc from "fast-check";
import { MemoryBackplane } from "../../core/memory_backplane.ts";
import type { Session } from "../../core/session.ts";
import { FakePeer } from "./_peers.ts";
import {
  assertEvents,
  clear,
  connect,
  DeferredClaimBackplane,
  error,
  member,
  say,
  setup,
} from "./_chat.ts";

Deno.test("chat: join is welcomed with the member list; others see joined", () => {
  const { chat } = setup();
  const amy = connect(chat);
  assert.equal(amy.session.state, "ready");
  amy.session.handle({ type: "join", room: "Lobby", name: "Amy" });
  assert.deepEqual(amy.peer.take(), [
    { type: "welcome", room: "lobby", name: "Amy", members: ["Amy"], total: 1 },
  ]);
  assert.equal(amy.session.state, "joined");
  assert.equal(amy.session.name, "Amy");
  assert.equal(amy.session.room, "lobby");

  const bob = connect(chat);
  bob.session.handle({ type: "join", room: "lobby", name: "bob" });
  assert.deepEqual(bob.peer.take(), [
    {
      type: "welcome",
      room: "lobby",
      name: "bob",
      members: ["Amy", "bob"],
      total: 2,
    },
  ]);
  // Joined goes to the others, not to the one who joined.
  assert.deepEqual(amy.peer.take(), [
    { type: "joined", room: "lobby", name: "bob" },
  ]);
  assert.deepEqual(chat.members("LOBBY"), ["Amy", "bob"]);
  assert.deepEqual(chat.rooms(), [{ room: "lobby", members: 2 }]);
});

Deno.test("chat: a taken name is refused, then another name succeeds", () => {
  const { chat } = setup();
  const bob = member(chat, "bob");
  const other = connect(chat);
  other.session.handle({ type: "join", room: "lobby", name: "bob" });
  assertEvents(other.peer.take(), [error("NAME_TAKEN")]);
  assert.equal(other.session.state, "ready");
  assert.equal(other.peer.closed, false);
  assert.deepEqual(bob.peer.take(), []);

  // Case-insensitively, and in any width.
  for (const name of ["BOB", "Bob", "Ｂｏｂ", " bob "]) {
    other.session.handle({ type: "join", room: "LOBBY", name });
    assertEvents(other.peer.take(), [error("NAME_TAKEN")], name);
  }

  other.session.handle({ type: "join", room: "lobby", name: "bob2" });
  assertEvents(other.peer.take(), [
    { type: "welcome", name: "bob2", members: ["bob", "bob2"] },
  ]);
  assert.deepEqual(bob.peer.take(), [
    { type: "joined", room: "lobby", name: "bob2" },
  ]);

  // The same name in another room is fine.
  member(chat, "bob", "elsewhere");
});

Deno.test("chat: reserved and invalid names and rooms are refused, session goes on", () => {
  const { chat } = setup();
  const c = connect(chat);
  const cases: [string, string, string][] = [
    ["lobby", "admin", "NAME_RESERVED"],
    ["lobby", "ADMIN", "NAME_RESERVED"],
    ["lobby", "Admin", "NAME_RESERVED"],
    ["lobby", "ａｄｍｉｎ", "NAME_RESERVED"],
    ["lobby", "管理员", "NAME_RESERVED"],
    ["lobby", "system", "NAME_RESERVED"],
    ["lobby", "", "NAME_INVALID"],
    ["lobby", "/quit", "NAME_INVALID"],
    ["lobby", "bo\u200db", "NAME_INVALID"],
    ["lobby", "x".repeat(33), "NAME_INVALID"],
    ["two words", "bob", "ROOM_INVALID"],
    ["", "bob", "ROOM_INVALID"],
  ];
  for (const [room, name, code] of cases) {
    c.session.handle({ type: "join", room, name });
    assertEvents(c.peer.take(), [error(code)], `${room}/${name}`);
    assert.equal(c.session.state, "ready");
  }
  assert.equal(c.peer.closed, false);
  assert.deepEqual(chat.rooms(), []);
  c.session.handle({ type: "join", room: "lobby", name: "张三" });
  assertEvents(c.peer.take(), [{ type: "welcome", name: "张三" }]);
});

Deno.test("chat: maxNameLength limit applies to joins", () => {
  const { chat } = setup({ limits: { maxNameLength: 4 } });
  const c = connect(chat);
  c.session.handle({ type: "join", room: "lobby", name: "abcde" });
  assertEvents(c.peer.take(), [error("NAME_INVALID")]);
  c.session.handle({ type: "join", room: "lobby", name: "张三李四" });
  assertEvents(c.peer.take(), [{ type: "welcome", name: "张三李四" }]);
});

Deno.test("chat: /join moves a member: left (moved) in the old room, joined in the new", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat", "other");
  clear(amy, bob, cat);

  bob.session.handle({ type: "join", room: "Other", name: "bob" });
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "moved" },
  ]);
  assert.deepEqual(cat.peer.take(), [
    { type: "joined", room: "other", name: "bob" },
  ]);
  assert.deepEqual(bob.peer.take(), [
    {
      type: "welcome",
      room: "other",
      name: "bob",
      members: ["cat", "bob"],
      total: 2,
    },
  ]);
  assert.equal(bob.session.room, "other");

  say(bob, "here now");
  assert.deepEqual(amy.peer.take(), []);
  assertEvents(cat.peer.take(), [{ type: "message", from: "bob" }]);

  // The old name is free in the old room.
  assert.deepEqual(chat.members("lobby"), ["amy"]);
  member(chat, "bob", "lobby");
});

Deno.test("chat: /join in the same room with a new name renames", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.session.handle({ type: "join", room: "lobby", name: "robert" });
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "moved" },
    { type: "joined", room: "lobby", name: "robert" },
  ]);
  assertEvents(bob.peer.take(), [{ type: "welcome", name: "robert" }]);
  assert.deepEqual(chat.members("lobby"), ["amy", "robert"]);
});

Deno.test("chat: /join of the room and name one already has welcomes again, quietly", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.session.handle({ type: "join", room: "LOBBY", name: "BOB" });
  assertEvents(bob.peer.take(), [
    { type: "welcome", name: "bob", members: ["amy", "bob"] },
  ]);
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: a refused move keeps the member where it was", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat", "other");
  clear(amy, bob, cat);
  amy.session.handle({ type: "join", room: "other", name: "CAT" });
  assertEvents(amy.peer.take(), [error("NAME_TAKEN")]);
  amy.session.handle({ type: "join", room: "bad room", name: "amy" });
  assertEvents(amy.peer.take(), [error("ROOM_INVALID")]);
  assert.equal(amy.session.state, "joined");
  assert.equal(amy.session.room, "lobby");
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(cat.peer.take(), []);
  say(amy, "still here");
  assertEvents(bob.peer.take(), [{ type: "message", text: "still here" }]);
});

type Step =
  | { op: "connect"; hello: boolean }
  | { op: "join"; who: number; room: string; name: string }
  | { op: "say"; who: number; text: string }
  | { op: "who"; who: number }
  | { op: "leave"; who: number }
  | { op: "close"; who: number }
  | { op: "slow"; who: number }
  | { op: "time"; ms: number }
  | { op: "announce"; room: string | undefined }
  | { op: "answer" };

const ROOM_NAMES = ["lobby", "Lobby", "other"];
const MEMBER_NAMES = ["amy", "AMY", "bob", "张三", "admin"];

const who = fc.nat(3);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("connect" as const),
      hello: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("join" as const),
      who,
      room: fc.constantFrom(...ROOM_NAMES),
      name: fc.constantFrom(...MEMBER_NAMES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("say" as const),
      who,
      text: fc.constantFrom("hi", "", "中".repeat(30)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("who" as const), who }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("leave" as const), who }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("close" as const), who }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("slow" as const), who }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("time" as const),
      ms: fc.nat(3000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("announce" as const),
      room: fc.constantFrom(undefined, "lobby", "other"),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("answer" as const) }) },
);

/** Peers that note any send after close. */
class StrictPeer extends FakePeer {
  late = 0;
  override send(out: Parameters<FakePeer["send"]>[0]): boolean {
    if (this.closed) this.late++;
    return super.send(out);
  }
}

async function runSteps(steps: Step[], async: boolean): Promise<void> {
  const backplane = async
    ? new DeferredClaimBackplane()
    : new MemoryBackplane();
  const { chat, clock } = setup({
    backplane,
    limits: { joinTimeoutMs: 4000, maxMessageBytes: 60 },
  });
  const conns: { peer: StrictPeer; session: Session }[] = [];
  for (const step of steps) {
    const c = "who" in step
      ? conns[step.who % Math.max(1, conns.length)]
      : undefined;
    switch (step.op) {
      case "connect": {
        const peer = new StrictPeer();
        const session = chat.connect(peer, {
          transport: "memory",
          hello: step.hello,
          idleTimeoutMs: 5000,
        });
        if (step.hello) {
          session.handle({ type: "hello", version: 1, software: "t" });
        }
        conns.push({ peer, session });
        break;
      }
      case "join":
        c?.session.handle({ type: "join", room: step.room, name: step.name });
        break;
      case "say":
        c?.session.handle({ type: "say", text: step.text });
        break;
      case "who":
        c?.session.handle({ type: "who", room: "" });
        break;
      case "leave":
        c?.session.handle({ type: "leave" });
        break;
      case "close":
        c?.session.close();
        break;
      case "slow":
        if (c) c.peer.refuse = !c.peer.refuse;
        break;
      case "time":
        clock.advance(step.ms);
        chat.tick();
        break;
      case "announce":
        chat.announce("note", step.room);
        break;
      case "answer":
        if (backplane instanceof DeferredClaimBackplane) {
          await backplane.answer();
        }
        break;
    }
    check();
  }
  if (backplane instanceof DeferredClaimBackplane) await backplane.answer();
  check();
  await chat.shutdown();
  for (const { peer, session } of conns) {
    assert.equal(peer.late, 0, "no sends after close");
    assert.equal(session.state, "closed");
  }
  assert.equal(chat.size, 0);
  assert.deepEqual(backplane.rooms(), []);

  function check(): void {
    const open = conns.filter((x) => x.session.state !== "closed");
    assert.equal(chat.size, open.length, "open sessions");
    // Claims may run ahead of joins only while a JOIN is being decided.
    const deciding = open.some((x) => x.session.state === "joining");
    for (const room of ["lobby", "other"]) {
      const joined = open
        .filter((x) => x.session.room === room)
        .map((x) => x.session.name)
        .sort();
      const claimed = [...(chat.members(room) as readonly string[])].sort();
      if (!deciding) assert.deepEqual(claimed, joined, `claims in ${room}`);
      for (const name of joined) assert.ok(claimed.includes(name), name);
    }
  }
}

Deno.test("chat property: random command sequences keep claims and rooms in step", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { maxLength: 40 }), async (steps) => {
      await runSteps(steps, false);
      await runSteps(steps, true);
    }),
    { numRuns: 300 },
  );
});
