// The HTTP front in its Worker (adapters/http/front_thread.ts), against a
// real Deno.serve behind it: clients' addresses reach the server, the gate
// counts in both threads, and a Worker that dies is replaced on the same
// port with its descriptors given back.

import assert from "node:assert/strict";
import type { LogRecord } from "../../../core/chat.ts";
import { ConnectionGate } from "../../../adapters/connection_gate.ts";
import { FrontThread } from "../../../adapters/http/front_thread.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One request over a connection of its own; the answer's text, or null if cut. */
async function get(port: number): Promise<string | null> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return null;
  }
  try {
    await conn.write(
      enc.encode("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
    return text;
  } catch {
    return null;
  } finally {
    conn.close();
  }
}

async function until(what: string, ok: () => boolean | Promise<boolean>) {
  const end = performance.now() + 5000;
  while (!(await ok())) {
    if (performance.now() > end) throw new Error(`not within 5 s: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("http front thread: clients reach the server with their own address; a Worker that dies is replaced on its port and gives its descriptors back", async () => {
  const gate = new ConnectionGate({ capacity: 30 });
  const logs: LogRecord[] = [];
  const started: { front?: FrontThread } = {};
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (_req, info) => {
      const remote = await started.front!.remoteSoon(info.remoteAddr.port);
      return new Response(`from ${remote}`);
    },
  );
  const front = await FrontThread.start({
    hostname: "127.0.0.1",
    port: 0,
    reusePort: false,
    counters: gate.shared!,
    upstream: { hostname: "127.0.0.1", port: server.addr.port },
    unreachable: () => {},
    requestTimeoutMs: 5000,
    keepAliveMs: 5000,
    heartbeatMs: 1000,
    log: (r) => logs.push(r),
  });
  assert.ok(front, "the front's Worker runs");
  started.front = front;
  const port = front.addr.port;
  try {
    assert.match((await get(port))!, /200 OK[\s\S]*from 127\.0\.0\.1:\d+$/);

    // A connection held open through the front counts 3 descriptors in
    // the gate of this thread, counted by the Worker.
    const held = await Deno.connect({ hostname: "127.0.0.1", port });
    await until("the held connection counted", () => gate.inUse === 3);

    front.crash();
    assert.equal(gate.inUse, 0, "the dead Worker's descriptors given back");
    const buf = new Uint8Array(16);
    const cut = await held.read(buf).catch(() => null);
    assert.equal(cut, null, "the held connection went with its Worker");
    held.close();
    assert.ok(
      logs.some((r) =>
        r.event === "http_error" && String(r.error).includes("front:")
      ),
    );

    // Another Worker listens on the same port.
    await until("a new Worker answers", async () => {
      const text = await get(port);
      return text !== null && /200 OK/.test(text);
    });
    await until("nothing held", () => gate.inUse === 0);

    // And again: each death is replaced.
    front.crash();
    await until("a third Worker answers", async () => {
      const text = await get(port);
      return text !== null && /200 OK/.test(text);
    });
    assert.equal(
      logs.filter((r) => r.event === "http_error").length,
      2,
      JSON.stringify(logs),
    );
  } finally {
    await front.close(0);
    await server.shutdown();
  }
  assert.equal(gate.inUse, 0);
});
