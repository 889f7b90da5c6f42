// Forward compatibility (docs/protocol.md, "Versions and forward
// compatibility"): what a reader does with codes, reasons and frame types
// that a newer server may send.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Decoded,
  decodeFrame,
  encodeFrame,
  FrameDecoder,
  FrameType,
  MAGIC,
} from "../../../core/codec/mod.ts";
import { ErrorCode, FrameError } from "../../../core/errors.ts";
import { isEventType, LeaveReason } from "../../../core/events.ts";
import { renderEvent } from "../../../core/text/render.ts";
import { concat } from "../../_bytes.ts";

function rawFrame(type: number, payload: readonly number[]): Uint8Array {
  const n = payload.length;
  return new Uint8Array([
    MAGIC,
    type,
    n >>> 24,
    (n >>> 16) & 0xff,
    (n >>> 8) & 0xff,
    n & 0xff,
    ...payload,
  ]);
}

function str(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [b.length >> 8, b.length & 0xff, ...b];
}

const errorFrame = (code: number, fatal: number, message: string) =>
  rawFrame(FrameType.ERROR, [code >> 8, code & 0xff, fatal, ...str(message)]);
const leftFrame = (room: string, name: string, reason: number) =>
  rawFrame(FrameType.LEFT, [...str(room), ...str(name), reason]);

Deno.test("compat: an ERROR with an unknown code is carried with its number, message and fatal flag", () => {
  for (const fatal of [0, 1]) {
    const bytes = errorFrame(250, fatal, "too many rooms");
    const frame = decodeFrame(bytes);
    assert.deepEqual(frame, {
      type: "error",
      code: "UNKNOWN",
      codeNumber: 250,
      fatal: fatal === 1,
      message: "too many rooms",
    });
    // A relay sends it on unchanged.
    assert.deepEqual(encodeFrame(frame), bytes);
  }
  // Any non-zero fatal byte is fatal, known code or not.
  const seven = decodeFrame(errorFrame(0xffff, 7, ""));
  assert.equal(seven.type === "error" && seven.fatal, true);
});

Deno.test("compat: a LEFT with an unknown reason is carried with its number", () => {
  const bytes = leftFrame("lobby", "bob", 250);
  const frame = decodeFrame(bytes);
  assert.deepEqual(frame, {
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "unknown",
    reasonNumber: 250,
  });
  assert.deepEqual(encodeFrame(frame), bytes);
});

Deno.test("compat: an unknown server frame type between two known frames leaves the stream in step", () => {
  const stream = concat(
    encodeFrame({ type: "joined", room: "lobby", name: "ann" }),
    rawFrame(0xa0, [1, 2, 3, 4, 5]), // a server frame type from the future
    rawFrame(0xff, []),
    errorFrame(250, 0, "new refusal"),
    leftFrame("lobby", "ann", 250),
    encodeFrame({ type: "message", room: "lobby", from: "bob", text: "hi" }),
  );
  const check = (got: Decoded[]) => {
    const shape = got.map((d) =>
      d instanceof FrameError ? `error ${d.code}` : d.type
    );
    assert.deepEqual(shape, [
      "joined",
      "error UNKNOWN_TYPE",
      "error UNKNOWN_TYPE",
      "error",
      "left",
      "message",
    ]);
  };
  const d = new FrameDecoder();
  check(d.push(stream));
  assert.equal(d.failed, false);
  // Byte by byte, too.
  const slow = new FrameDecoder();
  const got: Decoded[] = [];
  for (let i = 0; i < stream.length; i++) {
    got.push(...slow.push(stream.subarray(i, i + 1)));
  }
  check(got);
  assert.equal(slow.failed, false);
});

Deno.test("compat: trailing bytes are still refused (new fields need a new version)", () => {
  const bytes = rawFrame(FrameType.PONG, [0, 0, 0, 1, 9]);
  assert.throws(() => decodeFrame(bytes), { code: "FRAME_MALFORMED" });
  const err = concat(errorFrame(250, 0, "x"), new Uint8Array([0]));
  // One frame whose length now covers the extra byte.
  err[5] = (err[5] ?? 0) + 1;
  assert.throws(() => decodeFrame(err), { code: "FRAME_MALFORMED" });
});

