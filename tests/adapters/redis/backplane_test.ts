// The Redis backplane in one process (adapters/redis/backplane.ts): chats
// with real RedisBackplanes on a private redis-server (tests/_redis.ts), and
// in-memory peers. Claims, leases and the event channel have their own
// tests (name_claims_test.ts, lease_test.ts, event_channel_test.ts); the
// multi-process scenarios (real servers, real clients) are in
// cluster_test.ts.

import assert from "node:assert/strict";
import { RedisBackplane } from "../../../adapters/redis/backplane.ts";
import { Chat, type LogRecord } from "../../../core/chat.ts";
import { FakeClock } from "../../core/_peers.ts";
import { nameKey } from "../../../core/names.ts";
import { startRedis } from "../../_redis.ts";
import { has, join, LEASE, node, of, sorted, waitFor } from "./_nodes.ts";

Deno.test("redis backplane: two nodes share names, members, rooms and events", async () => {
  const redis = await startRedis();
  const a = await node(redis), b = await node(redis);
  try {
    assert.ok(a.bp.online && b.bp.online);
    const amy = await join(a, "amy");
    const bob = await join(b, "bob");
    assert.deepEqual(bob.peer.events[0], {
      type: "welcome",
      room: "lobby",
      name: "bob",
      members: bob.peer.events[0]?.type === "welcome"
        ? [...bob.peer.events[0].members].sort()
        : [],
      total: 2,
    });
    await waitFor(has(amy.peer, { type: "joined", name: "bob" }), "joined");

    // A name is unique across nodes, in any case.
    const dup = await join(b, "AMY");
    assert.equal(dup.peer.last?.type, "error");
    assert.equal(
      dup.peer.last?.type === "error" && dup.peer.last.code,
      "NAME_TAKEN",
    );

    // Messages cross in order (a burst: the rate limit allows 40) and do
    // not echo back.
    for (let i = 0; i < 40; i++) {
      amy.session.handle({ type: "say", text: `m${i}` });
    }
    await waitFor(() => of(bob.peer, "message").length === 40, "40 messages");
    assert.deepEqual(
      of(bob.peer, "message").map((e) => e.type === "message" && e.text),
      Array.from({ length: 40 }, (_, i) => `m${i}`),
    );
    assert.equal(of(amy.peer, "message").length, 0);

    // Cluster-wide views.
    const cat = await join(a, "cat", "other");
    assert.deepEqual(await sorted(a.chat.members("lobby")), ["amy", "bob"]);
    assert.deepEqual(await b.chat.rooms(), [
      { room: "lobby", members: 2 },
      { room: "other", members: 1 },
    ]);
    bob.session.handle({ type: "who", room: "other" });
    await waitFor(has(bob.peer, { type: "members", room: "other" }), "who");
    assert.deepEqual(of(bob.peer, "members").at(-1), {
      type: "members",
      room: "other",
      members: ["cat"],
      total: 1,
    });

    // An announcement on one node reaches every room on every node.
    b.chat.announce("hello all");
    await waitFor(has(amy.peer, { type: "announcement" }), "to amy");
    await waitFor(has(cat.peer, { type: "announcement" }), "to cat");

    // A leave crosses and frees the name cluster-wide.
    bob.session.handle({ type: "leave" });
    await waitFor(has(amy.peer, { type: "left", name: "bob" }), "left");
    await join(a, "bob");

    // A graceful shutdown tells the other node its members left.
    const dan = await join(b, "dan");
    await waitFor(has(amy.peer, { type: "joined", name: "dan" }), "dan");
    await b.chat.shutdown();
    await waitFor(
      has(amy.peer, { type: "left", name: "dan", reason: "shutdown" }),
      "shutdown leave",
    );
    assert.equal(dan.peer.closed, true);
    assert.deepEqual(await sorted(a.chat.members("lobby")), ["amy", "bob"]);
    assert.equal(await redis.cli("ZCARD", "roomcast:nodes"), "1");
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    await redis.stop();
  }
  // Nothing is left behind in Redis by nodes that leave gracefully.
});

/**
 * A TCP proxy to `port` that holds what the client sends for `delayMs`
 * (in order): a node whose commands reach Redis late.
 */
function slowProxy(port: number, delayMs: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const pipe = async (from: Deno.Conn, to: Deno.Conn, delay: number) => {
    const buf = new Uint8Array(64 * 1024);
    let last = Promise.resolve();
    try {
      for (let n; (n = await from.read(buf)) !== null;) {
        const bytes = buf.slice(0, n);
        const at = performance.now() + delay;
        last = last.then(async () => {
          const wait = at - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          for (let done = 0; done < bytes.length;) {
            done += await to.write(bytes.subarray(done));
          }
        }).catch(() => {});
      }
    } catch {
      // closed
    }
    await last;
    try {
      to.close();
    } catch {
      // already closed
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(client, server);
      pipe(client, server, delayMs);
      pipe(server, client, 0);
    }
  })().catch(() => {});
  return {
    url: `redis://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch {
          // already closed
        }
      }
      await accepting;
    },
  };
}

Deno.test("redis backplane: a member told it left takes its name again at once on the other node, though its node's commands reach Redis 40 ms late", async () => {
  const redis = await startRedis();
  const proxy = slowProxy(Number(new URL(redis.url).port), 40);
  const slow = await node({ url: proxy.url } as typeof redis);
  const fast = await node(redis);
  try {
    for (let round = 1; round <= 6; round++) {
      // Joined on the slow node, it leaves there; its own `left` comes once
      // Redis has the release, so the fast node can give it the name.
      const bob = await join(slow, "bob");
      assert.equal(bob.peer.events[0]?.type, "welcome", `round ${round}`);
      bob.session.handle({ type: "leave" });
      await waitFor(has(bob.peer, { type: "left", name: "bob" }), "left");
      const again = await join(fast, "bob");
      assert.equal(
        again.peer.events[0]?.type,
        "welcome",
        `round ${round}: ${JSON.stringify(again.peer.events[0])}`,
      );
      again.session.handle({ type: "leave" });
      await waitFor(has(again.peer, { type: "left", name: "bob" }), "left");
    }
  } finally {
    await slow.chat.shutdown();
    await fast.chat.shutdown();
    await proxy.close();
    await redis.stop();
  }
});

Deno.test("redis backplane: unreachable at start is a clear error, unless optional", async () => {
  const redis = await startRedis();
  const url = redis.url;
  await redis.pause();
  try {
    await assert.rejects(
      RedisBackplane.connect({ url, leaseMs: LEASE }),
      (e: Error) => {
        assert.match(
          e.message,
          /^Cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+\/?: .*ECONNREFUSED/,
        );
        return true;
      },
    );
    const logs: LogRecord[] = [];
    const bp = await RedisBackplane.connect({
      url,
      leaseMs: LEASE,
      optional: true,
      log: (r) => logs.push(r),
    });
    const chat = new Chat({ now: new FakeClock().now, backplane: bp });
    try {
      assert.equal(bp.online, false);
      assert.ok(logs.some((r) => r.state === "alone"));
      const n = { chat, bp, logs };
      const amy = await join(n, "amy");
      assert.equal(amy.peer.events[0]?.type, "welcome");
      await redis.resume();
      await waitFor(() => bp.online, "joins the cluster when Redis answers");
      await waitFor(
        async () =>
          (await redis.cli("HGET", "roomcast:claims:lobby", nameKey("amy"))) !==
            "",
        "amy claimed",
      );
    } finally {
      await chat.shutdown();
    }
  } finally {
    await redis.stop();
  }
});
