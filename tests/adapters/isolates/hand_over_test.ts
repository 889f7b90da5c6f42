// Resume across isolates (adapters/isolates/hand_over.ts): a member cut on
// one isolate resumes on another with what it missed, once and in order,
// the room seeing no leave and no enter; its name's claim moves with it,
// and it can be handed back; a holder that does not answer times out. And
// the connection limit counts every isolate (connection_share.ts).

import assert from "node:assert/strict";
import { IsolateBackplane } from "../../../adapters/isolates/mod.ts";
import type { Chat } from "../../../core/chat.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { Group } from "./_isolates.ts";
import { connect, join, texts, until } from "./_members.ts";

const grace = { resumeGraceMs: 30_000 };

/** A new connection on `chat` that resumes with `token`: its events. */
async function resumeOn(
  chat: Chat,
  token: string,
  seen: number,
  count: number,
): Promise<{ conn: ReturnType<typeof connect>; events: ChatEvent[] }> {
  const conn = connect(chat);
  conn.session.handle({ type: "resume", token, seen });
  const events = await until(conn.peer, (e) => e.length >= 1 + 1 + count);
  conn.peer.take();
  return { conn, events: events.slice(1) };
}

/** Not a join, nor a leave. */
const presence = (e: ChatEvent) => e.type === "joined" || e.type === "left";

Deno.test("isolates hand-over: a member cut on one isolate resumes on another with what it missed, once and in order; the room sees nothing; it can go back", async () => {
  const g = await Group.make();
  try {
    const a = await g.chat(10_000, grace);
    const b = await g.chat(10_000, grace);
    const amy = await join(a, "amy");
    const cat = await join(b, "cat");
    const bob = await join(a, "bob");
    await until(amy.peer, (e) => e.filter(presence).length === 2);
    await until(cat.peer, (e) => e.filter(presence).length === 1);
    amy.peer.take();
    cat.peer.take();
    amy.session.handle({ type: "say", text: "one" });
    await until(bob.peer, (e) => texts(e).includes("one"));
    bob.session.close();
    assert.equal(a.tokenState(bob.resume.token), "detached");
    amy.session.handle({ type: "say", text: "two" });
    cat.session.handle({ type: "say", text: "three" });
    await until(amy.peer, (e) => texts(e).includes("three"));
    const back = await resumeOn(b, bob.resume.token, 1, 2);
    const welcome = back.events[0];
    assert.equal(welcome?.type, "welcome", JSON.stringify(back.events));
    if (welcome?.type === "welcome") {
      assert.deepEqual([...welcome.members].sort(), ["amy", "bob", "cat"]);
      assert.equal(welcome.resume?.seq, 1);
      assert.equal(welcome.resume?.lost, 0);
    }
    assert.deepEqual(texts(back.events.slice(1)), ["two", "three"]);
    assert.equal(a.tokenState(bob.resume.token), undefined);
    assert.equal(b.tokenState(bob.resume.token), "connected");
    // Live on b now, nothing twice.
    amy.session.handle({ type: "say", text: "four" });
    await until(back.conn.peer, (e) => texts(e).includes("four"));
    assert.deepEqual(texts(back.conn.peer.take()), ["four"]);
    back.conn.session.handle({ type: "say", text: "I am back" });
    await until(amy.peer, (e) => texts(e).includes("I am back"));
    // Cut again, it goes back to a (its token names a, where it is not).
    back.conn.session.close();
    amy.session.handle({ type: "say", text: "five" });
    await until(cat.peer, (e) => texts(e).includes("five"));
    const again = await resumeOn(a, bob.resume.token, 4, 1);
    assert.equal(again.events[0]?.type, "welcome");
    assert.deepEqual(texts(again.events.slice(1)), ["five"]);
    // Nobody saw bob leave or enter.
    assert.deepEqual(amy.peer.events.filter(presence), []);
    assert.deepEqual(cat.peer.events.filter(presence), []);
    // Its claim came along: a leave frees the name everywhere.
    assert.deepEqual([...await b.members("lobby")].sort(), [
      "amy",
      "bob",
      "cat",
    ]);
    again.conn.session.handle({ type: "leave" });
    await until(cat.peer, (e) => e.some(presence));
    assert.deepEqual(cat.peer.events.filter(presence), [
      { type: "left", room: "lobby", name: "bob", reason: "quit" },
    ]);
    const bob2 = await join(b, "bob");
    assert.equal(bob2.welcome.type, "welcome");
  } finally {
    await g.close();
  }
});

Deno.test("isolates hand-over: a holder that does not answer times out (the lease, at most 5 s), and the resume is refused", async () => {
  const g = await Group.make();
  // An isolate of the store whose messages never arrive: alive, silent.
  const silent = await IsolateBackplane.connect({
    path: g.path,
    channel: `${g.channel}-elsewhere`,
    leaseMs: 1500,
  });
  try {
    const a = await g.chat(1500, grace);
    const c = connect(a);
    const started = Date.now();
    c.session.handle({
      type: "resume",
      token: "zz.AAAAAAAAAAAAAAAAAAAAAAAA",
      seen: 0,
    });
    const events = await until(c.peer, (e) => e.length >= 2);
    const waited = Date.now() - started;
    assert.deepEqual(events[1], {
      type: "error",
      code: "RESUME_FAILED",
      message:
        "Cannot resume: no session has this token (its grace period may be over)",
      fatal: false,
    });
    assert.ok(waited >= 1400 && waited < 4000, `waited ${waited} ms`);
  } finally {
    await g.close();
    await silent.close();
  }
});

Deno.test("isolates: the connection limit counts every isolate's connections", async () => {
  const g = await Group.make();
  try {
    const limits = { maxConnections: 2 };
    const a = await g.chat(10_000, limits);
    const b = await g.chat(10_000, limits);
    const first = connect(a);
    const second = connect(b);
    const heard = async (chat: Chat, n: number) => {
      const elsewhere = () =>
        chat.backplane.shareConnections!(chat.connections);
      for (let i = 0; i < 500 && elsewhere() !== n; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.equal(elsewhere(), n);
    };
    await heard(a, 1);
    await heard(b, 1);
    for (const chat of [a, b]) {
      const over = connect(chat);
      assert.deepEqual(over.peer.events.at(-1), {
        type: "error",
        code: "SERVER_FULL",
        message: "Cannot connect: the server has 2 connections",
        fatal: true,
      });
    }
    // A place comes free on b: a takes one again.
    second.session.close();
    await heard(a, 0);
    const third = connect(a);
    assert.equal(third.peer.events.at(-1)?.type, "hello_ok");
    assert.equal(first.peer.closed, false);
  } finally {
    await g.close();
  }
});
