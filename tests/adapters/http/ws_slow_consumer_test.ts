// WebSockets whose peer stops reading at the TCP level (the raw client
// stops reading its socket), against real servers, asserted by counting,
// not by timing:
// - one such member in a busy room is cut as a slow consumer while the
//   others, over every subprotocol and TCP, get every message in order;
// - 200 of them are all cut, the server's live memory (after a full
//   collection, read through the V8 inspector) comes back to within 20% of
//   where it was before the flood, and the HTTP front closes each cut
//   socket at once, so its place is free again (issue 17).

import assert from "node:assert/strict";
import type { HttpListener } from "../../../adapters/http/app.ts";
import { serve } from "../../../adapters/server/serve.ts";
import { encodeFrame } from "../../../core/codec/mod.ts";
import type { ChatEvent } from "../../../core/events.ts";
import { serveTaskV8Flags } from "../../../bench/roomcast.ts";
import { CLI, PERMISSIONS, Proc } from "../../_process.ts";
import { concat } from "../../_bytes.ts";
import {
  INSPECTOR_LINE,
  type LiveMemory,
  liveMemory,
} from "../../_inspector.ts";
import { connectStream, type TestClient } from "../_client.ts";
import { connectWs, type WsTestClient } from "../_ws_client.ts";

const PROTOCOLS = ["roomcast.v1", "roomcast.batch.v1", "roomcast.binary.v1"];
const ADMIN = "ws-slow-admin-token-0123456789";

/** Join a room as `name` and take the welcome. */
async function join(c: TestClient, name: string): Promise<void> {
  c.send({ type: "join", room: "lobby", name });
  for (;;) {
    const e = await c.next();
    if (e.type === "welcome") return;
    assert.equal(e.type, "joined", JSON.stringify(e));
  }
}

/**
 * Take events until messages `first` to `end - 1` came, in order; keep the
 * other events in `others`.
 */
async function messages(
  c: TestClient,
  first: number,
  end: number,
  others: ChatEvent[],
): Promise<void> {
  for (let got = first; got < end;) {
    const e = await c.next();
    if (e.type === "message") {
      assert.equal(e.from, "writer");
      assert.equal(e.text.slice(0, 8), String(got).padStart(8, "0"));
      got++;
    } else others.push(e);
  }
}

Deno.test("ws: a member that never reads is cut; every other member, over every subprotocol, gets every message", async () => {
  const server = await serve({
    transports: ["tcp", "http"],
    port: 0,
    limits: { outboundBytes: 256 * 1024, messagesPerSecond: 0 },
    http: { port: 0, adminToken: ADMIN },
  });
  const tcpUrl = server.listeners.find((l) => l.transport === "tcp")!.url;
  const httpUrl =
    (server.listeners.find((l) => l.transport === "http") as HttpListener).url;
  const clients: TestClient[] = [];
  try {
    const writer = await connectStream(tcpUrl);
    clients.push(writer);
    writer.send({ type: "hello", version: 1, software: "test/1" });
    assert.equal((await writer.next()).type, "hello_ok");
    await join(writer, "writer");
    const readers: [string, TestClient][] = [[
      "tcp",
      await connectStream(tcpUrl),
    ]];
    for (const protocol of PROTOCOLS) {
      readers.push([
        protocol,
        await connectWs(httpUrl, { protocols: [protocol] }),
      ]);
    }
    for (const [name, c] of readers) {
      clients.push(c);
      if (name === "tcp") {
        c.send({ type: "hello", version: 1, software: "test/1" });
        assert.equal((await c.next()).type, "hello_ok");
      }
      await join(c, name);
    }
    const sloth = await connectWs(httpUrl, {
      protocols: ["roomcast.binary.v1"],
    });
    clients.push(sloth);
    await join(sloth, "sloth");
    sloth.pause(); // stops reading its socket: TCP backpressure only
    // Batches of 8 messages of 4,000 bytes until the sloth is cut, at most
    // 4,000 messages (16 MB): far beyond what the kernel and 256 KiB hold.
    // Each batch reaches every reader before the next is sent.
    let sent = 0;
    const seen = new Map(readers.map(([name]) => [name, [] as ChatEvent[]]));
    const cut = (name: string) =>
      seen.get(name)!.some((e) =>
        e.type === "left" && e.name === "sloth" && e.reason === "slow_consumer"
      );
    while (!cut("tcp")) {
      assert.ok(sent < 4000, `sloth still connected after ${sent} messages`);
      writer.sendRaw(concat(
        ...Array.from({ length: 8 }, (_, i) =>
          encodeFrame({
            type: "say",
            text: String(sent + i).padStart(8, "0") + "x".repeat(3992),
          })),
      ));
      for (const [name, c] of readers) {
        await messages(c, sent, sent + 8, seen.get(name)!);
      }
      sent += 8;
    }
    // Every other member got every message, in order, and the cut before
    // one more message.
    writer.send({ type: "say", text: String(sent).padStart(8, "0") });
    for (const [name, c] of readers) {
      await messages(c, sent, sent + 1, seen.get(name)!);
      assert.ok(cut(name), `${name} did not see the sloth cut`);
    }
    sent++;
    // Batched subprotocols put several events in a message.
    const batch = readers.find(([n]) => n === "roomcast.batch.v1")![1];
    const binary = readers.find(([n]) => n === "roomcast.binary.v1")![1];
    const json = readers.find(([n]) => n === "roomcast.v1")![1];
    for (const c of [batch, binary, json] as WsTestClient[]) {
      assert.ok(c.received.events >= sent, JSON.stringify(c.received));
    }
    assert.equal(
      (json as WsTestClient).received.text,
      (json as WsTestClient).received.events,
    );
    assert.ok(
      (binary as WsTestClient).received.binary <
        (binary as WsTestClient).received.events,
      `binary: ${JSON.stringify((binary as WsTestClient).received)}`,
    );
  } finally {
    for (const c of clients) await c.close();
    await server.shutdown();
  }
});

