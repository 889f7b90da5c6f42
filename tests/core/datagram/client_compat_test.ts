// Forward compatibility over UDP: a newer server's frame type inside a
// sequenced datagram is skipped but still counted, so it is not taken for a
// loss; its unknown error codes and leave reasons are carried.
import assert from "node:assert/strict";
import { encodeFrame, FrameType, MAGIC } from "../../../core/codec/mod.ts";
import { DatagramClient } from "../../../core/datagram/client.ts";
import type { ReceivedEvent } from "../../../core/events.ts";

const TOKEN = "0000002a8f3c11d07e2b9a6c5d4e3f21";

function datagram(seq: number, ...frames: Uint8Array[]): Uint8Array {
  const parts = [encodeFrame({ type: "seq", token: TOKEN, seq }), ...frames];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function rawFrame(type: number, payload: readonly number[]): Uint8Array {
  const n = payload.length;
  return new Uint8Array([MAGIC, type, 0, 0, n >> 8, n & 0xff, ...payload]);
}

const said = (text: string) =>
  encodeFrame({ type: "message", room: "lobby", from: "ann", text });

Deno.test("datagram client compat: an unknown frame type takes its event number and is skipped", () => {
  const client = new DatagramClient({ now: () => 0, transmit: () => {} });
  const events: ReceivedEvent[] = [];
  let lost = 0;
  client.onEvent = (e) => events.push(e);
  client.onLost = (n) => lost += n;
  client.start();
  client.receive(datagram(
    1,
    encodeFrame({
      type: "token",
      token: TOKEN,
      idleTimeoutMs: 30000,
      pingIntervalMs: 10000,
      maxDatagram: 1200,
    }),
    encodeFrame({
      type: "hello_ok",
      version: 1,
      software: "roomcast/9.0",
      maxFrame: 65536,
      maxMessage: 4096,
    }),
  ));
  assert.equal(client.state, "open");
  // 2: a frame type from the future, 3: a message, 4: an unknown error code.
  client.receive(datagram(
    2,
    rawFrame(0xa0, [1, 2, 3]),
    said("first"),
    rawFrame(FrameType.ERROR, [0, 250, 0, 0, 1, 0x78]),
  ));
  client.receive(datagram(5, said("second")));
  assert.equal(lost, 0);
  assert.deepEqual(events, [
    { type: "message", room: "lobby", from: "ann", text: "first" },
    {
      type: "error",
      code: "UNKNOWN",
      codeNumber: 250,
      fatal: false,
      message: "x",
    },
    { type: "message", room: "lobby", from: "ann", text: "second" },
  ]);
  // A real gap is still counted.
  client.receive(datagram(7, said("third")));
  assert.equal(lost, 1);
  client.close();
});
