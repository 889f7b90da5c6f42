// The stream adapter's connection lifecycle against real sockets: every
// connection leaves the listener's count once it is closed, whenever and
// however it closed, and listener.close() returns.

import assert from "node:assert/strict";
import { Chat } from "../../../core/chat.ts";
import { listenStream } from "../../../adapters/stream/listen.ts";
import {
  encodeFrame,
  FrameDecoder,
  PROTOCOL_VERSION,
} from "../../../core/codec/mod.ts";

async function readAll(conn: Deno.Conn, ms: number): Promise<number> {
  const buf = new Uint8Array(4096);
  let total = 0;
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let n: number | null;
    try {
      n = await conn.read(buf);
    } catch {
      break;
    }
    if (n === null) break;
    total += n;
  }
  return total;
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

Deno.test("stream: a connection closed while it is being connected leaves the count", async () => {
  // The server is full and its refusal does not fit the outbound limit:
  // the connection is closed from inside chat.connect, before it is made.
  const chat = new Chat({
    now: () => performance.now(),
    limits: { outboundBytes: 1, maxConnections: 1 },
  });
  const listener = await listenStream(chat, {
    transport: "tcp",
    port: 0,
    textPromptMs: 0,
    lingerMs: 200,
  });
  const port = (listener.addr as Deno.NetAddr).port;
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.ok(await until(() => listener.connections === 1, 2000));
  for (let i = 0; i < 3; i++) {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    await readAll(c, 2000); // the server closes it
    c.close();
  }
  first.close();
  assert.ok(
    await until(() => listener.connections === 0, 2000),
    `connections still counted: ${listener.connections}`,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    listener.close().then(() => true),
    new Promise<boolean>((r) => timer = setTimeout(() => r(false), 3000)),
  ]);
  clearTimeout(timer);
  assert.ok(closed, "listener.close() returned");
  await chat.shutdown();
});

/** A raw binary client: HELLO and JOIN written at once. */
async function member(
  port: number,
  name: string,
): Promise<Deno.TcpConn> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  await write(c, [
    encodeFrame({ type: "hello", version: PROTOCOL_VERSION, software: "t/1" }),
    encodeFrame({ type: "join", room: "lobby", name }),
  ]);
  return c;
}

async function write(c: Deno.Conn, frames: Uint8Array[]): Promise<void> {
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  for (let done = 0; done < all.length;) {
    done += await c.write(all.subarray(done));
  }
}

/** Read frames until `want` says stop, within `ms`. */
async function readUntil(
  c: Deno.Conn,
  want: (e: { type: string; [k: string]: unknown }) => boolean,
  ms = 5000,
): Promise<{ type: string; [k: string]: unknown }[]> {
  const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 });
  const seen: { type: string; [k: string]: unknown }[] = [];
  const buf = new Uint8Array(64 * 1024);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const n = await Promise.race([
      c.read(buf),
      new Promise<"late">((r) =>
        timer = setTimeout(() => r("late"), deadline - Date.now())
      ),
    ]);
    clearTimeout(timer);
    if (n === "late") {
      c.close(); // ends the pending read: the test fails, bounded
      break;
    }
    if (n === null) break;
    for (const f of decoder.push(buf.subarray(0, n))) {
      if (f instanceof Error) throw f;
      const e = f as unknown as { type: string; [k: string]: unknown };
      seen.push(e);
      if (want(e)) return seen;
    }
  }
  throw new Error(`Cannot find the event: saw ${seen.length}`);
}

Deno.test("stream: a slow consumer cut while its read and write are pending leaves the count at once", async () => {
  const chat = new Chat({
    now: () => performance.now(),
    limits: { outboundBytes: 64 * 1024, messagesPerSecond: 0 },
  });
  const listener = await listenStream(chat, {
    transport: "tcp",
    port: 0,
    textPromptMs: 0,
  });
  const port = (listener.addr as Deno.NetAddr).port;
  const slow = await member(port, "slow"); // never reads
  const talker = await member(port, "talker");
  await readUntil(talker, (e) => e.type === "welcome");
  const text = "x".repeat(2000);
  const says = Array.from(
    { length: 50 },
    () => encodeFrame({ type: "say", text }),
  );
  let cut = false;
  for (let round = 0; round < 100 && !cut; round++) {
    await write(talker, [...says, encodeFrame({ type: "who", room: "lobby" })]);
    const seen = await readUntil(talker, (e) => e.type === "members");
    cut = seen.some((e) =>
      e.type === "left" && e.name === "slow" && e.reason === "slow_consumer"
    );
  }
  assert.ok(cut, "the slow member was cut off");
  // Its socket is still open on the client's side, its buffers full.
  assert.ok(
    await until(() => listener.connections === 1, 2000),
    `connections: ${listener.connections}`,
  );
  slow.close();
  talker.close();
  await listener.close();
  await chat.shutdown();
});