/** Resident memory of a process, in KiB. */
async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(status.match(/^VmRSS:\s+(\d+)/m)![1]);
}

Deno.test("ws: 200 members that never read are all cut; the server gives their memory and their places back at once", async () => {
  const N = 200;
  // As `deno task serve` runs it: with its V8 flags (young generation).
  const proc = Proc.deno([
    ...PERMISSIONS.serve,
    ...await serveTaskV8Flags(new URL("../../../", import.meta.url).pathname),
    "--inspect=127.0.0.1:0",
    CLI,
    "serve",
    "--transport",
    "tcp,http",
    "--port",
    "0",
    "--http-port",
    "0",
    "--rate",
    "0",
    "--max-connections",
    String(N + 1),
  ], { env: { CHAT_ADMIN_TOKEN: ADMIN }, stdin: false });
  const clients: TestClient[] = [];
  try {
    const inspector = (await proc.expect(INSPECTOR_LINE, "stderr"))[1]!;
    const tcp =
      (await proc.expect(/listen transport=tcp url=(\S+)/, "stderr"))[1]!;
    const http =
      (await proc.expect(/listen transport=http url=(\S+)/, "stderr"))[1]!;
    const writer = await connectStream(tcp);
    clients.push(writer);
    writer.send({ type: "hello", version: 1, software: "test/1" });
    assert.equal((await writer.next()).type, "hello_ok");
    await join(writer, "writer");
    const sloths: WsTestClient[] = [];
    for (let i = 0; i < N; i++) {
      const c = await connectWs(http, { protocols: ["roomcast.binary.v1"] });
      clients.push(c);
      sloths.push(c);
      await join(c, `sloth${i}`);
      c.pause();
    }
    for (let i = 0; i < N; i++) {
      assert.equal((await writer.next()).type, "joined");
    }
    const before = await liveMemory(inspector);
    const rssBefore = await rssKiB(proc.pid);
    // Messages of 4,000 bytes until every sloth is cut, in batches of 16,
    // each answered by a pong so the writer never runs far ahead.
    let sent = 0, cut = 0, nonce = 0, peak = rssBefore;
    const limit = 20_000;
    while (cut < N) {
      assert.ok(
        sent < limit,
        `${N - cut} sloths not cut after ${sent} messages`,
      );
      writer.sendRaw(concat(
        ...Array.from(
          { length: 16 },
          () => encodeFrame({ type: "say", text: "z".repeat(4000) }),
        ),
        encodeFrame({ type: "ping", nonce: ++nonce }),
      ));
      sent += 16;
      for (;;) {
        const e = await writer.next();
        if (e.type === "pong") break;
        assert.deepEqual(
          [e.type, e.type === "left" ? e.reason : ""],
          ["left", "slow_consumer"],
        );
        cut++;
      }
      if (sent % 640 === 0) peak = Math.max(peak, await rssKiB(proc.pid));
    }
    // Every one is cut, and the HTTP front closed its connection at once
    // (its peer never read, but nothing waits for it): the places are free
    // already, though the server allows N + 1 connections only.
    const extra = await connectWs(http, { protocols: ["roomcast.binary.v1"] });
    clients.push(extra);
    extra.send({ type: "join", room: "lobby", name: "extra" });
    assert.equal((await extra.next()).type, "welcome");
    // Memory comes back: what was queued for them is dropped. Counted
    // after a full collection (resident memory also holds garbage not yet
    // collected and pages V8 keeps). At its peak the server held no more
    // than each sloth's whole queue (1 MiB by default), all at once.
    const after = await liveMemory(inspector);
    const held = (m: LiveMemory) => m.heapUsed + m.external;
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    assert.ok(
      held(after) <= held(before) * 1.2,
      `live memory ${mib(held(before))} before, ${mib(held(after))} after ` +
        `${sent} messages (resident: ${rssBefore} KiB before, peak ${peak} KiB)`,
    );
    assert.ok(
      (peak - rssBefore) * 1024 < N * 2 ** 20,
      `resident ${rssBefore} KiB before, peak ${peak} KiB, ${sent} messages`,
    );
  } finally {
    for (const c of clients) await c.close();
    await proc.stop();
  }
});
