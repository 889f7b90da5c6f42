/**
 * The first part of `deno task fuzz`: the sans-IO decoders fed random and
 * mutated frames from a seeded generator, in process. Three targets:
 *
 * - `stream`: the binary stream decoder (`FrameDecoder`), frames cut into
 *   chunks at random places, under random frame size limits;
 * - `text`: text-mode sessions of a chat (lines of random bytes, names,
 *   slash commands, over-long lines), split into random reads;
 * - `datagram`: a UDP `DatagramServer` fed whole datagrams (HELLOs, session
 *   envelopes with the tokens it granted, random and mutated frames, text).
 *
 * Each checks its invariants on every step (nothing thrown, nothing held
 * past its limit, every answer well-formed) and counts the frames it fed;
 * a failure names the seed and the step, so that `--seed` replays it.
 *
 * @module
 */

import { Chat } from "../core/chat.ts";
import {
  type Command,
  encodeFrame,
  FrameDecoder,
  HEADER_SIZE,
  MAGIC,
} from "../core/codec/mod.ts";
import { decodeFrames } from "../core/codec/mod.ts";
import { DatagramServer } from "../core/datagram/server.ts";
import { MIN_HELLO_DATAGRAM } from "../core/datagram/limits.ts";
import { ErrorCode, FrameError } from "../core/errors.ts";
import type { Outgoing } from "../core/peer.ts";
import type { Session } from "../core/session.ts";
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

