/**
 * What the decoder fuzzers of `deno task fuzz` share (the targets:
 * bench/fuzz_stream.ts, bench/fuzz_text.ts, bench/fuzz_datagrams.ts): what
 * a target reports ({@link DecoderResult}), how it fails
 * ({@link FuzzFailure}, naming the step, so that `--seed` replays it), the
 * check of every decoded item, and the seeded random inputs: strings,
 * commands, frames (valid, mutated, oversized, bad magic, noise) and
 * text-mode lines.
 *
 * @module
 */

import {
  type Command,
  encodeFrame,
  HEADER_SIZE,
  MAGIC,
} from "../core/codec/mod.ts";
import { ErrorCode, FrameError } from "../core/errors.ts";
import type { Prng } from "./prng.ts";

/** What one decoder target did. */
export interface DecoderResult {
  /** `stream`, `text` or `datagram`. */
  readonly target: string;
  /** Frames (lines, datagrams) fed. */
  readonly frames: number;
  /** Bytes fed. */
  readonly bytes: number;
  /** Items decoded as frames. */
  readonly decoded: number;
  /** Items refused with a code. */
  readonly refused: number;
  /** Wall time, in ms. */
  readonly ms: number;
}

/** An invariant broke: the seed and the step say where. */
export class FuzzFailure extends Error {
  /**
   * @param target The decoder target.
   * @param step The step (frame count) where it broke.
   * @param message What broke.
   * @param options The error thrown, if any.
   */
  constructor(
    readonly target: string,
    readonly step: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot keep invariant of ${target} at step ${step}: ${message}`,
      options,
    );
    this.name = "FuzzFailure";
  }
}

const CODES = new Set<string>(Object.keys(ErrorCode));
const TEXTS = [
  "",
  " ",
  "hi",
  "bob",
  "admin",
  "аdmin", // Cyrillic а
  "管理员",
  "张三",
  "bob\u200b",
  "\u202eevil",
  "\x1b[2J",
  "a\u0000b",
  "🙂",
  "x".repeat(300),
  "y".repeat(5000),
];

/** A random string: words the rules care about, or random code points. */
function text(rng: Prng): string {
  if (rng.chance(0.5)) return rng.pick(TEXTS);
  let s = "";
  const n = rng.int(40);
  for (let i = 0; i < n; i++) {
    const r = rng.int(10);
    const cp = r < 5
      ? 0x20 + rng.int(0x5f)
      : r < 7
      ? rng.int(0x20)
      : r < 9
      ? 0x80 + rng.int(0x3000)
      : 0x1f300 + rng.int(0x300);
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** A random well-formed command. */
function command(rng: Prng): Command {
  switch (rng.int(6)) {
    case 0:
      return {
        type: "hello",
        version: rng.chance(0.9) ? 1 : rng.int(5),
        software: text(rng),
      };
    case 1:
      return { type: "join", room: text(rng), name: text(rng) };
    case 2:
      return { type: "say", text: text(rng) };
    case 3:
      return { type: "who", room: text(rng) };
    case 4:
      return { type: "leave" };
    default:
      return { type: "ping", nonce: rng.u32() };
  }
}

/**
 * Change a few bytes, cut or grow a frame, or break its length.
 *
 * @param rng The generator.
 * @param frame The frame (not changed).
 * @returns A changed copy.
 */
export function mutate(rng: Prng, frame: Uint8Array): Uint8Array {
  const b = frame.slice();
  switch (rng.int(5)) {
    case 0: // flip bytes
      for (let i = rng.int(3) + 1; i > 0; i--) b[rng.int(b.length)] = rng.u32();
      return b;
    case 1: { // cut the payload, keep the length
      return b.subarray(0, HEADER_SIZE + rng.int(b.length - HEADER_SIZE + 1));
    }
    case 2: { // cut the payload and fix the length: a field runs short
      const n = rng.int(Math.max(1, b.length - HEADER_SIZE));
      const out = b.slice(0, HEADER_SIZE + n);
      new DataView(out.buffer).setUint32(2, n);
      return out;
    }
    case 3: { // trailing bytes, length fixed
      const extra = rng.bytes(rng.int(8) + 1);
      const out = new Uint8Array(b.length + extra.length);
      out.set(b);
      out.set(extra, b.length);
      new DataView(out.buffer).setUint32(2, out.length - HEADER_SIZE);
      return out;
    }
    default: // another type byte
      b[1] = rng.chance(0.5)
        ? rng.u32()
        : rng.pick([1, 2, 3, 4, 5, 6, 0x10, 0x1f, 0x88]);
      return b;
  }
}

/**
 * One frame's bytes: valid, mutated, oversized or random.
 *
 * @param rng The generator.
 * @param framed Keep the frame in step (right magic and length, whole).
 * @returns The bytes.
 */
export function frame(rng: Prng, framed = false): Uint8Array {
  const r = rng.int(framed ? 16 : 20);
  if (r < 8) return encodeFrame(command(rng));
  if (r < 16) {
    const f = mutate(rng, encodeFrame(command(rng)));
    if (framed && f.length >= HEADER_SIZE) {
      f[0] = MAGIC; // keep it in step: fix the magic and the length
      new DataView(f.buffer, f.byteOffset).setUint32(2, f.length - HEADER_SIZE);
    }
    return framed && f.length < HEADER_SIZE ? encodeFrame(command(rng)) : f;
  }
  if (r < 17) { // a header that announces too much
    const b = new Uint8Array(HEADER_SIZE);
    b[0] = MAGIC;
    b[1] = rng.u32();
    new DataView(b.buffer).setUint32(2, 0xffff0000 + rng.int(0xffff));
    return b;
  }
  if (r < 18) { // bad magic
    const b = encodeFrame(command(rng));
    b[0] = rng.u32() === MAGIC ? 0 : rng.u32();
    return b;
  }
  return rng.bytes(rng.int(64)); // noise
}

/**
 * Check one item a decoder gave: a frame, or a `FrameError` with a known
 * code.
 *
 * @param target The decoder target.
 * @param step The step, for the failure.
 * @param item The item.
 * @returns True for a frame, false for a refusal.
 */
export function checkItem(
  target: string,
  step: number,
  item: unknown,
): boolean {
  if (item instanceof FrameError) {
    if (!CODES.has(item.code)) {
      throw new FuzzFailure(target, step, `unknown code ${item.code}`);
    }
    return false;
  }
  if (typeof (item as { type?: unknown })?.type !== "string") {
    throw new FuzzFailure(target, step, `not a frame: ${String(item)}`);
  }
  return true;
}

const LINES = [
  "/join lobby",
  "/join",
  "/join " + "r".repeat(80),
  "/who",
  "/who lobby",
  "/lang zh",
  "/lang en",
  "/lang xx",
  "/help",
  "/nick bob",
  "//not a command",
  "/quit",
];
const utf8 = new TextEncoder();

/**
 * One text-mode line's bytes (a name, a message, a command or noise).
 *
 * @param rng The generator.
 * @returns The line, with its end.
 */
export function line(rng: Prng): Uint8Array {
  const r = rng.int(10);
  let body: Uint8Array;
  if (r < 3) body = utf8.encode(text(rng));
  else if (r < 5) body = utf8.encode(rng.pick(LINES));
  else if (r < 6) body = utf8.encode("z".repeat(4090 + rng.int(20)));
  else body = rng.bytes(rng.int(60)).map((b) => b === 0x0a ? 0x20 : b);
  const end = rng.chance(0.3) ? "\r\n" : "\n";
  const out = new Uint8Array(body.length + end.length);
  out.set(body);
  out.set(utf8.encode(end), body.length);
  return out;
}
