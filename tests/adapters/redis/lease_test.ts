// A node's lease (adapters/redis/lease.ts), on a private redis-server:
// lost nodes reaped once, a node declared lost coming back, a Redis restart,
// and the reconciliation after an outage.

import assert from "node:assert/strict";
import { nameKey } from "../../../core/names.ts";
import { startRedis } from "../../_redis.ts";
import { has, join, LEASE, node, of, sorted, waitFor } from "./_nodes.ts";

Deno.test("redis backplane: a lost node's members leave (node_lost) once, and their names are freed", async () => {
  const redis = await startRedis();
  const a = await node(redis, LEASE), b = await node(redis, LEASE);
  try {
    const amy = await join(a, "amy");
    const bob = await join(b, "bob");
    // A node that dies without a word: registered with a lease that runs
    // out shortly (Redis clock), so nobody reaps it before we look.
    const ghost = "ghost-node";
    const [secs = "0", micros = "0"] = (await redis.cli("TIME")).split(/\s+/);
    const expiry = Number(secs) * 1000 + Math.floor(Number(micros) / 1000) +
      2 * LEASE;
    await redis.cli("ZADD", "roomcast:nodes", String(expiry), ghost);
    for (
      const [room, key, name] of [["lobby", nameKey("Zed"), "Zed"], [
        "lobby",
        nameKey("张三"),
        "张三",
      ]]
    ) {
      await redis.cli(
        "HSET",
        `roomcast:claims:${room}`,
        key!,
        `${ghost}\n${name}`,
      );
      await redis.cli("HINCRBY", "roomcast:rooms", room!, "1");
      await redis.cli("SADD", `roomcast:node:${ghost}`, `${room}\n${key}`);
    }
    assert.equal((await a.chat.members("lobby")).length, 4);
    const taken = await join(b, "zed");
    assert.equal(taken.peer.last?.type, "error");

    // Within a lease (plus the grace a node gives others after it joins).
    for (const p of [amy.peer, bob.peer]) {
      await waitFor(
        has(p, { type: "left", name: "Zed", reason: "node_lost" }),
        "Zed",
      );
      await waitFor(
        has(p, { type: "left", name: "张三", reason: "node_lost" }),
        "张三",
      );
    }
    await new Promise((r) => setTimeout(r, LEASE));
    // Each leave was announced once, by one node, in frames built by Lua.
    assert.equal(of(amy.peer, "left").length, 2);
    assert.equal(of(bob.peer, "left").length, 2);
    const reaps = [...a.logs, ...b.logs].filter((r) => r.state === "node_lost");
    assert.deepEqual(reaps.map((r) => [r.node, r.members]), [[ghost, 2]]);
    assert.deepEqual(await sorted(b.chat.members("lobby")), ["amy", "bob"]);
    assert.equal(await redis.cli("EXISTS", `roomcast:node:${ghost}`), "0");
    const zed = await join(b, "Zed");
    assert.equal(zed.peer.events[0]?.type, "welcome");
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    await redis.stop();
  }
});

Deno.test("redis backplane: a node declared lost while alive comes back and re-announces its members", async () => {
  const redis = await startRedis();
  // a renews every 2 s (a quarter of its lease), b checks every 250 ms.
  const a = await node(redis, 8 * LEASE), b = await node(redis, LEASE);
  try {
    const amy = await join(a, "amy");
    const bob = await join(b, "bob");
    await new Promise((r) => setTimeout(r, LEASE)); // past b's grace
    // As if a had stalled for longer than its lease.
    await redis.cli("ZADD", "roomcast:nodes", "1", a.bp.nodeId);
    await waitFor(
      has(bob.peer, { type: "left", name: "amy", reason: "node_lost" }),
      "amy declared lost",
    );
    // a ignores the leave of its own member, finds itself dropped,
    // re-claims amy and tells the cluster she is back.
    await waitFor(has(bob.peer, { type: "joined", name: "amy" }), "amy back");
    assert.equal(of(amy.peer, "left").length, 0);
    assert.equal(amy.session.state, "joined");
    assert.deepEqual(await sorted(b.chat.members("lobby")), ["amy", "bob"]);
    await waitFor(
      () => a.logs.some((r) => r.state === "rejoined" && r.declared_lost),
      "a logs its return",
    );
    amy.session.handle({ type: "say", text: "still here" });
    await waitFor(has(bob.peer, { text: "still here" }), "message");
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    await redis.stop();
  }
});