/** Change a few bytes, cut or grow a frame, or break its length. */
function mutate(rng: Prng, frame: Uint8Array): Uint8Array {
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

/** One frame's bytes: valid, mutated, oversized or random. */
function frame(rng: Prng, framed = false): Uint8Array {
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

function checkItem(target: string, step: number, item: unknown): boolean {
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

/**
 * The stream decoder: `count` frames in random chunks.
 *
 * @param rng The generator.
 * @param count Frames to feed.
 * @returns What it did.
 */
export function fuzzStreamDecoder(rng: Prng, count: number): DecoderResult {
  const start = performance.now();
  let fed = 0, bytes = 0, decoded = 0, refused = 0;
  let max = rng.pick([64, 1024, 65536]);
  let decoder = new FrameDecoder({ maxFrameSize: max });
  while (fed < count) {
    const batch = rng.int(16) + 1;
    const parts: Uint8Array[] = [];
    let len = 0;
    for (let i = 0; i < batch; i++) {
      // In step, but for the last frame now and then.
      const f = frame(rng, i < batch - 1 || rng.chance(0.7));
      parts.push(f);
      len += f.length;
    }
    fed += batch;
    const stream = new Uint8Array(len);
    let at = 0;
    for (const p of parts) {
      stream.set(p, at);
      at += p.length;
    }
    bytes += len;
    for (let from = 0; from < len;) {
      const to = Math.min(len, from + 1 + rng.int(rng.chance(0.2) ? 4 : 300));
      const failed = decoder.failed;
      let items;
      try {
        items = decoder.push(stream.subarray(from, to));
      } catch (e) {
        throw new FuzzFailure("stream", fed, `push threw: ${e}`, { cause: e });
      }
      if (failed && items.length > 0) {
        throw new FuzzFailure("stream", fed, "a failed decoder decoded more");
      }
      for (const item of items) {
        if (checkItem("stream", fed, item)) decoded++;
        else refused++;
      }
      if (decoder.pending > max) {
        throw new FuzzFailure(
          "stream",
          fed,
          `holds ${decoder.pending} > ${max}`,
        );
      }
      from = to;
    }
    if (decoder.failed || rng.chance(0.01)) {
      max = rng.pick([64, 1024, 65536]);
      decoder = new FrameDecoder({ maxFrameSize: max });
    }
  }
  return {
    target: "stream",
    frames: fed,
    bytes,
    decoded,
    refused,
    ms: performance.now() - start,
  };
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
const strict = new TextDecoder("utf-8", { fatal: true });
// C0 controls other than tab and line feed, DEL, C1, and bidi controls.
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** One text-mode line's bytes (a name, a message, a command or noise). */
function line(rng: Prng): Uint8Array {
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

/**
 * Text-mode sessions: `count` lines over 16 sessions, read in random
 * pieces, with time passing; every line written back is checked.
 *
 * @param rng The generator.
 * @param count Lines to feed.
 * @returns What it did.
 */
export function fuzzTextMode(rng: Prng, count: number): DecoderResult {
  const start = performance.now();
  let now = 0;
  let fed = 0, bytes = 0, written = 0, refused = 0;
  const chat = new Chat({ now: () => now });
  const sessions: Session[] = [];
  const open = () => {
    // The peer writes what its session encodes (set once it is made).
    const own: { session?: Session } = {};
    const peer = {
      send(out: Outgoing): boolean {
        const session = own.session;
        const b = session ? session.encode(out) : out.binary();
        if (session?.text) {
          let s: string;
          try {
            s = strict.decode(b);
          } catch {
            throw new FuzzFailure(
              "text",
              fed,
              "wrote a line that is not UTF-8",
            );
          }
          if (UNSAFE.test(s)) {
            throw new FuzzFailure(
              "text",
              fed,
              `wrote a control: ${JSON.stringify(s)}`,
            );
          }
          if (out.event.type === "error") refused++;
          written++;
        }
        return true;
      },
      close() {},
    };
    const session = own.session = chat.connect(peer, {
      transport: "tcp",
      hello: true,
    });
    session.startText({ prompt: rng.chance(0.5) });
    return session;
  };
  for (let i = 0; i < 16; i++) sessions.push(open());
  while (fed < count) {
    const k = rng.int(sessions.length);
    const session = sessions[k]!;
    const batch = rng.int(4) + 1;
    const parts = Array.from({ length: batch }, () => line(rng));
    fed += batch;
    const len = parts.reduce((n, p) => n + p.length, 0);
    const all = new Uint8Array(len);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    bytes += len;
    for (let from = 0; from < len;) {
      const to = Math.min(len, from + 1 + rng.int(200));
      try {
        session.feed(all.subarray(from, to));
      } catch (e) {
        if (e instanceof FuzzFailure) throw e;
        throw new FuzzFailure("text", fed, `feed threw: ${e}`, { cause: e });
      }
      from = to;
    }
    if (rng.chance(0.05)) {
      now += rng.int(3000);
      chat.tick();
    }
    if (session.state === "closed") sessions[k] = open();
    if (chat.size > 16) {
      throw new FuzzFailure("text", fed, `${chat.size} sessions for 16 peers`);
    }
  }
  return {
    target: "text",
    frames: fed,
    bytes,
    decoded: written,
    refused,
    ms: performance.now() - start,
  };
}

/**
 * The UDP server: `count` datagrams from a few addresses. HELLOs open
 * sessions; the tokens granted are used for envelopes around random and
 * mutated frames; the rest is noise and text.
 *
 * @param rng The generator.
 * @param count Datagrams to feed.
 * @returns What it did.
 */
export function fuzzDatagrams(rng: Prng, count: number): DecoderResult {
  const start = performance.now();
  let now = 0;
  let fed = 0, bytes = 0, decoded = 0, refused = 0;
  const chat = new Chat({ now: () => now, limits: { messagesPerSecond: 0 } });
  const tokens: Uint8Array[] = [];
  const tasks: (() => void)[] = [];
  const size = 1200;
  const server = new DatagramServer(chat, {
    limits: {
      datagramSize: size,
      datagramsPerSecond: 0,
      textIdleTimeoutMs: 1000,
    },
    send(bytes) {
      if (bytes.length > size) {
        throw new FuzzFailure("datagram", fed, `sent ${bytes.length} bytes`);
      }
      // Learn the tokens the server grants (a TOKEN frame: 0xab 0x90).
      for (let at = 0; at + HEADER_SIZE <= bytes.length;) {
        const len = new DataView(bytes.buffer, bytes.byteOffset + at + 2, 4)
          .getUint32(0);
        if (bytes[at + 1] === 0x90 && len >= 16) {
          tokens.push(bytes.slice(at + HEADER_SIZE, at + HEADER_SIZE + 16));
          if (tokens.length > 64) tokens.shift();
        }
        at += HEADER_SIZE + len;
      }
    },
    schedule: (task) => tasks.push(task),
    random: (b) => b.set(rng.bytes(b.length)),
  });
  const address = () => ({
    address: "127.0.0.1",
    port: 40000 + rng.int(32),
  });
  while (fed < count) {
    let d: Uint8Array;
    const r = rng.int(10);
    if (r < 1) { // a padded HELLO: a session
      const hello = encodeFrame({
        type: "hello",
        version: 1,
        software: "fuzz",
      });
      d = new Uint8Array(MIN_HELLO_DATAGRAM);
      d.set(hello);
      const pad = MIN_HELLO_DATAGRAM - hello.length;
      d[hello.length] = MAGIC;
      d[hello.length + 1] = 0x1f;
      new DataView(d.buffer).setUint32(hello.length + 2, pad - HEADER_SIZE);
    } else if (r < 6 && tokens.length > 0) { // a session's datagram
      const token = rng.pick(tokens);
      const inner: Uint8Array[] = [];
      for (let i = rng.int(3) + 1; i > 0; i--) inner.push(frame(rng));
      const env = new Uint8Array(HEADER_SIZE + 20);
      env[0] = MAGIC;
      env[1] = 0x10;
      new DataView(env.buffer).setUint32(2, 20);
      env.set(rng.chance(0.9) ? token : rng.bytes(16), HEADER_SIZE);
      new DataView(env.buffer).setUint32(HEADER_SIZE + 16, rng.int(40));
      const len = env.length + inner.reduce((n, p) => n + p.length, 0);
      d = new Uint8Array(len);
      d.set(env);
      let at = env.length;
      for (const p of inner) {
        d.set(p, at);
        at += p.length;
      }
      if (rng.chance(0.1)) d = mutate(rng, d);
    } else if (r < 8) d = frame(rng);
    else if (r < 9) d = line(rng);
    else d = rng.bytes(rng.int(1600));
    fed++;
    bytes += d.length;
    try {
      try {
        for (const item of decodeFrames(d)) {
          if (checkItem("datagram", fed, item)) decoded++;
          else refused++;
        }
      } catch (e) {
        if (!(e instanceof FrameError)) throw e;
        refused++;
      }
      server.receive(d, address());
      while (tasks.length > 0) tasks.shift()!();
    } catch (e) {
      if (e instanceof FuzzFailure) throw e;
      throw new FuzzFailure("datagram", fed, `threw: ${e}`, { cause: e });
    }
    if (rng.chance(0.01)) {
      now += rng.int(2000);
      chat.tick();
      server.sweep();
    }
  }
  server.close();
  return {
    target: "datagram",
    frames: fed,
    bytes,
    decoded,
    refused,
    ms: performance.now() - start,
  };
}
