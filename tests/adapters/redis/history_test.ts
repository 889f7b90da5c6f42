// History and resume across nodes (adapters/redis/history.ts,
// adapters/redis/hand_over.ts): two chats with real RedisBackplanes on a
// private redis-server. A joiner on either node gets the room's history
// from its Redis stream; a member cut on one node resumes on the other,
// its name moving there in Redis, with the events it missed, and the room
// sees no leave and no enter.

import assert from "node:assert/strict";
import { Redis } from "npm:ioredis@6";
import type { ChatEvent } from "../../../core/events.ts";
import { FakePeer } from "../../core/_peers.ts";
import { startRedis } from "../../_redis.ts";
import { has, join, type Node, node, waitFor } from "./_nodes.ts";

/** A version 2 member of a node: its welcome carries the resume token. */
async function resumable(n: Node, name: string) {
  const peer = new FakePeer();
  const session = n.chat.connect(peer, { transport: "memory", hello: true });
  session.handle({ type: "hello", version: 2, software: "test" });
  session.handle({ type: "join", room: "lobby", name });
  await waitFor(() => peer.events.some((e) => e.type === "welcome"), "welcome");
  const welcome = peer.events.find((e) => e.type === "welcome");
  const token = welcome?.type === "welcome" ? welcome.resume?.token : undefined;
  assert.ok(token !== undefined);
  return { peer, session, token };
}

function texts(events: readonly ChatEvent[]): string[] {
  return events.flatMap((e) =>
    e.type === "message"
      ? [e.text]
      : e.type === "history"
      ? [`history ${e.event.text}`]
      : []
  );
}

Deno.test("redis history: a joiner on another node gets the room's history; it goes with the room", async () => {
  const redis = await startRedis();
  const a = await node(redis), b = await node(redis);
  const raw = new Redis(redis.url);
  try {
    const amy = await join(a, "amy");
    await join(b, "cat", "kitchen");
    amy.session.handle({ type: "say", text: "one" });
    amy.session.handle({ type: "say", text: "two" });
    b.chat.announce("to every room");
    await waitFor(has(amy.peer, { type: "announcement" }), "announcement");
    await waitFor(
      async () => (await raw.xlen("roomcast:history:lobby")) === 3,
      "three entries in lobby's stream",
    );
    assert.equal(await raw.xlen("roomcast:history:kitchen"), 1);
    const bob = await join(b, "bob");
    await waitFor(() => bob.peer.events.length >= 4, "bob's history");
    assert.deepEqual(texts(bob.peer.events), [
      "history one",
      "history two",
      "history to every room",
    ]);
    const [, first] = bob.peer.events;
    // The time of the node where it was said (here its test clock).
    assert.equal(first?.type === "history" && first.time, 1_000_000);
    assert.deepEqual(
      (await a.chat.history("lobby")).map((e) => e.event.text),
      ["one", "two", "to every room"],
    );
    // The last member of a room leaves: its stream is gone.
    amy.session.handle({ type: "leave" });
    bob.session.handle({ type: "leave" });
    await waitFor(
      async () => (await raw.exists("roomcast:history:lobby")) === 0,
      "lobby's history deleted",
    );
    assert.equal(await raw.exists("roomcast:history:kitchen"), 1);
  } finally {
    raw.disconnect();
    await a.chat.shutdown();
    await b.chat.shutdown();
    await redis.stop();
  }
});

Deno.test("redis resume: a member cut on one node resumes on the other with what it missed", async () => {
  const redis = await startRedis();
  const a = await node(redis), b = await node(redis);
  const raw = new Redis(redis.url);
  try {
    const amy = await join(a, "amy");
    const cat = await join(b, "cat");
    const bob = await resumable(a, "bob");
    await waitFor(has(cat.peer, { type: "joined", name: "bob" }), "joined");
    amy.session.handle({ type: "say", text: "one" });
    await waitFor(has(bob.peer, { type: "message", text: "one" }), "one");
    bob.session.close(); // the connection dropped: bob is detached on a
    assert.equal(a.chat.detached, 1);
    cat.session.handle({ type: "say", text: "two" });
    await waitFor(has(amy.peer, { type: "message", text: "two" }), "two");
    amy.session.handle({ type: "say", text: "three" });

    // Bob comes back on node b, having received event 1 ("one").
    const peer = new FakePeer();
    const back = b.chat.connect(peer, { transport: "memory", hello: true });
    back.handle({ type: "hello", version: 2, software: "test" });
    back.handle({ type: "resume", token: bob.token, seen: 1 });
    await waitFor(() => peer.events.length >= 4, "bob resumed on b");
    const [, welcome, ...rest] = peer.events;
    assert.equal(welcome?.type, "welcome");
    if (welcome?.type === "welcome") {
      assert.deepEqual(welcome.resume, {
        token: bob.token,
        graceMs: 60_000,
        seq: 1,
        lost: 0,
      });
      assert.deepEqual([...welcome.members].sort(), ["amy", "bob", "cat"]);
    }
    assert.deepEqual(texts(rest), ["two", "three"]);
    assert.equal(a.chat.detached, 0);
    assert.equal(a.chat.size, 1);
    const claim = await raw.hget("roomcast:claims:lobby", "bob");
    assert.equal(claim?.split("\n")[0], b.bp.nodeId, "the name is b's now");

    // Live on b; the room never saw bob leave or enter again.
    amy.session.handle({ type: "say", text: "four" });
    await waitFor(has(peer, { type: "message", text: "four" }), "four");
    back.handle({ type: "say", text: "back" });
    await waitFor(has(amy.peer, { type: "message", text: "back" }), "back");
    for (const p of [amy.peer, cat.peer]) {
      assert.deepEqual(
        p.events.filter((e) =>
          (e.type === "left" || e.type === "joined") && e.name === "bob"
        ).map((e) => e.type),
        ["joined"],
      );
    }
    // Bob's leave from b frees the name cluster-wide.
    back.handle({ type: "leave" });
    await waitFor(has(amy.peer, { type: "left", name: "bob" }), "left");
    assert.equal(await raw.hget("roomcast:claims:lobby", "bob"), null);

    // A token nobody holds any more is refused.
    const late = b.chat.connect(new FakePeer(), { transport: "memory" });
    late.handle({ type: "resume", token: bob.token, seen: 0 });
    assert.equal(late.state, "joining");
    await waitFor(() => late.state === "ready", "refused");
  } finally {
    raw.disconnect();
    await a.chat.shutdown();
    await b.chat.shutdown();
    await redis.stop();
  }
});
