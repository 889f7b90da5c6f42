// The Redis backplane in one process: chats with real RedisBackplanes on a
// private redis-server (tests/_redis.ts), and in-memory peers. The
// multi-process scenarios (real servers, real clients) are in redis_test.ts.

import assert from "node:assert/strict";
import { RedisBackplane } from "../../../adapters/redis/backplane.ts";
import { Chat, type LogRecord } from "../../../core/chat.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { nameKey } from "../../../core/names.ts";
import type { Session } from "../../../core/session.ts";
import { FakeClock, FakePeer } from "../../core/_peers.ts";
import { type RedisServer, startRedis } from "../../_redis.ts";

/** Short lease, for tests of reaping: a node is declared lost within 1 s. */
const LEASE = 1000;
/**
 * Lease of the other tests: long enough that a test process paused by a
 * loaded machine (tests run in parallel) is not declared lost.
 */
const SAFE_LEASE = 4000;

interface Node {
  chat: Chat;
  bp: RedisBackplane;
  logs: LogRecord[];
}

async function node(
  redis: RedisServer,
  leaseMs = SAFE_LEASE,
): Promise<Node> {
  const logs: LogRecord[] = [];
  const log = (r: LogRecord) => logs.push(r);
  const bp = await RedisBackplane.connect({ url: redis.url, leaseMs, log });
  const chat = new Chat({ now: new FakeClock().now, backplane: bp, log });
  return { chat, bp, logs };
}

interface Conn {
  peer: FakePeer;
  session: Session;
}

async function join(n: Node, name: string, room = "lobby"): Promise<Conn> {
  const peer = new FakePeer();
  const session = n.chat.connect(peer, { transport: "memory" });
  session.handle({ type: "join", room, name });
  await waitFor(() => peer.events.length > 0, `${name} answered`);
  return { peer, session };
}

async function waitFor(
  done: () => boolean | Promise<boolean>,
  what: string,
  ms = 8000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function has(peer: FakePeer, match: Partial<Record<string, unknown>>) {
  return () =>
    peer.events.some((e) =>
      Object.entries(match).every(([k, v]) =>
        (e as unknown as Record<string, unknown>)[k] === v
      )
    );
}

function of(peer: FakePeer, type: ChatEvent["type"]): ChatEvent[] {
  return peer.events.filter((e) => e.type === type);
}

async function sorted(
  list: readonly string[] | Promise<readonly string[]>,
): Promise<string[]> {
  return [...await list].sort();
}

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
    await waitFor(async () => {
      const c = await join(b, "ВОВ");
      return codeOf(c) === "welcome";
    }, "ВОВ gets the freed name");
  } finally {
    await a.chat.shutdown();
    await b.chat.shutdown();
    assert.equal(await redis.cli("EXISTS", "roomcast:claims:lobby"), "0");
    await redis.stop();
  }
});
