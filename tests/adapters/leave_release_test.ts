// A member that leaves while its name's release is still being written to
// the shared store (isolates, Redis) is told `left` once it is written, on
// every transport: over TCP even when it half-closes at once, over UDP with
// the ACK of its LEAVE in the same final datagram, and over the HTTP hub
// even when the server stops meanwhile. (Rejoining at once on another
// isolate or node: tests/adapters/isolates/.)

import assert from "node:assert/strict";
import { dialUdp } from "../../adapters/client/udp.ts";
import type { EventSink } from "../../adapters/http/event_sink.ts";
import { HttpHub } from "../../adapters/http/hub.ts";
import { listenStream } from "../../adapters/stream/listen.ts";
import { listenUdp } from "../../adapters/udp/listen.ts";
import { Chat } from "../../core/chat.ts";
import { encodeFrame, FrameDecoder } from "../../core/codec/mod.ts";
import type { ChatEvent } from "../../core/events.ts";
import type { Outgoing } from "../../core/peer.ts";
import { HeldReleaseBackplane } from "../_held_release.ts";
import { member, write } from "./stream/_raw.ts";

/** Releases take this long to be written. */
const RELEASE_MS = 50;

const chat = () =>
  new Chat({
    now: () => performance.now(),
    backplane: new HeldReleaseBackplane(RELEASE_MS),
  });

/** Every frame until the server ends the stream (bounded). */
async function framesToEnd(c: Deno.Conn, ms = 3000): Promise<ChatEvent[]> {
  const decoder = new FrameDecoder();
  const out: ChatEvent[] = [];
  const buf = new Uint8Array(4096);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const n = await c.read(buf).catch(() => null);
    if (n === null) return out;
    for (const f of decoder.push(buf.subarray(0, n))) {
      out.push(f as unknown as ChatEvent);
    }
  }
  throw new Error(`the stream did not end in ${ms} ms: ${JSON.stringify(out)}`);
}

Deno.test("leave, release held: over TCP a client that half-closes after LEAVE gets its left, then the end", async () => {
  const c0 = chat();
  const l = await listenStream(c0, { transport: "tcp", port: 0 });
  try {
    const c = await member((l.addr as Deno.NetAddr).port, "bob");
    try {
      await write(c, [encodeFrame({ type: "leave" })]);
      await c.closeWrite();
      const frames = await framesToEnd(c);
      assert.deepEqual(frames.map((f) => f.type), [
        "hello_ok",
        "welcome",
        "left",
      ]);
    } finally {
      c.close();
    }
  } finally {
    await c0.shutdown();
    await l.close();
  }
});

Deno.test("leave, release held: over UDP the client sees its left, and can take the name again at once", async () => {
  const c0 = chat();
  const udp = await listenUdp(c0, { port: 0 });
  try {
    const url = new URL(`udp://127.0.0.1:${(udp.addr as Deno.NetAddr).port}`);
    for (let round = 0; round < 3; round++) {
      const c = await dialUdp(url);
      const got: { type: string }[] = [];
      c.onEvent = (e) => got.push(e);
      c.send({ type: "join", room: "lobby", name: "bob" });
      for (let i = 0; i < 400 && got.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      assert.equal(got[0]?.type, "welcome", JSON.stringify(got));
      c.send({ type: "leave" });
      await c.closed;
      assert.deepEqual(got.slice(1).map((e) => e.type), ["left"]);
    }
  } finally {
    await c0.shutdown();
    await udp.close();
  }
});

/** A WebSocket's place in the hub, recording what it is sent. */
class Sink implements EventSink {
  readonly kind = "ws" as const;
  readonly buffered = 0;
  readonly got: string[] = [];
  readonly closes: boolean[] = [];
  size(): number {
    return 10;
  }
  write(batch: readonly Outgoing[], count: number): void {
    for (let i = 0; i < count; i++) this.got.push(batch[i]!.event.type);
  }
  close(flush: boolean): void {
    this.closes.push(flush);
  }
}

Deno.test("leave, release held: the server stopping meanwhile still tells the member, and closes it after a flush", async () => {
  const c0 = chat();
  const hub = new HttpHub(c0);
  const s = hub.createSocketSession();
  const sink = new Sink();
  s.attach(sink);
  s.command({ type: "hello", version: 2, software: "test/1" });
  s.command({ type: "join", room: "lobby", name: "bob" });
  await new Promise((r) => setTimeout(r, 10));
  s.command({ type: "leave" });
  // As adapters/http/standalone.ts stops: the chat, then the hub.
  await c0.shutdown();
  hub.close();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sink.got, ["hello_ok", "welcome", "left"]);
  assert.deepEqual(sink.closes, [true]);
});
