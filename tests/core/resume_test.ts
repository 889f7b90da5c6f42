// Resume (core/resumption.ts, core/sent_log.ts): a version 2 member whose
// connection goes away keeps its name and room for the grace period, and a
// new connection takes its place with its token, getting exactly the events
// it missed; the room sees no leave and no enter, unless the grace period
// runs out.

import assert from "node:assert/strict";
import { MemoryBackplane, MemoryBus } from "../../core/memory_backplane.ts";
import type { Chat } from "../../core/chat.ts";
import type { ChatEvent, ResumeInfo } from "../../core/events.ts";
import type { Limits } from "../../core/limits.ts";
import {
  assertEvents,
  clear,
  type Conn,
  connect,
  error,
  member,
  say,
  setup,
} from "./_chat.ts";
import { settle } from "./_peers.ts";

/** A member that said HELLO version 2: its welcome carries a resume token. */
function resumable(chat: Chat, name: string, room = "lobby"): Conn & {
  resume: ResumeInfo;
} {
  const c = connect(chat, { hello: true });
  c.session.handle({ type: "hello", version: 2, software: "test" });
  c.session.handle({ type: "join", room, name });
  const [ok, welcome, ...rest] = c.peer.take();
  assert.equal(ok?.type, "hello_ok");
  assert.equal(ok?.type === "hello_ok" && ok.version, 2);
  assert.equal(welcome?.type, "welcome");
  const resume = welcome?.type === "welcome" ? welcome.resume : undefined;
  assert.ok(resume !== undefined, "the welcome carries the resume fields");
  assert.ok(rest.every((e) => e.type === "history"));
  return { ...c, resume, history: rest };
}

/** A new connection that resumes with a token and `seen`. */
function resumeWith(chat: Chat, token: string, seen: number): Conn {
  const c = connect(chat, { hello: true });
  c.session.handle({ type: "hello", version: 2, software: "test" });
  c.session.handle({ type: "resume", token, seen });
  assert.equal(c.peer.sent[0]?.event.type, "hello_ok");
  c.peer.sent.shift();
  return c;
}

function texts(events: readonly ChatEvent[]): string[] {
  return events.map((e) => e.type === "message" ? e.text : e.type);
}

const grace = (limits: Partial<Limits> = {}) =>
  setup({ limits: { resumeGraceMs: 1000, ...limits } });

Deno.test("resume: the welcome of version 2 carries a token; version 1 gets none", () => {
  const { chat } = grace();
  const bob = resumable(chat, "bob");
  assert.match(bob.resume.token, /^[0-9a-z]{1,7}\.[A-Za-z0-9_-]{24}$/);
  assert.deepEqual({ ...bob.resume, token: "" }, {
    token: "",
    graceMs: 1000,
    seq: 0,
    lost: 0,
  });
  const amy = connect(chat, { hello: true });
  amy.session.handle({ type: "hello", version: 1, software: "test" });
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  const welcome = amy.peer.take()[1];
  assert.equal(welcome?.type, "welcome");
  assert.equal(welcome?.type === "welcome" && welcome.resume, undefined);
});

Deno.test("resume: a member cut mid-chat gets what it missed, once and in order; the room sees nothing", () => {
  const { chat } = grace();
  const amy = member(chat, "amy");
  const bob = resumable(chat, "bob");
  clear(amy);
  say(amy, "one");
  say(amy, "two");
  // Bob's client got only "one" (event 1) before its connection dropped.
  assert.deepEqual(texts(bob.peer.take()), ["one", "two"]);
  bob.session.close();
  assert.equal(bob.session.detached, true);
  assert.equal(chat.detached, 1);
  say(amy, "three");
  assert.deepEqual(amy.peer.take(), [], "no leave");
  const back = resumeWith(chat, bob.resume.token, 1);
  const [welcome, ...rest] = back.peer.take();
  assert.equal(welcome?.type, "welcome");
  if (welcome?.type === "welcome") {
    assert.deepEqual(welcome.members, ["amy", "bob"]);
    assert.deepEqual(welcome.resume, { ...bob.resume, seq: 1, lost: 0 });
  }
  assert.deepEqual(texts(rest), ["two", "three"]);
  assert.deepEqual(amy.peer.take(), [], "no enter");
  // Live again, numbering on: "four" is event 4.
  say(amy, "four");
  assert.deepEqual(texts(back.peer.take()), ["four"]);
  say(back, "I am back");
  assert.deepEqual(texts(amy.peer.take()), ["I am back"]);
  assert.equal(chat.detached, 0);
  assert.equal(chat.size, 2);
  // Resumed again from the new connection: the same token works.
  back.session.close();
  const again = resumeWith(chat, bob.resume.token, 4);
  assert.deepEqual(
    again.peer.take().map((e) => e.type === "welcome" && e.resume?.seq),
    [4],
  );
});

