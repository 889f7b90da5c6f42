// Forward compatibility on real sockets: a tiny TCP server, speaking just
// enough of the protocol, plays a newer roomcast that sends an error code,
// a leave reason and frame types this client does not know. The client
// (adapters/client/dial.ts, and `cli.ts join` as a process) must go on working.

import assert from "node:assert/strict";
import { dial } from "../../../adapters/client/dial.ts";
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  MAGIC,
} from "../../../core/codec/mod.ts";
import { FrameError } from "../../../core/errors.ts";
import type { ReceivedEvent } from "../../../core/events.ts";
import { Proc } from "../../_process.ts";
import { concat } from "../../_bytes.ts";

const WAIT_MS = 8000;

function rawFrame(type: number, payload: readonly number[]): Uint8Array {
  const n = payload.length;
  return new Uint8Array([MAGIC, type, 0, 0, n >> 8, n & 0xff, ...payload]);
}

function str(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [b.length >> 8, b.length & 0xff, ...b];
}

const unknownError = (code: number, fatal: boolean, message: string) =>
  rawFrame(FrameType.ERROR, [
    code >> 8,
    code & 0xff,
    fatal ? 1 : 0,
    ...str(message),
  ]);
const unknownLeft = (name: string, reason: number) =>
  rawFrame(FrameType.LEFT, [...str("lobby"), ...str(name), reason]);
/** A server frame type from the future, with a payload. */
const futureFrame = (type: number) => rawFrame(type, [1, 2, 3, 4, 5, 6, 7]);

const HELLO_OK = encodeFrame({
  type: "hello_ok",
  version: 1,
  software: "roomcast/9.0",
  maxFrame: 65536,
  maxMessage: 4096,
});
const welcome = (name: string) =>
  encodeFrame({
    type: "welcome",
    room: "lobby",
    name,
    members: [name, "ann"],
    total: 2,
  });
const fromAnn = (text: string) =>
  encodeFrame({ type: "message", room: "lobby", from: "ann", text });

