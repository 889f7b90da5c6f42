// Events between nodes over pub/sub (adapters/redis/event_channel.ts), on a
// private redis-server: the backlog waiting for Redis is bounded.

import assert from "node:assert/strict";
import { startRedis } from "../../_redis.ts";
import { has, join, node, of, waitFor } from "./_nodes.ts";

Deno.test("redis backplane: a backlog for Redis is bounded: messages stay local, joins and leaves still go", async () => {
  const redis = await startRedis();
  const a = await node(redis), b = await node(redis);
  try {
    const amy = await join(a, "amy");
    const bob = await join(b, "bob");
    await waitFor(has(amy.peer, { type: "joined", name: "bob" }), "joined");
    // Redis stops answering for a while; amy's node keeps publishing.
    await redis.cli("CLIENT", "PAUSE", "1500", "ALL");
    const text = "x".repeat(4000);
    for (let i = 0; i < 5000; i++) {
      a.bp.publish({ type: "message", room: "lobby", from: "amy", text });
    }
    assert.ok(a.logs.some((r) => r.state === "backlog_full"));
    const cat = await join(a, "cat"); // a join still goes out, late
    assert.equal(cat.peer.events[0]?.type, "welcome");
    await waitFor(
      () => a.logs.some((r) => r.state === "backlog_drained"),
      "backlog drained",
    );
    const drained = a.logs.find((r) => r.state === "backlog_drained");
    assert.ok(Number(drained?.dropped) > 0);
    await waitFor(has(bob.peer, { type: "joined", name: "cat" }), "cat");
    const got = of(bob.peer, "message").length;
    assert.ok(got > 0 && got < 5000, `${got} of 5000 crossed`);
    // And the chat goes on.
    amy.session.handle({ type: "say", text: "after" });
    await waitFor(has(bob.peer, { text: "after" }), "after");
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    await redis.stop();
  }
});