Deno.test("compat: an unknown code or reason cannot be encoded without a wire number", () => {
  const bad = [
    { type: "error", code: "UNKNOWN", codeNumber: 0x10000, fatal: false },
    { type: "error", code: "UNKNOWN", codeNumber: -1, fatal: false },
    { type: "error", code: "UNKNOWN", codeNumber: 1.5, fatal: false },
  ] as const;
  for (const e of bad) {
    assert.throws(() => encodeFrame({ ...e, message: "" }), RangeError);
  }
  assert.throws(
    () =>
      encodeFrame({
        type: "left",
        room: "r",
        name: "n",
        reason: "unknown",
        reasonNumber: 256,
      }),
    RangeError,
  );
});

Deno.test("compat: every ERROR code and LEFT reason number round-trips byte for byte", () => {
  const known = new Set<number>(Object.values(ErrorCode));
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 0xffff }),
      fc.boolean(),
      fc.string({ maxLength: 20 }),
      (code, fatal, message) => {
        const bytes = errorFrame(code, fatal ? 1 : 0, message);
        const frame = decodeFrame(bytes);
        assert.equal(frame.type, "error");
        if (frame.type !== "error") return;
        assert.equal(frame.code === "UNKNOWN", !known.has(code));
        assert.equal(frame.fatal, fatal);
        assert.equal(frame.message, message);
        assert.deepEqual(encodeFrame(frame), bytes);
      },
    ),
  );
  const reasons = new Set<number>(Object.values(LeaveReason));
  for (let n = 0; n <= 0xff; n++) {
    const bytes = leftFrame("r", "n", n);
    const frame = decodeFrame(bytes);
    assert.equal(frame.type, "left");
    if (frame.type !== "left") continue;
    assert.equal(frame.reason === "unknown", !reasons.has(n));
    assert.deepEqual(encodeFrame(frame), bytes);
  }
});

Deno.test("compat: unknown codes, reasons and event types render in en and zh", () => {
  const err = decodeFrame(errorFrame(250, 1, "rooms are \x1b[2Jfull"));
  assert.equal(err.type, "error");
  if (err.type !== "error") return;
  assert.equal(renderEvent(err, "en"), "error 250: rooms are \\u{1b}[2Jfull");
  assert.equal(renderEvent(err, "zh"), "错误 250: rooms are \\u{1b}[2Jfull");
  const left = decodeFrame(leftFrame("lobby", "bob", 250));
  assert.equal(left.type, "left");
  if (left.type !== "left") return;
  assert.equal(renderEvent(left, "en"), "bob left the room");
  assert.equal(renderEvent(left, "zh"), "bob 退出了聊天室");
  // JSON from a newer server can name codes and reasons this code lacks,
  // even ones that are properties of every object.
  for (const code of ["ROOM_FULL", "toString", "constructor"]) {
    const e = JSON.parse(
      `{"type":"error","code":"${code}","message":"m","fatal":false}`,
    );
    assert.equal(renderEvent(e, "en"), `error ${code}: m`);
    assert.equal(renderEvent(e, "zh"), `错误 ${code}: m`);
  }
  for (const reason of ["kicked", "__proto__", "toString"]) {
    const e = JSON.parse(
      `{"type":"left","room":"r","name":"bob","reason":"${reason}"}`,
    );
    assert.equal(renderEvent(e, "en"), "bob left the room");
  }
  const odd = JSON.parse(`{"type":"reaction\\u001b","emoji":"x"}`);
  assert.equal(renderEvent(odd, "en"), "(reaction\\u{1b})");
});

Deno.test("compat: isEventType knows this code's event types only", () => {
  for (const t of ["welcome", "left", "error", "pong", "hello_ok"]) {
    assert.equal(isEventType(t), true);
  }
  for (const t of ["reaction", "say", "toString", "", 1, undefined]) {
    assert.equal(isEventType(t), false);
  }
});