Deno.test("resume: past the grace period the room sees one leave and the name is free", () => {
  const { chat, clock } = grace();
  const amy = member(chat, "amy");
  const bob = resumable(chat, "bob");
  clear(amy);
  bob.session.close();
  clock.advance(999);
  chat.tick();
  assert.deepEqual(amy.peer.take(), []);
  clock.advance(1);
  chat.tick();
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "disconnect" },
  ]);
  chat.tick();
  assert.deepEqual(amy.peer.take(), [], "one leave only");
  const late = resumeWith(chat, bob.resume.token, 0);
  assertEvents(late.peer.take(), [error("RESUME_FAILED")]);
  member(chat, "bob");
});

Deno.test("resume: a member that times out waits for its grace, then leaves with reason timeout", () => {
  const { chat, clock } = grace();
  const amy = member(chat, "amy");
  const c = connect(chat, { hello: true, idleTimeoutMs: 500 });
  c.session.handle({ type: "hello", version: 2, software: "test" });
  c.session.handle({ type: "join", room: "lobby", name: "udp" });
  clear(amy, c);
  clock.advance(500);
  chat.tick();
  assert.equal(c.session.detached, true);
  assert.deepEqual(c.peer.take(), [], "not told: it may come back");
  assert.deepEqual(c.peer.closes, [false], "its silent connection is closed");
  assert.deepEqual(amy.peer.take(), []);
  clock.advance(1000);
  chat.tick();
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "udp", reason: "timeout" },
  ]);
});

Deno.test("resume: taking over a connection still open closes it with a fatal RESUME_FAILED", () => {
  const { chat } = grace();
  const amy = member(chat, "amy");
  const bob = resumable(chat, "bob");
  clear(amy);
  const back = resumeWith(chat, bob.resume.token, 0);
  assertEvents(bob.peer.take(), [error("RESUME_FAILED", true)]);
  assert.deepEqual(bob.peer.closes, [true]);
  assert.equal(back.peer.take()[0]?.type, "welcome");
  say(amy, "hi");
  assert.deepEqual(texts(back.peer.take()), ["hi"]);
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(amy.peer.take(), []);
  // The old session is gone: closing it later changes nothing.
  bob.session.close();
  assert.deepEqual(amy.peer.take(), []);
  assert.equal(chat.size, 2);
});

Deno.test("resume: when more was missed than kept, the welcome says how many are gone", () => {
  const { chat } = grace({ replayEvents: 3 });
  const amy = member(chat, "amy");
  const bob = resumable(chat, "bob");
  bob.session.close();
  for (let i = 1; i <= 5; i++) say(amy, `m${i}`);
  const back = resumeWith(chat, bob.resume.token, 0);
  const [welcome, ...rest] = back.peer.take();
  assert.equal(welcome?.type === "welcome" && welcome.resume?.seq, 2);
  assert.equal(welcome?.type === "welcome" && welcome.resume?.lost, 2);
  assert.deepEqual(texts(rest), ["m3", "m4", "m5"]);
});

