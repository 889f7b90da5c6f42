// Conformance cases: history on join and resume, over every transport. A
// member resumes on another transport of the same chat (TCP, or a WebSocket
// when TCP is under test), started by the case itself.

import assert from "node:assert/strict";
import { listenHttp } from "../../adapters/http/mod.ts";
import { listenStream } from "../../adapters/stream/mod.ts";
import type { ChatEvent, ResumeInfo } from "../../core/events.ts";
import { expectEvent } from "../../adapters/conformance/mod.ts";
import { connectStream, type TestClient } from "./_client.ts";
import type { Case, SuiteHarness } from "./_harness.ts";
import { connectWs } from "./_ws_client.ts";

/** A member that said HELLO version 2, with the resume fields of its welcome. */
async function resumable(
  client: TestClient,
  name: string,
  others: readonly TestClient[],
): Promise<ResumeInfo> {
  client.send({ type: "hello", version: 2, software: "test/2" });
  const ok = await client.next();
  assert.equal(ok.type === "hello_ok" && ok.version, 2, JSON.stringify(ok));
  client.send({ type: "join", room: "lobby", name });
  const welcome = await client.next();
  assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
  const resume = welcome.type === "welcome" ? welcome.resume : undefined;
  assert.ok(resume !== undefined, "a version 2 welcome has the resume fields");
  assert.equal(resume.seq, 0);
  for (const o of others) await expectEvent(o, joined(name));
  return resume;
}

/**
 * A client on another transport of the case's chat: one the case starts
 * on the chat's server, or, where the server runs elsewhere (Workers), the
 * WebSocket of its HTTP listener.
 */
async function otherClient(h: SuiteHarness): Promise<TestClient> {
  if (h.server.server === undefined) {
    const http = h.server.listeners.find((l) => l.transport === "http");
    if (http === undefined) throw new Error("Cannot resume: no HTTP listener");
    return h.track(await connectWs(http.url));
  }
  const chat = h.server.server.chat;
  if (h.transport === "tcp") {
    const l = h.track(
      await listenHttp(chat, {
        port: 0,
        adminToken: "resume-case-admin-token",
      }),
    );
    return h.track(await connectWs(l.url));
  }
  const l = h.track(
    await listenStream(chat, {
      transport: "tcp",
      hostname: "127.0.0.1",
      port: 0,
    }),
  );
  return h.track(await connectStream(l.url));
}

const joined = (name: string): ChatEvent => ({
  type: "joined",
  room: "lobby",
  name,
});

const message = (from: string, text: string): ChatEvent => ({
  type: "message",
  room: "lobby",
  from,
  text,
});

/**
 * The next event that is not a PONG: a UDP client with a short timeout pings
 * by itself, and its PONGs come between the events a case waits for.
 */
async function nextNotPong(c: TestClient, timeoutMs?: number) {
  for (;;) {
    const e = await c.next(timeoutMs);
    if (e.type !== "pong") return e;
  }
}

/** The history and resume cases every transport must pass. */
export const RESUME_CASES: Case[] = [
  {
    name: "a late joiner gets exactly the last N messages, marked as history",
    start: { limits: { historyLength: 3 } },
    async fn(h) {
      const [amy] = await h.members("amy");
      for (let i = 1; i <= 5; i++) {
        amy!.send({ type: "say", text: `line ${i}` });
      }
      const bob = await h.hello();
      // Amy's lines are all in before bob comes: a round trip of hers.
      amy!.send({ type: "ping", nonce: 1 });
      await expectEvent(amy!, { type: "pong", nonce: 1 });
      bob.send({ type: "join", room: "lobby", name: "bob" });
      assert.equal((await bob.next()).type, "welcome");
      for (const text of ["line 3", "line 4", "line 5"]) {
        const e = await bob.next();
        assert.equal(e.type, "history", JSON.stringify(e));
        if (e.type !== "history") return;
        assert.deepEqual(e.event, message("amy", text));
        assert.ok(Number.isSafeInteger(e.time) && e.time > 0);
      }
      await expectEvent(amy!, joined("bob"));
      // Nothing more came: the next event is a live one.
      await h.barrier(amy!, [bob], "amy");
      bob.send({ type: "recall" });
      for (const text of ["line 4", "line 5", "barrier 1"]) {
        const e = await bob.next();
        assert.equal(
          e.type === "history" && e.event.text,
          text,
          JSON.stringify(e),
        );
      }
    },
  },
  {
    name:
      "a member cut mid-chat resumes on another transport with what it missed, once and in order",
    start: { limits: { resumeGraceMs: 30_000 } },
    async fn(h) {
      const [amy] = await h.members("amy");
      const bob = await h.connect();
      const { token } = await resumable(bob, "bob", [amy!]);
      amy!.send({ type: "say", text: "one" });
      amy!.send({ type: "say", text: "two" });
      await expectEvent(bob, message("amy", "one"));
      // The connection drops at the socket: "two" may have reached the
      // client or not; it only had "one" (event 1).
      await bob.close();
      amy!.send({ type: "say", text: "three" });
      const back = await otherClient(h);
      back.send({ type: "hello", version: 2, software: "test/2" });
      assert.equal((await back.next()).type, "hello_ok");
      back.send({ type: "resume", token, seen: 1 });
      const welcome = await back.next();
      assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
      if (welcome.type === "welcome") {
        assert.deepEqual([...welcome.members].sort(), ["amy", "bob"]);
        assert.equal(welcome.resume?.seq, 1);
        assert.equal(welcome.resume?.lost, 0);
      }
      await expectEvent(back, message("amy", "two"));
      await expectEvent(back, message("amy", "three"));
      // Nothing twice: the next event is a live one.
      await h.barrier(amy!, [back], "amy");
      // The room saw no leave and no enter: amy's next event is bob's.
      back.send({ type: "say", text: "I am back" });
      await expectEvent(amy!, message("bob", "I am back"));
    },
  },
  {
    name: "past the grace period the name is free and the room saw one leave",
    start: {
      limits: { resumeGraceMs: 200 },
      tickMs: 50,
      udp: { limits: { idleTimeoutMs: 1000 } },
    },
    async fn(h) {
      const [amy] = await h.members("amy");
      const bob = await h.connect();
      const { token } = await resumable(bob, "bob", [amy!]);
      await bob.close();
      const left = await nextNotPong(amy!, 5000);
      assert.equal(left.type, "left", JSON.stringify(left));
      if (left.type === "left") {
        assert.equal(left.name, "bob");
        assert.ok(
          left.reason === "disconnect" || left.reason === "timeout",
          left.reason,
        );
      }
      const late = await h.hello();
      late.send({ type: "resume", token, seen: 0 });
      const refused = await nextNotPong(late);
      assert.equal(refused.type === "error" && refused.code, "RESUME_FAILED");
      // The name is free: a new bob gets in, and that is all amy sees.
      late.send({ type: "join", room: "lobby", name: "bob" });
      assert.equal((await nextNotPong(late)).type, "welcome");
      assert.deepEqual(await nextNotPong(amy!), joined("bob"));
      late.send({ type: "say", text: "bob again" });
      assert.deepEqual(await nextNotPong(amy!), message("bob", "bob again"));
    },
  },
];
