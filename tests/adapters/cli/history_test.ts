// History and resume from the command line, as real processes: the serve
// flags (--history, --history-bytes, --resume-grace) and their defaults,
// and `cli.ts join` coming back by itself when its connection drops (cut by
// a TCP proxy in the middle), with a visible reconnecting line.

import assert from "node:assert/strict";
import { Proc, startServe } from "../../_process.ts";
import { connectStream, type StreamTestClient } from "../_client.ts";
import { join, withProcs } from "./_cli.ts";

/** A client that said HELLO (version 2 when asked) and joined lobby. */
async function member(
  url: string,
  name: string,
  version = 1,
): Promise<{ c: StreamTestClient; events: unknown[] }> {
  const c = await connectStream(url);
  c.send({ type: "hello", version, software: "t" });
  assert.equal((await c.next()).type, "hello_ok");
  c.send({ type: "join", room: "lobby", name });
  const welcome = await c.next();
  assert.equal(welcome.type, "welcome");
  return { c, events: [welcome] };
}

/** The texts of the history events that follow a welcome. */
async function history(c: StreamTestClient, n: number): Promise<string[]> {
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = await c.next();
    texts.push(e.type === "history" ? e.event.text : `(${e.type})`);
  }
  return texts;
}

Deno.test("cli: serve --history, --history-bytes and --resume-grace, and their defaults", async () => {
  await withProcs(async (_dir, track) => {
    const help = track(Proc.cli("serve", ["serve", "--help"]));
    await help.closeStdin();
    assert.equal((await help.exit()).code, 0);
    for (
      const flag of [
        /--history <n> .*\(default: 50\)/s,
        /--history-bytes <bytes> .*\(default: 65536\)/s,
        /--resume-grace <seconds> .*\(default: 60\)/s,
        /--replay-events <n> .*\(default: 256\)/s,
        /never on disk/,
      ]
    ) assert.match(help.stdout.replaceAll(/\s+/g, " "), flag);

    const server = await startServe([
      "-t",
      "tcp",
      "--port",
      "0",
      "--history",
      "3",
      "--history-bytes",
      "14",
      "--resume-grace",
      "0.3",
    ], 1);
    track(server.proc);
    const clients: StreamTestClient[] = [];
    try {
      const { c: amy } = await member(server.tcp!, "amy");
      clients.push(amy);
      // Each entry counts its text and "amy": 4 bytes for "a".."d".
      for (const text of ["a", "b", "c", "d"]) amy.send({ type: "say", text });
      amy.send({ type: "ping", nonce: 1 });
      assert.equal((await amy.next()).type, "pong");
      const { c: first } = await member(server.tcp!, "first");
      clients.push(first);
      assert.deepEqual(await history(first, 3), ["b", "c", "d"], "--history");
      // 8 bytes more: only the newest two fit 14 bytes.
      amy.send({ type: "say", text: "three" });
      await first.next();
      const { c: second } = await member(server.tcp!, "second");
      clients.push(second);
      assert.deepEqual(
        await history(second, 2),
        ["d", "three"],
        "--history-bytes",
      );

      // A version 2 member gets the grace period in its welcome; 0.3 s
      // after its connection drops, the room hears it left.
      const bob = await connectStream(server.tcp!);
      clients.push(bob);
      bob.send({ type: "hello", version: 2, software: "t" });
      await bob.next();
      bob.send({ type: "join", room: "lobby", name: "bob" });
      const welcome = await bob.next();
      assert.equal(welcome.type === "welcome" && welcome.resume?.graceMs, 300);
      await bob.close();
      const started = Date.now();
      let left;
      do left = await amy.next(3000); while (left.type !== "left");
      assert.equal(left.name, "bob");
      assert.ok(Date.now() - started >= 250, "not before the grace period");
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});

/** A TCP proxy whose connections the test can cut (the listener stays). */
class Proxy {
  readonly url: string;
  readonly #listener: Deno.Listener;
  readonly #pairs: Deno.Conn[][] = [];
  readonly #accepting: Promise<void>;

  constructor(target: string) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#listener = listener;
    const port = (listener.addr as Deno.NetAddr).port;
    this.url = `tcp://127.0.0.1:${port}`;
    const to = new URL(target);
    this.#accepting = (async () => {
      for await (const inbound of listener) {
        const outbound = await Deno.connect({
          hostname: to.hostname,
          port: Number(to.port),
        });
        this.#pairs.push([inbound, outbound]);
        pipe(inbound, outbound);
        pipe(outbound, inbound);
      }
    })().catch(() => {});
  }

  /** Drop every connection through the proxy, both ways. */
  cut(): void {
    for (const pair of this.#pairs.splice(0)) {
      for (const c of pair) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    }
  }

  async close(): Promise<void> {
    this.cut();
    this.#listener.close();
    await this.#accepting;
  }
}

function pipe(from: Deno.Conn, to: Deno.Conn): void {
  from.readable.pipeTo(to.writable).catch(() => {});
}

Deno.test("cli: join comes back by itself after a dropped connection, with what it missed", async () => {
  await withProcs(async (_dir, track) => {
    const server = await startServe(["-t", "tcp", "--port", "0"], 1);
    track(server.proc);
    const proxy = new Proxy(server.tcp!);
    const { c: bob } = await member(server.tcp!, "bob");
    try {
      const amy = track(join(["--name", "amy", "--server", proxy.url]));
      await amy.expect("you are amy in lobby");
      assert.equal((await bob.next()).type, "joined");
      bob.send({ type: "say", text: "before" });
      await amy.expect("bob says: before");
      proxy.cut();
      await amy.expect("reconnecting…");
      bob.send({ type: "say", text: "while you were away" });
      await amy.expect("bob says: while you were away");
      await amy.write("I am back\n");
      // Bob saw no leave and no enter: amy's line is his next event.
      assert.deepEqual(await bob.next(), {
        type: "message",
        room: "lobby",
        from: "amy",
        text: "I am back",
      });
      assert.equal(
        amy.stdout.split("bob says: while you were away").length,
        2,
        "once",
      );
      await amy.closeStdin();
      assert.equal((await amy.exit()).code, 0);
    } finally {
      await bob.close();
      await proxy.close();
    }
  });
});
