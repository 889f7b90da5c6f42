// The stream adapter's connection lifecycle against real sockets: every
// connection leaves the listener's count once it is closed, whenever and
// however it closed, and listener.close() returns.

import assert from "node:assert/strict";
import { Chat } from "../../core/chat.ts";
import { listenStream } from "../../adapters/stream.ts";

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
