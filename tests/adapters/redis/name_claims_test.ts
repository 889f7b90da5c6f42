// Name claims across nodes (adapters/redis/name_claims.ts), on a private
// redis-server: one winner per race, and the cluster-wide lists.

import assert from "node:assert/strict";
import { startRedis } from "../../_redis.ts";
import { type Conn, join, node, sorted, waitFor } from "./_nodes.ts";

Deno.test("redis backplane: a claim race between two nodes has exactly one winner, 300 times", async () => {
  const redis = await startRedis();
  const a = await node(redis), b = await node(redis);
  try {
    for (let i = 0; i < 300; i++) {
      const key = `n${i}`;
      const [x, y] = await Promise.all([
        a.bp.claim("race", key, key),
        b.bp.claim("race", key, key.toUpperCase()),
      ]);
      assert.equal(Number(x) + Number(y), 1, `race ${i}: ${x} ${y}`);
    }
    assert.equal(await redis.cli("HLEN", "roomcast:claims:race"), "300");
    assert.deepEqual(await a.bp.rooms(), [{ room: "race", members: 300 }]);
    const roster = await a.bp.roster("race", 10);
    assert.equal(roster.total, 300);
    assert.equal(roster.names.length, 10);
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    assert.equal(await redis.cli("EXISTS", "roomcast:claims:race"), "0");
    assert.equal(await redis.cli("HLEN", "roomcast:rooms"), "0");
    await redis.stop();
  }
});

Deno.test("redis backplane: look-alike names are one name across nodes; a refused one leaves no claim", async () => {
  const redis = await startRedis();
  const a = await node(redis), b = await node(redis);
  const codeOf = (c: Conn) => {
    const last = c.peer.last;
    return last?.type === "error" ? last.code : last?.type;
  };
  try {
    const bob = await join(a, "bob");
    assert.equal(codeOf(bob), "welcome");
    // Cyrillic о, all-Cyrillic capitals, a zero: bob's name on node b too.
    for (const name of ["bоb", "ВОВ", "b0b"]) {
      assert.equal(codeOf(await join(b, name)), "NAME_TAKEN", name);
    }
    // A mixed-script name nobody holds is refused, and not kept in Redis.
    const mixed = await join(b, "аmy"); // Cyrillic а
    assert.equal(codeOf(mixed), "NAME_INVALID");
    await waitFor(
      async () => (await sorted(a.chat.members("lobby"))).join() === "bob",
      "only bob holds a name",
    );
    assert.equal(codeOf(await join(a, "amy")), "welcome");
    // The leave of bob frees the key on every node (the ledger and the
    // claim use the same key).
    bob.session.handle({ type: "leave" });
    // The answer is the first event: bob's leave may reach b after ВОВ
    // got bob's key there, and follow the welcome.
    await waitFor(async () => {
      const c = await join(b, "ВОВ");
      return c.peer.events[0]?.type === "welcome";
    }, "ВОВ gets the freed name");
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    assert.equal(await redis.cli("EXISTS", "roomcast:claims:lobby"), "0");
    await redis.stop();
  }
});