Deno.test("stream: listener.close() cuts members that stopped reading after the linger", async () => {
  const chat = new Chat({
    now: () => performance.now(),
    limits: { outboundBytes: 16 * 1024 * 1024, messagesPerSecond: 0 },
  });
  const listener = await listenStream(chat, {
    transport: "tcp",
    port: 0,
    textPromptMs: 0,
    lingerMs: 300,
  });
  const port = (listener.addr as Deno.NetAddr).port;
  const stuck = await member(port, "stuck"); // never reads
  const talker = await member(port, "talker");
  await readUntil(talker, (e) => e.type === "welcome");
  // About 10 MB queued for the stuck member: more than the kernel holds.
  const says = Array.from(
    { length: 5000 },
    (_, i) => encodeFrame({ type: "say", text: `${i} `.padEnd(2000, "y") }),
  );
  await write(talker, [...says, encodeFrame({ type: "who", room: "lobby" })]);
  await readUntil(talker, (e) => e.type === "members");
  assert.equal(listener.connections, 2, "the stuck member is not cut yet");
  await chat.shutdown(); // goodbyes queued behind the backlog
  const start = Date.now();
  await listener.close();
  const took = Date.now() - start;
  assert.ok(took < 3000, `listener.close() took ${took} ms`);
  assert.equal(listener.connections, 0);
  stuck.close();
  talker.close();
});

Deno.test("stream: reads that grow and shrink the buffer keep every connection's bytes apart", async () => {
  const chat = new Chat({
    now: () => performance.now(),
    limits: { messagesPerSecond: 0 },
  });
  const listener = await listenStream(chat, {
    transport: "tcp",
    port: 0,
    textPromptMs: 0,
  });
  const port = (listener.addr as Deno.NetAddr).port;
  const members: Deno.TcpConn[] = [];
  for (let i = 0; i < 6; i++) members.push(await member(port, `m${i}`));
  const listenerConn = await member(port, "reader");
  await readUntil(listenerConn, (e) => e.type === "welcome");
  // Each member alternates a big write (the read buffer grows) and a small
  // one (back to a shared slab view), all at once, frames split anywhere.
  const sent: string[] = [];
  const writes: Promise<void>[] = [];
  for (let i = 0; i < members.length; i++) {
    const frames: Uint8Array[] = [];
    for (let k = 0; k < 10; k++) {
      const text = `${i}:${k}:` + String.fromCharCode(97 + i).repeat(
        k % 2 === 0 ? 3000 : 5,
      );
      sent.push(text);
      frames.push(encodeFrame({ type: "say", text }));
    }
    writes.push((async () => {
      for (const f of frames) {
        // Split each frame in two writes, a byte apart, to cross reads.
        await write(members[i]!, [f.subarray(0, 3)]);
        await write(members[i]!, [f.subarray(3)]);
      }
    })());
  }
  await Promise.all(writes);
  const want = new Set(sent);
  const seen = await readUntil(listenerConn, (e) => {
    if (e.type === "message") want.delete(e.text as string);
    return want.size === 0;
  }, 10000);
  assert.equal(want.size, 0);
  assert.ok(!seen.some((e) => e.type === "error"), "no framing error");
  for (const m of members) m.close();
  listenerConn.close();
  await listener.close();
  await chat.shutdown();
});

const RESET_WORKER = `
import net from "node:net";
self.onmessage = async ({ data: { port, flag } }) => {
  self.postMessage("ready");
  for (let i = 0; i < 8; i++) {
    await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.resetAndDestroy();
        resolve();
      });
    });
  }
  await new Promise((r) => setTimeout(r, 50));
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
`;

Deno.test("stream: connections reset before they are accepted do not slow accepting", async () => {
  const records: string[] = [];
  const chat = new Chat({ now: () => performance.now() });
  const listener = await listenStream(chat, {
    transport: "tcp",
    port: 0,
    textPromptMs: 0,
    log: (r) => records.push(r.event),
  });
  const port = (listener.addr as Deno.NetAddr).port;
  // Eight connections end in RST (SO_LINGER 0) while they wait in the
  // accept queue (this thread is blocked, so none is accepted before):
  // Deno's accept() then fails with NotConnected for each.
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    URL.createObjectURL(
      new Blob([RESET_WORKER], { type: "application/javascript" }),
    ),
    { type: "module" },
  );
  const ready = new Promise((r) => worker.onmessage = r);
  worker.postMessage({ port, flag });
  await ready;
  Atomics.wait(flag, 0, 0, 5000);
  assert.equal(Atomics.load(flag, 0), 1, "the resets were made");
  worker.terminate();
  const start = Date.now();
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  await write(c, [
    encodeFrame({ type: "hello", version: PROTOCOL_VERSION, software: "t/1" }),
  ]);
  await readUntil(c, (e) => e.type === "hello_ok");
  const took = Date.now() - start;
  assert.ok(took < 1000, `accepted after ${took} ms`);
  assert.ok(!records.includes("accept_error"), "a reset is not logged");
  c.close();
  await listener.close();
  await chat.shutdown();
});
