// A stream connection against real sockets: every connection leaves its
// listener's count once it is closed, whenever and however it closed.

import assert from "node:assert/strict";
import { Chat } from "../../../core/chat.ts";
import { listenStream } from "../../../adapters/stream/mod.ts";
import { encodeFrame } from "../../../core/codec/mod.ts";
import { member, readAll, readUntil, until, write } from "./_raw.ts";
import { SocketWrites } from "../../../adapters/stream/socket_writes.ts";
import { Pool } from "../../../adapters/stream/pool.ts";
import type { LogRecord } from "../../../core/chat.ts";

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

Deno.test("stream: TCP members are written through libc unless libcWrites is false, and their descriptors are let go when they close", async () => {
  const writes = SocketWrites.open();
  if (!writes) return; // not Linux: Deno's writes only
  for (const libcWrites of [true, false]) {
    const chat = new Chat({ now: () => performance.now() });
    const listener = await listenStream(chat, {
      transport: "tcp",
      port: 0,
      textPromptMs: 0,
      libcWrites,
    });
    const port = (listener.addr as Deno.NetAddr).port;
    const before: number = writes.held;
    const ann = await member(port, "ann");
    const bob = await member(port, "bob");
    await readUntil(ann, (e) => e.type === "joined" && e.name === "bob");
    assert.equal(writes.held - before, libcWrites ? 2 : 0);
    await write(bob, [encodeFrame({ type: "say", text: "hi" })]);
    const seen = await readUntil(ann, (e) => e.type === "message");
    assert.ok(seen.some((e) => e.type === "message" && e.text === "hi"));
    ann.close();
    bob.close();
    assert.ok(
      await until(() => listener.connections === 0, 2000),
      `connections: ${listener.connections}`,
    );
    assert.equal(writes.held, before);
    await listener.close();
    await chat.shutdown();
  }
});

Deno.test("stream: a TCP connection whose descriptor is not found is logged, at totals 1, 2, 4, 8 (it writes through Deno)", async () => {
  const chat = new Chat({ now: () => performance.now() });
  const records: LogRecord[] = [];
  const pool = new Pool(chat, "tcp", 0, 0, undefined, true, (r) => {
    records.push(r);
  });
  for (let i = 0; i < 10; i++) pool.unfound();
  assert.equal(pool.unfoundCount, 10);
  assert.deepEqual(
    records.map((r) => [r.event, r.total]),
    [1, 2, 4, 8].map((n) => ["libc_write_fallback", n]),
  );
  await chat.shutdown();
});
