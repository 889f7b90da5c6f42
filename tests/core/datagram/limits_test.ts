// The building blocks of the datagram transport (core/datagram/limits.ts and
// core/datagram/frames.ts), without sockets.

import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeFrames, encodeFrame } from "../../../core/codec/mod.ts";
import {
  defaultTextIdleTimeoutMs,
  InboundWindow,
  isLoopbackHost,
  RateBucket,
  resolveDatagramLimits,
  WINDOW,
} from "../../../core/datagram/limits.ts";
import {
  boundedError,
  fitFrame,
  packFrames,
  packLines,
} from "../../../core/datagram/pack.ts";
import { sameToken, tokenBytes } from "../../../core/datagram/frames.ts";
import { Outgoing } from "../../../core/peer.ts";

Deno.test("datagram: text mode over UDP is on by default on loopback only", () => {
  const loopback = [
    "127.0.0.1",
    "127.1.2.3",
    "localhost",
    "LOCALHOST",
    "chat.localhost",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "::ffff:127.0.0.1",
  ];
  const others = [
    "0.0.0.0",
    "::",
    "[::]",
    "192.168.1.2",
    "10.0.0.1",
    "128.0.0.1",
    "127.0.0.256",
    "::2",
    "1::1",
    "::ffff:10.0.0.1",
    "example.com",
    "localhost.example.com",
    "",
  ];
  for (const host of loopback) {
    assert.ok(isLoopbackHost(host), host);
    assert.equal(defaultTextIdleTimeoutMs(host), 600_000, host);
  }
  for (const host of others) {
    assert.ok(!isLoopbackHost(host), host);
    assert.equal(defaultTextIdleTimeoutMs(host), 0, host);
  }
});

Deno.test("datagram: limits have defaults and refuse values that cannot work", () => {
  const d = resolveDatagramLimits();
  assert.deepEqual(
    [d.datagramSize, d.idleTimeoutMs, d.textIdleTimeoutMs],
    [1200, 30_000, 600_000],
  );
  assert.equal(resolveDatagramLimits({ datagramSize: 512 }).datagramSize, 512);
  for (
    const bad of [
      { datagramSize: 511 },
      { datagramSize: 65508 },
      { idleTimeoutMs: 999 },
      { handshakes: 0 },
      { datagramsPerSecond: -1 },
      { datagramsPerSecond: 1.5 },
    ]
  ) {
    assert.throws(() => resolveDatagramLimits(bad), RangeError);
  }
  assert.throws(
    () => resolveDatagramLimits({ nope: 1 } as never),
    /no such limit/,
  );
});

Deno.test("datagram: a rate bucket allows bursts and refills with time", () => {
  const b = new RateBucket(10, 20, 0);
  let ok = 0;
  for (let i = 0; i < 100; i++) if (b.take(0)) ok++;
  assert.equal(ok, 20);
  assert.equal(b.full(0), false);
  assert.equal(b.take(100), true); // 100 ms at 10/s: one token
  assert.equal(b.take(100), false);
  assert.equal(b.full(10_000), true);
  const off = new RateBucket(0, 0, 0);
  for (let i = 0; i < 1000; i++) assert.equal(off.take(0), true);
});

Deno.test("datagram: the inbound window hands out each seq once, in order", () => {
  const w = new InboundWindow();
  const tag = (n: number) =>
    [encodeFrame({ type: "ping", nonce: n })].map(
      (b) => decodeFrames(b)[0]!,
    );
  assert.equal(w.receive(3, tag(3)).status, "held");
  assert.equal(w.receive(3, tag(3)).status, "duplicate");
  assert.deepEqual([w.ack, w.mask], [0, 0b100]);
  const r = w.receive(1, tag(1));
  assert.equal(r.status, "new");
  assert.equal(r.status === "new" && r.ready.length, 1);
  assert.deepEqual([w.ack, w.mask], [1, 0b10]);
  const r2 = w.receive(2, tag(2));
  assert.deepEqual(
    r2.status === "new" && r2.ready.map((b) => b[0]),
    [{ type: "ping", nonce: 2 }, { type: "ping", nonce: 3 }],
  );
  assert.deepEqual([w.ack, w.mask], [3, 0]);
  assert.equal(w.receive(1, []).status, "duplicate");
  assert.equal(w.receive(3 + WINDOW + 1, []).status, "outside");
  assert.equal(w.receive(3 + WINDOW, []).status, "held");
  assert.equal(w.mask, 2 ** 31);
});

Deno.test("datagram property: any arrival order with duplicates yields each seq once, in order", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: WINDOW }),
      fc.array(fc.nat(), { maxLength: 200 }),
      (n, noise) => {
        // Every seq 1..n arrives at least once, in a shuffled order with
        // repeats; the window must release 1..n exactly once, in order.
        const arrivals = Array.from({ length: n }, (_, i) => i + 1);
        for (const x of noise) arrivals.push((x % n) + 1);
        for (let i = arrivals.length - 1; i > 0; i--) {
          const j = (noise[i % Math.max(1, noise.length)] ?? i) % (i + 1);
          [arrivals[i], arrivals[j]] = [arrivals[j]!, arrivals[i]!];
        }
        const w = new InboundWindow();
        const out: number[] = [];
        for (const seq of arrivals) {
          const frame = decodeFrames(encodeFrame({ type: "ping", nonce: seq }));
          const r = w.receive(seq, frame);
          if (r.status === "new") {
            for (const b of r.ready) {
              out.push((b[0] as { nonce: number }).nonce);
            }
          }
        }
        assert.deepEqual(out, Array.from({ length: n }, (_, i) => i + 1));
        assert.equal(w.ack, n);
        assert.equal(w.mask, 0);
      },
    ),
  );
});

