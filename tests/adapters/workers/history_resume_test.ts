// `cli.ts serve --workers 2`, a real process, over TCP: a late joiner on
// one Worker gets the history said on the other; a member cut on one Worker
// resumes on the other with what it missed; `--max-connections` counts the
// whole process. A connection lands on the Worker the kernel picks; the
// server's log (its `connect` record, with the client's port) tells which.

import assert from "node:assert/strict";
import type { ChatEvent } from "../../../core/events.ts";
import { openStream, StreamTestClient, type TestClient } from "../_client.ts";
import type { Proc } from "../../_process.ts";
import { start } from "./_workers.ts";

/** A connection that said HELLO version 2, and the Worker it is on. */
async function open(
  proc: Proc,
  url: string,
  all: TestClient[],
): Promise<{ c: TestClient; worker: string }> {
  const conn = await openStream(url);
  const port = (conn.localAddr as Deno.NetAddr).port;
  const c = new StreamTestClient(conn);
  all.push(c);
  const worker = await workerOf(proc, port);
  c.send({ type: "hello", version: 2, software: "test/2" });
  const ok = await c.next();
  assert.equal(ok.type, "hello_ok", JSON.stringify(ok));
  return { c, worker };
}

/** The Worker that took the connection from `port`, as the server logged it. */
async function workerOf(proc: Proc, port: number): Promise<string> {
  const line = new RegExp(
    ` connect session=\\d+ transport=tcp remote=127\\.0\\.0\\.1:${port} worker=(\\d+)`,
  );
  for (let i = 0; i < 400; i++) {
    const m = proc.stderr.match(line);
    if (m) return m[1]!;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no connection from port ${port} in the log`);
}

/**
 * A connection on `worker` (or, `other`, on another one); one that lands
 * elsewhere is closed, and the server has let it go before the next one
 * tries.
 */
async function on(
  proc: Proc,
  url: string,
  worker: string,
  other: boolean,
  all: TestClient[],
): Promise<TestClient> {
  for (let i = 0; i < 40; i++) {
    const { c, worker: w } = await open(proc, url, all);
    if ((w === worker) !== other) return c;
    const gone = disconnects(proc) + 1;
    await c.close();
    for (let j = 0; j < 400 && disconnects(proc) < gone; j++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  throw new Error(`no connection landed ${other ? "off" : "on"} ${worker}`);
}

/** Sessions the server has let go, as it logged them. */
function disconnects(proc: Proc): number {
  return proc.stderr.match(/ disconnect session=/g)?.length ?? 0;
}

/** Join the lobby: the welcome's resume token and what came after it. */
async function join(
  c: TestClient,
  name: string,
  history = 0,
): Promise<{ token: string; seq: number; history: ChatEvent[] }> {
  c.send({ type: "join", room: "lobby", name });
  const welcome = await c.next();
  assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
  const resume = welcome.type === "welcome" ? welcome.resume : undefined;
  assert.ok(resume !== undefined);
  const past: ChatEvent[] = [];
  for (let i = 0; i < history; i++) past.push(await c.next());
  return { token: resume.token, seq: resume.seq, history: past };
}

const text = (e: ChatEvent) =>
  e.type === "history"
    ? `history ${
      e.event.type === "message" ? e.event.from : "*"
    }: ${e.event.text}`
    : e.type === "message"
    ? `${e.from}: ${e.text}`
    : e.type === "announcement"
    ? `*: ${e.text}`
    : e.type === "joined" || e.type === "left"
    ? `${e.type} ${e.name}`
    : e.type;

Deno.test("serve --workers 2: a late joiner on one Worker gets the history said on the other; a member cut on one Worker resumes on the other with what it missed, once and in order; the room sees nothing", async () => {
  const { proc, urls, dir } = await start("tcp", ["--history", "3"]);
  const all: TestClient[] = [];
  try {
    const url = urls.tcp!;
    const { c: amy, worker: onA } = await open(proc, url, all);
    await join(amy, "amy");
    for (let i = 1; i <= 5; i++) amy.send({ type: "say", text: `line ${i}` });
    // Amy's lines are in (a round trip of hers), and said before the
    // announcement (history is in the order things were said).
    amy.send({ type: "ping", nonce: 1 });
    assert.equal((await amy.next()).type, "pong");
    await new Promise((resolve) => setTimeout(resolve, 5));
    await proc.write("to every room\n");
    assert.equal(text(await amy.next()), "*: to every room");
    const lee = await on(proc, url, onA, true, all);
    const leeIn = await join(lee, "lee", 3);
    assert.deepEqual(leeIn.history.map(text), [
      "history amy: line 4",
      "history amy: line 5",
      "history *: to every room",
    ]);
    assert.equal(text(await amy.next()), "joined lee");
    // bob joins on A, is cut there, and comes back on B.
    const bobConn = await on(proc, url, onA, false, all);
    const bob = await join(bobConn, "bob", 3);
    assert.equal(text(await amy.next()), "joined bob");
    assert.equal(text(await lee.next()), "joined bob");
    amy.send({ type: "say", text: "one" });
    assert.equal(text(await bobConn.next()), "amy: one");
    assert.equal(text(await lee.next()), "amy: one");
    await bobConn.close();
    amy.send({ type: "say", text: "two" });
    assert.equal(text(await lee.next()), "amy: two");
    lee.send({ type: "say", text: "three" });
    assert.equal(text(await amy.next()), "lee: three");
    const back = await on(proc, url, onA, true, all);
    const seen = bob.seq + 3 + 1; // the history, then "one"
    back.send({ type: "resume", token: bob.token, seen });
    const welcome = await back.next();
    assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
    if (welcome.type === "welcome") {
      assert.equal(welcome.name, "bob");
      assert.deepEqual([...welcome.members].sort(), ["amy", "bob", "lee"]);
      assert.equal(welcome.resume?.seq, seen);
      assert.equal(welcome.resume?.lost, 0);
    }
    assert.equal(text(await back.next()), "amy: two");
    assert.equal(text(await back.next()), "lee: three");
    // Nothing twice: the next one is live; nobody saw bob leave or enter.
    amy.send({ type: "say", text: "four" });
    assert.equal(text(await back.next()), "amy: four");
    back.send({ type: "say", text: "I am back" });
    assert.equal(text(await lee.next()), "amy: four");
    assert.equal(text(await lee.next()), "bob: I am back");
    assert.equal(text(await amy.next()), "bob: I am back");
    assert.match(proc.stderr, /resume session=\d+ from=cluster .*worker=/);
  } catch (e) {
    throw withLog(e, proc);
  } finally {
    for (const c of all) await c.close();
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --workers 2: --max-connections counts the connections of every Worker", async () => {
  const { proc, urls, dir } = await start("tcp", ["--max-connections", "2"]);
  const all: TestClient[] = [];
  try {
    const url = urls.tcp!;
    // One connection on each Worker: each has room for one more alone.
    const { worker: onA } = await open(proc, url, all);
    await on(proc, url, onA, true, all);
    for (let i = 0; i < 4; i++) {
      const over = new StreamTestClient(await openStream(url));
      all.push(over);
      over.send({ type: "hello", version: 2, software: "test/2" });
      const e = await over.next();
      assert.equal(e.type === "error" && e.code, "SERVER_FULL", text(e));
    }
  } catch (e) {
    throw withLog(e, proc);
  } finally {
    for (const c of all) await c.close();
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A failure, with the end of the server's log. */
function withLog(e: unknown, proc: Proc): Error {
  const what = e instanceof Error ? e.message : String(e);
  return new Error(`${what}\n--- server ---\n${proc.stderr.slice(-5000)}`, {
    cause: e,
  });
}
