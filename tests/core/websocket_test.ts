// WebSocket framing (core/websocket.ts): what a client may send, split
// anywhere, decodes to its messages; every way to break RFC 6455's framing
// fails with its close code and stops the decoder; server headers are
// those the RFC gives.

import assert from "node:assert/strict";
import fc from "fast-check";
import { concat } from "../_bytes.ts";
import { validCloseCode, WsDecoder } from "../../core/websocket.ts";
import {
  closePayload,
  writeWsHeader,
  wsHeaderLength,
} from "../../core/websocket_encode.ts";

type Got =
  | { message: string | number[] }
  | { ping: number[] }
  | { close: [number | undefined, string] }
  | { fail: [number, string] };

function decoder(max = 1 << 20): { d: WsDecoder; got: Got[] } {
  const got: Got[] = [];
  const d = new WsDecoder({
    message: (m) => got.push({ message: typeof m === "string" ? m : [...m] }),
    ping: (p) => got.push({ ping: [...p] }),
    close: (code, reason) => got.push({ close: [code, reason] }),
    fail: (code, reason) => got.push({ fail: [code, reason] }),
  }, { maxMessageBytes: max });
  return { d, got };
}

/** A client frame: masked with `mask`, header as given. */
function frame(
  opcode: number,
  payload: Uint8Array,
  o: { fin?: boolean; mask?: number[] | null; rsv?: number; len64?: boolean } =
    {},
): Uint8Array {
  const fin = o.fin ?? true;
  const mask = o.mask === undefined ? [1, 2, 3, 4] : o.mask;
  const len = payload.length;
  const head: number[] = [(fin ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode];
  const m = mask === null ? 0 : 0x80;
  if (len < 126 && !o.len64) head.push(m | len);
  else if (len < 65536 && !o.len64) head.push(m | 126, len >>> 8, len & 255);
  else {
    const bytes = [
      len >>> 24,
      (len >>> 16) & 255,
      (len >>> 8) & 255,
      len & 255,
    ];
    head.push(m | 127, 0, 0, 0, 0, ...bytes);
  }
  if (mask !== null) head.push(...mask);
  const out = new Uint8Array(head.length + len);
  out.set(head);
  for (let i = 0; i < len; i++) {
    out[head.length + i] = payload[i]! ^ (mask === null ? 0 : mask[i & 3]!);
  }
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);
const join = concat;

Deno.test("websocket: text, binary, and a message in fragments with a ping between", () => {
  const { d, got } = decoder();
  d.feed(join(
    frame(1, text("héllo")),
    frame(2, new Uint8Array([0, 255, 7])),
    frame(1, text("ab"), { fin: false }),
    frame(9, new Uint8Array([42])),
    frame(0, text("c"), { fin: false }),
    frame(0, text("d")),
  ));
  assert.deepEqual(got, [
    { message: "héllo" },
    { message: [0, 255, 7] },
    { ping: [42] },
    { message: "abcd" },
  ]);
  assert.equal(d.done, false);
});

Deno.test("websocket: 16-bit and 64-bit lengths, fed one byte at a time", () => {
  const { d, got } = decoder();
  const big = new Uint8Array(70_000).map((_, i) => i & 255);
  const mid = new Uint8Array(300).fill(9);
  const bytes = join(
    frame(2, mid),
    frame(2, big),
    frame(2, mid, { len64: true }),
  );
  for (let i = 0; i < bytes.length; i++) d.feed(bytes.subarray(i, i + 1));
  assert.equal(got.length, 3);
  assert.deepEqual(got[0], { message: [...mid] });
  assert.deepEqual(got[1], { message: [...big] });
  assert.deepEqual(got[2], { message: [...mid] });
});

Deno.test("websocket: any split of any client stream decodes to its messages", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          binary: fc.boolean(),
          data: fc.uint8Array({ maxLength: 300 }),
          str: fc.string({ maxLength: 100, unit: "grapheme" }),
          parts: fc.integer({ min: 1, max: 4 }),
          mask: fc.array(fc.integer({ min: 0, max: 255 }), {
            minLength: 4,
            maxLength: 4,
          }),
        }),
        { maxLength: 12 },
      ),
      fc.array(fc.integer({ min: 1, max: 97 }), {
        minLength: 1,
        maxLength: 20,
      }),
      (messages, cuts) => {
        const frames: Uint8Array[] = [];
        const want: Got[] = [];
        for (const m of messages) {
          const payload = m.binary ? m.data : text(m.str);
          want.push({ message: m.binary ? [...m.data] : m.str });
          const step = Math.ceil(payload.length / m.parts) || 1;
          for (
            let at = 0, first = true;
            first || at < payload.length;
            first = false
          ) {
            const piece = payload.subarray(at, at + step);
            at += step;
            frames.push(frame(first ? (m.binary ? 2 : 1) : 0, piece, {
              fin: at >= payload.length,
              mask: m.mask,
            }));
          }
        }
        const all = join(...frames);
        const { d, got } = decoder();
        let at = 0, i = 0;
        while (at < all.length) {
          const n = cuts[i++ % cuts.length]!;
          d.feed(all.subarray(at, at + n));
          at += n;
        }
        assert.deepEqual(got, want);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("websocket: every framing error fails with its code and stops decoding", () => {
  const cases: [string, Uint8Array, number][] = [
    ["unmasked", frame(1, text("x"), { mask: null }), 1002],
    ["reserved bits", frame(1, text("x"), { rsv: 4 }), 1002],
    ["unknown data opcode", frame(3, text("x")), 1002],
    ["unknown control opcode", frame(0xb, text("x")), 1002],
    ["fragmented control", frame(9, text("x"), { fin: false }), 1002],
    ["control over 125", frame(9, new Uint8Array(126)), 1002],
    ["continuation first", frame(0, text("x")), 1002],
    [
      "new message inside one",
      join(frame(1, text("a"), { fin: false }), frame(1, text("b"))),
      1002,
    ],
    ["invalid UTF-8", frame(1, new Uint8Array([0xc3, 0x28])), 1007],
    ["too big", frame(2, new Uint8Array(101)), 1009],
    [
      "too big in fragments",
      join(
        frame(2, new Uint8Array(60), { fin: false }),
        frame(0, new Uint8Array(60)),
      ),
      1009,
    ],
    ["close of one byte", frame(8, new Uint8Array([3])), 1002],
    ["close code not allowed", frame(8, new Uint8Array([3, 237])), 1002],
    ["close reason not UTF-8", frame(8, new Uint8Array([3, 232, 0xff])), 1007],
  ];
  for (const [what, bytes, code] of cases) {
    const { d, got } = decoder(100);
    d.feed(join(bytes, frame(1, text("after"))));
    assert.equal(got.length, 1, what);
    const only = got[0]!;
    assert.ok("fail" in only, what);
    assert.equal(only.fail[0], code, what);
    assert.equal(d.done, true, what);
    d.feed(frame(1, text("more")));
    assert.equal(got.length, 1, what);
  }
});

Deno.test("websocket: a 64-bit length beyond 2^53 fails as too big before its payload", () => {
  const { d, got } = decoder();
  d.feed(new Uint8Array([0x82, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 1]));
  assert.deepEqual(got.map((g) => "fail" in g && g.fail[0]), [1009]);
});

Deno.test("websocket: the client's close, with and without a code, ends decoding", () => {
  const a = decoder();
  a.d.feed(join(frame(8, closePayload(1000, "bye")), frame(1, text("late"))));
  assert.deepEqual(a.got, [{ close: [1000, "bye"] }]);
  assert.equal(a.d.done, true);
  const b = decoder();
  b.d.feed(frame(8, new Uint8Array(0)));
  assert.deepEqual(b.got, [{ close: [undefined, ""] }]);
});

Deno.test("websocket: server headers for each length class, and close payloads", () => {
  for (
    const [len, bytes] of [
      [0, [0x81, 0]],
      [125, [0x81, 125]],
      [126, [0x81, 126, 0, 126]],
      [65535, [0x81, 126, 255, 255]],
      [65536, [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]],
    ] as const
  ) {
    const b = new Uint8Array(wsHeaderLength(len));
    assert.equal(writeWsHeader(b, 0, 1, len), b.length);
    assert.deepEqual([...b], bytes);
  }
  const long = closePayload(1001, "é".repeat(100));
  assert.ok(long.length <= 125);
  assert.equal(
    new TextDecoder("utf-8", { fatal: true }).decode(long.subarray(2)),
    "é".repeat(61),
  );
  assert.deepEqual([...closePayload(1008, "")], [3, 240]);
  assert.equal(validCloseCode(1005), false);
  assert.equal(validCloseCode(4000), true);
});
