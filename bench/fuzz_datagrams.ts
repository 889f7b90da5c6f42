/**
 * The `datagram` target of `deno task fuzz` (bench/fuzz.ts): a UDP
 * `DatagramServer` fed whole datagrams from a few addresses (padded HELLOs,
 * session envelopes with the tokens it granted around random and mutated
 * frames, text, noise: bench/fuzz_decoders.ts). Checked: nothing thrown,
 * every item a frame or a known refusal, no datagram sent over the size.
 *
 * @module
 */

import { Chat } from "../core/chat.ts";
import {
  decodeFrames,
  encodeFrame,
  HEADER_SIZE,
  MAGIC,
} from "../core/codec/mod.ts";
import { DatagramServer } from "../core/datagram/server.ts";
import { MIN_HELLO_DATAGRAM } from "../core/datagram/limits.ts";
import { FrameError } from "../core/errors.ts";
import {
  checkItem,
  type DecoderResult,
  frame,
  FuzzFailure,
  line,
  mutate,
} from "./fuzz_decoders.ts";
import type { Prng } from "./prng.ts";

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
