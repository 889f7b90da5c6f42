// A cluster for real: several `cli.ts serve --redis` processes on one private
// redis-server, members on different nodes over TCP and Unix sockets, a
// real `cli.ts join`, a node killed with SIGKILL, and a Redis restart
// mid-chat. Every wait is bounded; the whole file runs in well under 60 s.

import assert from "node:assert/strict";
import type { ChatEvent } from "../../../core/events.ts";
import { PROTOCOL_VERSION } from "../../../core/codec/mod.ts";
import { Proc, type ServerProc } from "../../_process.ts";
import { type RedisServer, startRedis } from "../../_redis.ts";
import { connectStream, type StreamTestClient } from "../_client.ts";

const LEASE_S = 2;
const ADMIN_TOKEN = "cluster-test-admin-token";

/** A cluster: one Redis, some nodes, and every client to close. */
class Cluster {
  readonly redis: RedisServer;
  readonly dir: string;
  readonly nodes: (ServerProc & { http?: string })[] = [];
  readonly clients: StreamTestClient[] = [];

  private constructor(redis: RedisServer, dir: string) {
    this.redis = redis;
    this.dir = dir;
  }

  static async start(nodes: number): Promise<Cluster> {
    const redis = await startRedis();
    const dir = await Deno.makeTempDir({ prefix: "roomcast-cluster-" });
    const cluster = new Cluster(redis, dir);
    try {
      const started = await Promise.all(
        Array.from({ length: nodes }, (_, i) => cluster.#node(i)),
      );
      cluster.nodes.push(...started);
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  /** Node 0 also serves HTTP, with the admin token {@link ADMIN_TOKEN}. */
  async #node(i: number): Promise<ServerProc & { http?: string }> {
    const proc = Proc.cli("serve", [
      "serve",
      "--transport",
      i === 0 ? "tcp,unix,http" : "tcp,unix",
      "--port",
      "0",
      "--http-port",
      "0",
      "--socket",
      `${this.dir}/node${i}.sock`,
      "--redis",
      this.redis.url,
      "--lease",
      String(LEASE_S),
    ], { env: { CHAT_ADMIN_TOKEN: ADMIN_TOKEN } });
    const out: ServerProc & { http?: string } = { proc };
    try {
      for (let n = i === 0 ? 3 : 2; n > 0; n--) {
        const m = await proc.expect(
          /listen transport=(\w+) url=(\S+)/,
          "stderr",
        );
        if (m[1] === "tcp") out.tcp = m[2]!;
        if (m[1] === "unix") out.unix = m[2]!;
        if (m[1] === "http") out.http = m[2]!;
      }
    } catch (e) {
      await proc.stop();
      throw e;
    }
    return out;
  }

  /** A member on a node, over `tcp` or `unix`, welcomed. */
  async member(
    node: number,
    transport: "tcp" | "unix",
    name: string,
    room = "lobby",
  ): Promise<{ client: StreamTestClient; welcome: ChatEvent }> {
    const client = await this.connect(node, transport);
    client.send({ type: "join", room, name });
    const welcome = await client.next();
    assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
    return { client, welcome };
  }

  /** A client that said HELLO, on a node. */
  async connect(
    node: number,
    transport: "tcp" | "unix",
  ): Promise<StreamTestClient> {
    const url = this.nodes[node]![transport]!;
    const client = await connectStream(url);
    this.clients.push(client);
    client.send({ type: "hello", version: PROTOCOL_VERSION, software: "t/1" });
    assert.equal((await client.next()).type, "hello_ok");
    return client;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.clients.map((c) => c.close()));
    await Promise.allSettled(this.nodes.map((n) => n.proc.stop()));
    await this.redis.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Read events until one matches; the others are returned with it. */
async function until(
  client: StreamTestClient,
  match: (e: ChatEvent) => boolean,
  timeoutMs = 5000,
): Promise<ChatEvent[]> {
  const seen: ChatEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no match; saw ${JSON.stringify(seen)}`);
    const e = await client.next(left);
    seen.push(e);
    if (match(e)) return seen;
  }
}

/** Nothing more arrives for `ms` (a ping round trip proves it). */
async function quiet(client: StreamTestClient, ms = 300): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  client.send({ type: "ping", nonce: 4242 });
  assert.deepEqual(await client.next(), { type: "pong", nonce: 4242 });
}

Deno.test("redis cluster: members on three nodes over TCP and Unix sockets chat as one room; HTTP sees the cluster", async () => {
  const c = await Cluster.start(3);
  try {
    const amy = (await c.member(0, "tcp", "amy")).client;
    const bob = (await c.member(1, "unix", "bob")).client;
    await until(amy, (e) => e.type === "joined" && e.name === "bob");
    const { client: cat, welcome } = await c.member(2, "tcp", "cat");
    assert.equal(welcome.type === "welcome" && welcome.total, 3);
    assert.deepEqual(
      welcome.type === "welcome" && [...welcome.members].sort(),
      ["amy", "bob", "cat"],
    );
    for (const m of [amy, bob]) {
      await until(m, (e) => e.type === "joined" && e.name === "cat");
    }

    // A name is unique across nodes.
    const dup = await c.connect(1, "tcp");
    dup.send({ type: "join", room: "lobby", name: "Amy" });
    const refused = await dup.next();
    assert.equal(refused.type === "error" && refused.code, "NAME_TAKEN");

    // Interleaved bursts from three nodes: each sender's order is kept.
    const senders = [["amy", amy], ["bob", bob], ["cat", cat]] as const;
    for (let i = 0; i < 15; i++) {
      for (const [name, m] of senders) {
        m.send({ type: "say", text: `${name} ${i}` });
      }
    }
    for (const [name, m] of senders) {
      const got: string[] = [];
      while (got.length < 30) {
        const e = await m.next();
        if (e.type === "message") got.push(e.text);
      }
      for (const [other] of senders) {
        if (other === name) continue;
        assert.deepEqual(
          got.filter((t) => t.startsWith(`${other} `)),
          Array.from({ length: 15 }, (_, i) => `${other} ${i}`),
        );
      }
      assert.ok(!got.some((t) => t.startsWith(`${name} `)), "no echo");
    }

    // /who is cluster-wide.
    bob.send({ type: "who", room: "" });
    const who = await bob.next();
    assert.equal(who.type === "members" && who.total, 3);

    // The console of one node announces to every member of every node.
    await c.nodes[0]!.proc.write("maintenance at 10\n");
    for (const m of [amy, bob, cat]) {
      assert.deepEqual(await m.next(), {
        type: "announcement",
        room: null,
        text: "maintenance at 10",
      });
    }

    // An HTTP announcement to one node reaches every member of every node.
    const res = await fetch(`${c.nodes[0]!.http}/api/announcements`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ text: "over http" }),
    });
    await res.body?.cancel();
    assert.equal(res.status, 202);
    for (const m of [amy, bob, cat]) {
      assert.deepEqual(await m.next(), {
        type: "announcement",
        room: null,
        text: "over http",
      });
    }
    // And its member list is the cluster's.
    const list = await fetch(`${c.nodes[0]!.http}/api/rooms/lobby/members`);
    const body = await list.json();
    assert.deepEqual([...body.members].sort(), ["amy", "bob", "cat"]);

    // A real `cli.ts join` on the third node, over its Unix socket.
    const dan = Proc.cli("client", [
      "join",
      "--name",
      "dan",
      "--server",
      c.nodes[2]!.unix!,
      "--json",
    ]);
    try {
      await until(amy, (e) => e.type === "joined" && e.name === "dan");
      await dan.write("hello from dan\n");
      await until(bob, (e) => e.type === "message" && e.from === "dan");
      await dan.write("/quit\n");
      assert.equal((await dan.exit()).code, 0);
      await until(amy, (e) => e.type === "left" && e.name === "dan");
    } finally {
      await dan.stop();
    }

    // A node shut down gracefully: the others hear its members leave.
    c.nodes[2]!.proc.kill("SIGTERM");
    assert.equal((await c.nodes[2]!.proc.exit()).code, 0);
    for (const m of [amy, bob]) {
      await until(
        m,
        (e) => e.type === "left" && e.name === "cat" && e.reason === "shutdown",
      );
    }
    await c.member(1, "tcp", "cat");
  } finally {
    await c.stop();
  }
});

Deno.test("redis cluster: a member cut at the socket on one node resumes on another; joiners on any node get the history", async () => {
  const c = await Cluster.start(2);
  try {
    const { client: amy } = await c.member(0, "tcp", "amy");
    const bob = await connectStream(c.nodes[0]!.tcp!);
    c.clients.push(bob);
    bob.send({ type: "hello", version: 2, software: "t/2" });
    assert.equal((await bob.next()).type, "hello_ok");
    bob.send({ type: "join", room: "lobby", name: "bob" });
    const welcome = await bob.next();
    const token = welcome.type === "welcome" ? welcome.resume?.token : "";
    assert.ok(token);
    await until(amy, (e) => e.type === "joined");
    amy.send({ type: "say", text: "one" });
    assert.deepEqual(await bob.next(), {
      type: "message",
      room: "lobby",
      from: "amy",
      text: "one",
    });
    await bob.close();
    amy.send({ type: "say", text: "two" });

    // Back on the other node, having received event 1.
    const back = await connectStream(c.nodes[1]!.tcp!);
    c.clients.push(back);
    back.send({ type: "hello", version: 2, software: "t/2" });
    assert.equal((await back.next()).type, "hello_ok");
    back.send({ type: "resume", token, seen: 1 });
    const again = await back.next();
    assert.equal(again.type, "welcome", JSON.stringify(again));
    assert.equal(again.type === "welcome" && again.resume?.seq, 1);
    assert.deepEqual(await back.next(), {
      type: "message",
      room: "lobby",
      from: "amy",
      text: "two",
    });
    back.send({ type: "say", text: "back on node 1" });
    // Amy saw no leave and no enter: bob's line is her next event.
    assert.deepEqual(await amy.next(), {
      type: "message",
      room: "lobby",
      from: "bob",
      text: "back on node 1",
    });

    // A joiner on either node gets the room's history from Redis.
    for (const node of [0, 1]) {
      const { client: late } = await c.member(node, "unix", `late${node}`);
      const past = [];
      for (let i = 0; i < 3; i++) {
        const e = await late.next();
        past.push(e.type === "history" && e.event.text);
      }
      assert.deepEqual(past, ["one", "two", "back on node 1"]);
    }
  } finally {
    await c.stop();
  }
});

Deno.test("redis cluster: a name raced for on two nodes has exactly one winner, 100 times", async () => {
  const c = await Cluster.start(2);
  try {
    for (let batch = 0; batch < 10; batch++) {
      const rounds = await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const name = `racer${batch * 10 + j}`;
          const x = await c.connect(0, "tcp");
          const y = await c.connect(1, "unix");
          x.send({ type: "join", room: "race", name });
          y.send({ type: "join", room: "race", name: name.toUpperCase() });
          const [ex, ey] = await Promise.all([x.next(), y.next()]);
          return { name, types: [ex.type, ey.type], ex, ey };
        }),
      );
      for (const r of rounds) {
        const wins = r.types.filter((t) => t === "welcome").length;
        assert.equal(wins, 1, `${r.name}: ${JSON.stringify(r)}`);
        const loss = r.types[0] === "welcome" ? r.ey : r.ex;
        assert.equal(loss.type === "error" && loss.code, "NAME_TAKEN");
      }
    }
    assert.equal(await c.redis.cli("HGET", "roomcast:rooms", "race"), "100");
  } finally {
    await c.stop();
  }
});

Deno.test("redis cluster: a node killed with SIGKILL: its members leave (node_lost) once, within the lease", async () => {
  const c = await Cluster.start(3);
  try {
    const amy = (await c.member(0, "tcp", "amy")).client;
    const bob = (await c.member(1, "unix", "bob")).client;
    const eve = (await c.member(0, "unix", "eve", "other")).client;
    await c.member(2, "tcp", "cat");
    await c.member(2, "unix", "dan", "other");
    await until(amy, (e) => e.type === "joined" && e.name === "cat");
    await until(bob, (e) => e.type === "joined" && e.name === "cat");
    await until(eve, (e) => e.type === "joined" && e.name === "dan");

    const killed = Date.now();
    c.nodes[2]!.proc.kill("SIGKILL");
    const lost = (name: string) => (e: ChatEvent) =>
      e.type === "left" && e.name === name && e.reason === "node_lost";
    await until(amy, lost("cat"), LEASE_S * 1000 + 3000);
    await until(bob, lost("cat"), 3000);
    await until(eve, lost("dan"), 3000);
    const took = Date.now() - killed;
    // Declared lost within the lease (plus a little for the clients).
    assert.ok(took < LEASE_S * 1000 + 1500, `took ${took} ms`);

    // Announced once, by one surviving node; the names are free again.
    for (const m of [amy, bob, eve]) await quiet(m);
    const reapers = c.nodes.slice(0, 2).filter((n) =>
      /cluster state=node_lost/.test(n.proc.stderr)
    );
    assert.equal(reapers.length, 1);
    await c.member(1, "tcp", "cat");
    await c.member(0, "tcp", "dan", "other");
    const who = await c.connect(0, "tcp");
    who.send({ type: "who", room: "lobby" });
    const list = await who.next();
    assert.deepEqual(
      list.type === "members" && [...list.members].sort(),
      ["amy", "bob", "cat"],
    );
  } finally {
    await c.stop();
  }
});

Deno.test("redis cluster: a Redis restart mid-chat keeps every session and duplicates no name", async () => {
  const c = await Cluster.start(2);
  try {
    const amy = (await c.member(0, "tcp", "amy")).client;
    const bob = (await c.member(1, "unix", "bob")).client;
    await until(amy, (e) => e.type === "joined" && e.name === "bob");
    amy.send({ type: "say", text: "before" });
    await until(bob, (e) => e.type === "message" && e.text === "before");

    await c.redis.restart(300);
    for (const n of c.nodes) {
      await n.proc.expect(/cluster state=unreachable/, "stderr");
      await n.proc.expect(/cluster state=rejoined/, "stderr");
    }
    // One warning per node for the whole outage.
    for (const n of c.nodes) {
      assert.equal(n.proc.stderr.match(/state=unreachable/g)?.length, 1);
    }
    assert.equal(await c.redis.cli("HLEN", "roomcast:claims:lobby"), "2");

    // The chat goes on; nobody left, nobody joined twice. A message said
    // while a node was still reconnecting may be lost (at most once
    // delivery across nodes), so say it until it crosses.
    const seen: ChatEvent[] = [];
    for (let i = 0; !seen.some((e) => e.type === "message"); i++) {
      assert.ok(i < 20, "messages never crossed again");
      amy.send({ type: "say", text: `after ${i}` });
      seen.push(
        ...await until(bob, (e) => e.type === "message", 250).catch(() => []),
      );
    }
    assert.ok(!seen.some((e) => e.type === "left" || e.type === "joined"));
    for (const m of [amy, bob]) {
      m.send({ type: "who", room: "" });
      const list = await until(m, (e) => e.type === "members");
      const who = list.at(-1)!;
      assert.deepEqual(
        who.type === "members" && [...who.members].sort(),
        ["amy", "bob"],
      );
      assert.ok(!list.some((e) => e.type === "left" || e.type === "joined"));
    }
    const dup = await c.connect(1, "tcp");
    dup.send({ type: "join", room: "lobby", name: "AMY" });
    const refused = await dup.next();
    assert.equal(refused.type === "error" && refused.code, "NAME_TAKEN");
  } finally {
    await c.stop();
  }
});

Deno.test("redis cluster: Redis unreachable at start is a clear error and exit 1, unless --redis-optional", async () => {
  const redis = await startRedis();
  const url = redis.url;
  await redis.stop();
  const dir = await Deno.makeTempDir({ prefix: "roomcast-cluster-" });
  const common = ["serve", "--transport", "tcp", "--port", "0"];
  const fromFlag = Proc.cli("serve", [...common, "--redis", url]);
  const fromEnv = Proc.cli("serve", common, {
    env: { CHAT_REDIS_URL: url },
  });
  const optional = Proc.cli("serve", [
    ...common,
    "--redis",
    url,
    "--redis-optional",
  ]);
  try {
    for (const p of [fromFlag, fromEnv]) {
      assert.equal((await p.exit()).code, 1);
      assert.match(
        p.stderr,
        /error: Cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+\/?: connect ECONNREFUSED/,
      );
      assert.doesNotMatch(p.stderr, /\n\s+at /, "no stack trace");
    }
    await optional.expect(/cluster state=unreachable/, "stderr");
    await optional.expect(/listen transport=tcp/, "stderr");
    optional.kill("SIGTERM");
    assert.equal((await optional.exit()).code, 0);
  } finally {
    await Promise.all([fromFlag.stop(), fromEnv.stop(), optional.stop()]);
    await Deno.remove(dir, { recursive: true });
  }
});
