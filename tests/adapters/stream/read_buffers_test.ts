// The shared read buffers: small reads use disjoint views of shared slabs,
// bigger reads grow the buffer, and no connection sees another's bytes.

import assert from "node:assert/strict";
import { Chat } from "../../../core/chat.ts";
import { listenStream } from "../../../adapters/stream/mod.ts";
import { encodeFrame } from "../../../core/codec/mod.ts";
import {
  giveReadBuffer,
  MIN_READ,
  takeReadBuffer,
} from "../../../adapters/read_buffers.ts";
import { member, readUntil, write } from "./_raw.ts";

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

Deno.test("stream: small read buffers are disjoint views of shared slabs, given back and reused", () => {
  const taken = Array.from({ length: 300 }, () => takeReadBuffer());
  const seen = new Map<ArrayBufferLike, Set<number>>();
  for (const b of taken) {
    assert.equal(b.length, MIN_READ);
    const offsets = seen.get(b.buffer) ?? new Set<number>();
    assert.ok(!offsets.has(b.byteOffset), "no two views share bytes");
    offsets.add(b.byteOffset);
    seen.set(b.buffer, offsets);
  }
  assert.ok(seen.size >= 2 && seen.size < 300, "slabs are shared");
  const last = taken.pop()!;
  giveReadBuffer(last);
  assert.equal(takeReadBuffer(), last, "a given-back view is reused");
  const big = new Uint8Array(MIN_READ * 2);
  giveReadBuffer(big); // a grown buffer is not kept
  assert.notEqual(takeReadBuffer(), big);
});