Deno.test("redis backplane: a Redis restart keeps every session and every name, once", async () => {
  const redis = await startRedis();
  const a = await node(redis), b = await node(redis);
  try {
    const amy = await join(a, "amy");
    const bob = await join(b, "bob");
    const cat = await join(b, "cat", "other");
    await redis.restart(200);
    await waitFor(() => a.bp.online && b.bp.online, "both back online");
    await waitFor(
      async () => (await redis.cli("HLEN", "roomcast:claims:lobby")) === "2",
      "names re-claimed",
    );
    assert.deepEqual(await sorted(a.chat.members("lobby")), ["amy", "bob"]);
    assert.deepEqual(await a.chat.rooms(), [
      { room: "lobby", members: 2 },
      { room: "other", members: 1 },
    ]);
    // One warning per node for the outage, then one line when back.
    for (const n of [a, b]) {
      assert.equal(n.logs.filter((r) => r.state === "unreachable").length, 1);
      await waitFor(
        () => n.logs.some((r) => r.state === "rejoined"),
        "rejoined",
      );
    }
    // Nobody left or joined again, and the chat goes on across nodes.
    for (const c of [amy, bob, cat]) {
      assert.equal(c.session.state, "joined");
      assert.equal(of(c.peer, "left").length, 0);
    }
    assert.equal(of(amy.peer, "joined").length, 1); // bob, before
    await waitFor(async () => {
      amy.session.handle({ type: "say", text: "after" });
      await new Promise((r) => setTimeout(r, 50));
      return has(bob.peer, { text: "after" })();
    }, "messages cross again");
    const dup = await join(a, "BOB");
    assert.equal(
      dup.peer.last?.type === "error" && dup.peer.last.code,
      "NAME_TAKEN",
    );
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    await redis.stop();
  }
});

Deno.test("redis backplane: during an outage nodes serve alone; a name taken twice goes to the older member", async () => {
  const redis = await startRedis();
  const a = await node(redis), b = await node(redis);
  try {
    const amy = await join(a, "amy");
    const bob = await join(b, "bob");
    const eve = await join(b, "eve");
    await waitFor(has(amy.peer, { type: "joined", name: "eve" }), "eve");
    await redis.pause();
    await waitFor(() => !a.bp.online && !b.bp.online, "both offline");
    // A member the cluster knew leaves while Redis is away.
    eve.session.handle({ type: "leave" });
    // Each node goes on alone: joins are decided locally...
    const amy2 = await join(b, "Amy");
    assert.equal(amy2.peer.events[0]?.type, "welcome");
    const dan = await join(b, "dan");
    const b2 = await join(b, "bob");
    assert.equal(
      b2.peer.last?.type === "error" && b2.peer.last.code,
      "NAME_TAKEN",
    );
    // ... and /who lists this node's members.
    assert.deepEqual(await sorted(b.chat.members("lobby")), [
      "Amy",
      "bob",
      "dan",
    ]);
    dan.session.handle({ type: "leave" });

    await redis.resume();
    // amy (in the cluster before the outage) keeps her name; b's Amy, who
    // joined while Redis was away, is told and removed.
    await waitFor(
      has(amy2.peer, { type: "left", reason: "node_lost" }),
      "Amy removed",
    );
    const [err] = of(amy2.peer, "error");
    assert.equal(err?.type === "error" && err.code, "NAME_TAKEN");
    assert.equal(amy2.session.state, "closed");
    assert.equal(amy.session.state, "joined");
    await waitFor(
      async () => (await sorted(a.chat.members("lobby"))).join() === "amy,bob",
      "one amy, one bob, no dan",
    );
    await waitFor(
      has(bob.peer, { type: "left", name: "Amy", reason: "node_lost" }),
      "bob saw Amy go",
    );
    // The other node hears eve's leave, with its reason, once Redis is
    // back; it never heard of dan, so it hears nothing of him.
    await waitFor(
      has(amy.peer, { type: "left", name: "eve", reason: "quit" }),
      "eve's leave",
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(
      of(amy.peer, "left").map((e) => e.type === "left" && e.name),
      ["eve"],
    );
    assert.ok(!amy.peer.events.some((e) => "name" in e && e.name === "dan"));
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    await redis.stop();
  }
});
