// The stream listener against real sockets: accepting goes on past
// connections reset before they are accepted, and listener.close() returns
// after the linger even when members stopped reading.

import assert from "node:assert/strict";
import { Chat } from "../../../core/chat.ts";
import { listenStream } from "../../../adapters/stream/mod.ts";
import { encodeFrame, PROTOCOL_VERSION } from "../../../core/codec/mod.ts";
import { member, readUntil, write } from "./_raw.ts";

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