Deno.test("datagram: frames are packed into as few datagrams as fit, in order", () => {
  const frames = [300, 500, 400, 100, 1100].map((n) =>
    new Uint8Array(n).fill(n % 251)
  );
  const heads: number[] = [];
  const out = packFrames(frames, 1200, (i) => {
    heads.push(i);
    return new Uint8Array(26);
  }, new Uint8Array(14));
  assert.deepEqual(out.map((d) => d.length), [
    26 + 14 + 800,
    26 + 500,
    26 + 1100,
  ]);
  assert.deepEqual(heads, [0, 2, 4]);
  assert.ok(out.every((d) => d.length <= 1200));
  // The bytes are the frames, in order, after each head (and the lead).
  assert.deepEqual(
    out[1]!.subarray(26),
    new Uint8Array([...frames[2]!, ...frames[3]!]),
  );
  // A lead alone when the first frame does not fit beside it.
  const big = packFrames(
    [new Uint8Array(1170)],
    1200,
    () => new Uint8Array(26),
    new Uint8Array(14),
  );
  assert.deepEqual(big.map((d) => d.length), [40, 1196]);
  assert.throws(
    () => packFrames([new Uint8Array(1201)], 1200, () => new Uint8Array(0)),
    RangeError,
  );
  assert.deepEqual(
    packFrames([], 1200, () => new Uint8Array(3)).map((d) => d.length),
    [3],
  );
});

Deno.test("datagram: text lines are packed, and a long line split between characters", () => {
  const enc = new TextEncoder();
  const lines = ["hello\n", "你好你好\n", "x".repeat(5) + "\n"].map((l) =>
    enc.encode(l)
  );
  const out = packLines(lines, 8);
  assert.ok(out.every((d) => d.length <= 8));
  const text = out.map((d) =>
    new TextDecoder("utf-8", { fatal: true }).decode(d)
  );
  assert.equal(text.join(""), "hello\n你好你好\nxxxxx\n");
  assert.deepEqual(packLines([], 8), []);
});

Deno.test("datagram: a bounded error is never longer than its limit", () => {
  const message = "Cannot accept datagram: 你好 wrong token, and more words";
  for (let limit = 0; limit < 120; limit++) {
    const e = boundedError("BAD_TOKEN", message, limit, true);
    if (limit < 11) {
      assert.equal(e, undefined);
      continue;
    }
    assert.ok(e !== undefined && e.length <= limit, `limit ${limit}`);
    const [frame] = decodeFrames(e);
    assert.ok(frame && !(frame instanceof Error) && frame.type === "error");
    assert.ok(message.startsWith(frame.message));
  }
});

Deno.test("datagram: events that do not fit a datagram are cut or replaced, never fragmented", () => {
  const msg = new Outgoing({
    type: "message",
    room: "lobby",
    from: "bob",
    text: "x".repeat(2000),
  });
  const small = new Outgoing({
    type: "message",
    room: "lobby",
    from: "bob",
    text: "hi",
  });
  assert.equal(fitFrame(small, 1160, 1200), small.binary()); // shared bytes
  const replaced = fitFrame(msg, 1160, 1200);
  assert.ok(replaced.length <= 1160);
  assert.deepEqual(decodeFrames(replaced), [{
    type: "error",
    code: "DATAGRAM_TOO_LARGE",
    fatal: false,
    message:
      `Cannot deliver a message from bob: ${msg.binary().length} bytes do not fit a 1200-byte datagram`,
  }]);
  const names = Array.from({ length: 300 }, (_, i) => `member-${i}`);
  const welcome = new Outgoing({
    type: "welcome",
    room: "lobby",
    name: "bob",
    members: names,
    total: 300,
  });
  const cut = decodeFrames(fitFrame(welcome, 1160, 1200))[0];
  assert.ok(cut && !(cut instanceof Error) && cut.type === "welcome");
  assert.equal(cut.total, 300);
  assert.ok(cut.members.length > 50 && cut.members.length < 300);
  assert.deepEqual(cut.members, names.slice(0, cut.members.length));
  assert.ok(fitFrame(welcome, 1160, 1200).length <= 1160);
});

Deno.test("datagram: tokens are 16 bytes as 32 hex digits, compared in constant time", () => {
  const t = "0123456789abcdef0123456789abcdef";
  assert.equal(tokenBytes(t).length, 16);
  assert.throws(() => tokenBytes("0123"), RangeError);
  assert.throws(() => tokenBytes(t.toUpperCase()), RangeError);
  assert.equal(sameToken(t, t), true);
  assert.equal(sameToken(t, t.slice(0, 31) + "0"), false);
  assert.equal(sameToken(t, "f" + t.slice(1)), false);
  assert.equal(sameToken(t, t.slice(1)), false);
});