Deno.test("resume: refused for an unknown token, for a joined session (but its own token is a WELCOME again), and with no grace", () => {
  const { chat } = grace();
  const c = connect(chat);
  c.session.handle({ type: "resume", token: "nope", seen: 0 });
  assertEvents(c.peer.take(), [error("RESUME_FAILED")]);
  const bob = resumable(chat, "bob");
  bob.session.handle({ type: "resume", token: "other.token", seen: 0 });
  assertEvents(bob.peer.take(), [error("RESUME_FAILED")]);
  // Its own token again (its answer was lost, over UDP): WELCOME again.
  bob.session.handle({ type: "resume", token: bob.resume.token, seen: 0 });
  assert.deepEqual(bob.peer.take().map((e) => e.type), ["welcome"]);

  const off = setup({ limits: { resumeGraceMs: 0 } }).chat;
  const amy = member(off, "amy");
  const cat = resumable(off, "cat");
  clear(amy);
  cat.session.close();
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "cat", reason: "disconnect" },
  ]);
});

Deno.test("resume: LEAVE, a fatal error and a slow consumer do not wait for a grace", () => {
  const { chat } = grace();
  const amy = member(chat, "amy");
  const bob = resumable(chat, "bob");
  const cat = resumable(chat, "cat");
  const dan = resumable(chat, "dan");
  clear(amy, bob, cat);
  bob.session.handle({ type: "leave" });
  cat.session.fail("FRAME_MALFORMED", "Cannot decode frame: test");
  dan.peer.refuse = true;
  say(amy, "hi");
  assert.deepEqual(
    amy.peer.take().map((e) => e.type === "left" && [e.name, e.reason]),
    [["bob", "quit"], ["cat", "disconnect"], ["dan", "slow_consumer"]],
  );
  assert.equal(chat.detached, 0);
});

Deno.test("resume: a member moved to another room resumes in that room", () => {
  const { chat } = grace();
  const cat = member(chat, "cat", "kitchen");
  const bob = resumable(chat, "bob");
  bob.session.handle({ type: "join", room: "kitchen", name: "bob" });
  const moved = bob.peer.take()[0];
  assert.equal(
    moved?.type === "welcome" && moved.resume?.token,
    bob.resume.token,
  );
  bob.session.close();
  clear(cat);
  const back = resumeWith(chat, bob.resume.token, 0);
  assert.equal(
    back.peer.take()[0]?.type === "welcome" && back.session.room,
    "kitchen",
  );
  say(cat, "soup");
  assert.deepEqual(texts(back.peer.take()), ["soup"]);
});

Deno.test("resume: shutdown ends detached members as well", async () => {
  const { chat } = grace();
  const bob = resumable(chat, "bob");
  bob.session.close();
  await chat.shutdown();
  assert.equal(chat.size, 0);
  assert.equal(chat.detached, 0);
  assert.deepEqual(chat.rooms(), []);
});

Deno.test("resume: on another node of the bus, the name moves there with the events", async () => {
  const bus = new MemoryBus();
  const a = setup({
    backplane: new MemoryBackplane({ bus }),
    limits: { resumeGraceMs: 1000 },
  }).chat;
  const b = setup({
    backplane: new MemoryBackplane({ bus }),
    limits: { resumeGraceMs: 1000 },
  }).chat;
  const amy = member(a, "amy");
  const cat = member(b, "cat");
  const bob = resumable(a, "bob");
  clear(amy, cat);
  say(amy, "one");
  bob.session.close();
  say(cat, "two");
  const back = resumeWith(b, bob.resume.token, 0);
  await settle();
  const [welcome, ...rest] = back.peer.take();
  assert.equal(welcome?.type === "welcome" && welcome.resume?.seq, 0);
  assert.deepEqual(texts(rest), ["one", "two"]);
  assert.deepEqual(amy.peer.take().filter((e) => e.type !== "message"), []);
  assert.deepEqual(cat.peer.take().filter((e) => e.type !== "message"), []);
  assert.equal(a.size, 1);
  assert.equal(b.size, 2);
  assert.equal(bus.claims.get("lobby")?.get("bob")?.node, b.backplane.nodeId);
  // Live on node b now; its leave frees the name cluster-wide.
  say(amy, "three");
  assert.deepEqual(texts(back.peer.take()), ["three"]);
  back.session.handle({ type: "leave" });
  assert.deepEqual(
    amy.peer.take().map((e) => e.type === "left" && e.name),
    ["bob"],
  );
  assert.deepEqual(a.members("lobby"), ["amy", "cat"]);
});
