// Name claims across nodes (adapters/redis/name_claims.ts), on a private
// redis-server: one winner per race, and the cluster-wide lists.

import assert from "node:assert/strict";
import { startRedis } from "../../_redis.ts";
import { node } from "./_nodes.ts";

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
