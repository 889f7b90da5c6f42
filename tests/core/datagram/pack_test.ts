// Packing for the datagram transport (core/datagram/pack.ts): frames and
// lines into as few datagrams as fit, frames made to fit, bounded errors.

import assert from "node:assert/strict";
import { decodeFrames } from "../../../core/codec/mod.ts";
import {
  boundedError,
  fitFrame,
  packFrames,
  packLines,
} from "../../../core/datagram/pack.ts";
import { Outgoing } from "../../../core/peer.ts";

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