/** One accepted connection of the fake server, read frame by frame. */
class RawPeer {
  readonly #conn: Deno.Conn;
  readonly #decoder = new FrameDecoder();
  readonly #queue: Frame[] = [];
  readonly #buf = new Uint8Array(4096);

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** The next frame the client sent; fails after WAIT_MS. */
  async next(): Promise<Frame> {
    const timer = setTimeout(() => this.close(), WAIT_MS);
    try {
      while (this.#queue.length === 0) {
        const n = await this.#conn.read(this.#buf);
        if (n === null) throw new Error("the client closed the connection");
        for (const item of this.#decoder.push(this.#buf.subarray(0, n))) {
          if (item instanceof FrameError) throw item;
          this.#queue.push(item);
        }
      }
      return this.#queue.shift()!;
    } finally {
      clearTimeout(timer);
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  /** Read until the client closes (or WAIT_MS), so its exit is not a reset. */
  async drain(): Promise<void> {
    const timer = setTimeout(() => this.close(), WAIT_MS);
    try {
      while (await this.#conn.read(this.#buf) !== null) { /* discard */ }
    } catch {
      // closed by the timer
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** Run a fake server for one connection; returns its URL and its work. */
function fakeServer(
  script: (peer: RawPeer) => Promise<void>,
): { url: string; done: Promise<void>; listener: Deno.Listener } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const peer = new RawPeer(await listener.accept());
    try {
      await script(peer);
    } finally {
      peer.close();
      listener.close();
    }
  })();
  const url = `tcp://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  return { url, done, listener };
}

async function greet(peer: RawPeer, name: string): Promise<void> {
  assert.equal((await peer.next()).type, "hello");
  const join = await peer.next();
  assert.deepEqual(join, { type: "join", room: "lobby", name });
  await peer.write(HELLO_OK);
}

Deno.test("client compat: unknown codes, reasons and frame types from a newer server do not stop the stream client", async () => {
  const server = fakeServer(async (peer) => {
    await greet(peer, "bob");
    await peer.write(concat(
      welcome("bob"),
      futureFrame(0xa0),
      unknownError(250, false, "a refusal from the future"),
      futureFrame(0xff),
      unknownLeft("cat", 250),
      fromAnn("first"),
    ));
    assert.deepEqual(await peer.next(), { type: "say", text: "hi" });
    await peer.write(concat(
      futureFrame(0xc3),
      fromAnn("second"),
      unknownError(251, true, "going away"),
    ));
    await peer.drain();
  });
  const client = await dial(new URL(server.url));
  const events: ReceivedEvent[] = [];
  client.onEvent = (e) => {
    events.push(e);
    if (e.type === "message" && e.text === "first") {
      client.send({ type: "say", text: "hi" });
    }
    if (e.type === "error" && e.fatal) client.close();
  };
  client.send({ type: "hello", version: 1, software: "test" });
  client.send({ type: "join", room: "lobby", name: "bob" });
  await client.closed;
  await server.done;
  assert.deepEqual(events.slice(2), [
    {
      type: "error",
      code: "UNKNOWN",
      codeNumber: 250,
      fatal: false,
      message: "a refusal from the future",
    },
    {
      type: "left",
      room: "lobby",
      name: "cat",
      reason: "unknown",
      reasonNumber: 250,
    },
    { type: "message", room: "lobby", from: "ann", text: "first" },
    { type: "message", room: "lobby", from: "ann", text: "second" },
    {
      type: "error",
      code: "UNKNOWN",
      codeNumber: 251,
      fatal: true,
      message: "going away",
    },
  ]);
  assert.deepEqual(events.slice(0, 2).map((e) => e.type), [
    "hello_ok",
    "welcome",
  ]);
});

/** The newer server's session with `cli.ts join`: bob chats, then is cut. */
function chatScript(peer: RawPeer): Promise<void> {
  return (async () => {
    await greet(peer, "bob");
    await peer.write(concat(
      welcome("bob"),
      futureFrame(0xa0),
      unknownError(250, false, "a notice from the future"),
      unknownLeft("cat", 250),
      fromAnn("first"),
    ));
    assert.deepEqual(await peer.next(), { type: "say", text: "hi" });
    await peer.write(concat(
      futureFrame(0xfe),
      fromAnn("second"),
      unknownError(251, true, "going away"),
    ));
  })();
}

for (const mode of ["json", "en", "zh"] as const) {
  Deno.test(`client compat: cli.ts join (${mode}) prints a newer server's errors and goes on`, async () => {
    const server = fakeServer(chatScript);
    const bob = Proc.cli("client", [
      "join",
      "--server",
      server.url,
      "--name",
      "bob",
      ...(mode === "json" ? ["--json"] : []),
    ], { env: mode === "zh" ? { LANG: "zh_CN.UTF-8" } : {} });
    try {
      await bob.expect("first");
      await bob.write("hi\n");
      await server.done;
      assert.equal((await bob.exit()).code, 5, bob.stdout + bob.stderr);
    } finally {
      await bob.stop();
      await server.done.catch(() => {});
    }
    const lines = bob.stdout.trim().split("\n");
    if (mode === "json") {
      assert.deepEqual(lines.slice(1).map((l) => JSON.parse(l)), [
        {
          type: "error",
          code: "UNKNOWN",
          codeNumber: 250,
          fatal: false,
          message: "a notice from the future",
        },
        {
          type: "left",
          room: "lobby",
          name: "cat",
          reason: "unknown",
          reasonNumber: 250,
        },
        { type: "message", room: "lobby", from: "ann", text: "first" },
        { type: "message", room: "lobby", from: "ann", text: "second" },
        {
          type: "error",
          code: "UNKNOWN",
          codeNumber: 251,
          fatal: true,
          message: "going away",
        },
      ]);
    } else {
      const [error, left, says] = mode === "en"
        ? ["error", "cat left the room", "says:"]
        : ["错误", "cat 退出了聊天室", "说:"];
      // The chat on stdout, the errors on stderr.
      assert.deepEqual(lines.slice(1), [
        left,
        `ann ${says} first`,
        `ann ${says} second`,
      ]);
      assert.equal(
        bob.stderr,
        `${error} 250: a notice from the future\n${error} 251: going away\n`,
      );
    }
  });
}

/**
 * Run `cli.ts join` as bob against a fake server that answers the JOIN with
 * `refusal`; returns what it printed once it has exited 3.
 */
async function joinRefused(refusal: Uint8Array): Promise<string> {
  const server = fakeServer(async (peer) => {
    await greet(peer, "bob");
    await peer.write(refusal);
    await peer.drain();
  });
  const bob = Proc.cli("client", [
    "join",
    "--server",
    server.url,
    "--name",
    "bob",
  ]);
  try {
    assert.equal((await bob.exit()).code, 3, bob.stdout + bob.stderr);
    await server.done;
  } finally {
    await bob.stop();
    await server.done.catch(() => {});
  }
  assert.equal(bob.stdout, "", "a refusal is an error: on stderr");
  return bob.stderr;
}

Deno.test("client compat: cli.ts join exits 3 when a newer server refuses the JOIN with an unknown code", async () => {
  assert.equal(
    await joinRefused(unknownError(260, false, "rooms are closed today")),
    "error 260: rooms are closed today\n",
  );
});

Deno.test("client compat: cli.ts join exits 3 when the JOIN is refused for a reason other than the name", async () => {
  assert.match(
    await joinRefused(encodeFrame({
      type: "error",
      code: "UNAVAILABLE",
      message: "Cannot join: the cluster did not answer",
      fatal: false,
    })),
    /the cluster did not answer/,
  );
});
