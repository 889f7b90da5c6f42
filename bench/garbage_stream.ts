/**
 * Garbage over a stream connection (TCP or a Unix socket) for
 * bench/garbage.ts: frames in step with random types and payloads after a
 * HELLO and a JOIN, random bytes after the magic byte, or text-mode lines
 * that are not UTF-8, over-long or reserved names. Each resolves with the
 * fatal error the server sent, or how the connection ended without one.
 * Hand-made bytes and bare connections come from the conformance suite's
 * helpers (adapters/conformance), which send what no client should too.
 *
 * @module
 */

import { concat, openStream } from "../adapters/conformance/mod.ts";
import {
  encodeFrame,
  FrameDecoder,
  HEADER_SIZE,
  MAGIC,
} from "../core/codec/mod.ts";
import { errorCodeName, FrameError } from "../core/errors.ts";
import type { Prng } from "./prng.ts";

/** A frame in step: a right header over a random payload and type. */
function inStep(rng: Prng): Uint8Array {
  const payload = rng.bytes(rng.int(40));
  const f = new Uint8Array(HEADER_SIZE + payload.length);
  f[0] = MAGIC;
  // Client types (not LEAVE, which would end the session cleanly), or any.
  f[1] = rng.chance(0.7) ? rng.pick([1, 2, 3, 4, 6]) : rng.int(256);
  if (f[1] === 5) f[1] = 3;
  new DataView(f.buffer).setUint32(2, payload.length);
  f.set(payload, HEADER_SIZE);
  return f;
}

/**
 * Write garbage while reading; resolve with the first fatal code the
 * server sent, `closed` when it closed without one, `open` past the time.
 *
 * @param url `tcp://HOST:PORT` or `unix:PATH`.
 * @param rng The generator.
 * @param framed Frames in step after a HELLO and a JOIN; else random bytes
 *   after the magic byte.
 * @param cutWithinMs How long the connection may stay open.
 * @returns The fatal code, `closed` or `open`.
 */
export async function streamGarbage(
  url: string,
  rng: Prng,
  framed: boolean,
  cutWithinMs: number,
): Promise<string> {
  const conn = await openStream(url);
  let result: string | undefined;
  const reading = (async () => {
    const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 });
    const buf = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        for (const item of decoder.push(buf.subarray(0, n))) {
          if (item instanceof FrameError) continue;
          if (item.type === "error" && item.fatal) {
            result ??= errorCodeName(item.code as never) ?? String(item.code);
          }
        }
      }
    } catch {
      // reset by the server
    }
    result ??= "closed";
  })();
  const until = performance.now() + cutWithinMs;
  try {
    if (framed) {
      await conn.write(
        encodeFrame({ type: "hello", version: 1, software: "garbage" }),
      );
      await conn.write(encodeFrame({
        type: "join",
        room: `garbage-${rng.int(1000)}`,
        name: `g${rng.u32()}`,
      }));
    } else {
      const b = rng.bytes(rng.int(200) + 1);
      b[0] = MAGIC;
      await conn.write(b);
    }
    while (result === undefined && performance.now() < until) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 20; i++) {
        parts.push(framed ? inStep(rng) : rng.bytes(64));
      }
      await conn.write(concat(...parts));
      await new Promise((r) => setTimeout(r, 5));
    }
  } catch {
    // the server closed first
  }
  await hangUp(conn, reading);
  return result ?? "open";
}

/**
 * Text mode: a first byte that is not the magic, then bad lines.
 *
 * @param url `tcp://HOST:PORT`.
 * @param rng The generator.
 * @param cutWithinMs How long the connection may stay open.
 * @returns The fatal code, `closed` or `open`.
 */
export async function textGarbage(
  url: string,
  rng: Prng,
  cutWithinMs: number,
): Promise<string> {
  const conn = await openStream(url);
  let text = "";
  const reading = (async () => {
    const buf = new Uint8Array(16 * 1024);
    const dec = new TextDecoder();
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += dec.decode(buf.subarray(0, n), { stream: true });
        if (text.length > 100_000) text = text.slice(-10_000);
      }
    } catch {
      // reset
    }
  })();
  const until = performance.now() + cutWithinMs;
  let ended = false;
  reading.then(() => ended = true);
  try {
    while (!ended && performance.now() < until) {
      const lines: Uint8Array[] = [];
      for (let i = 0; i < 20; i++) {
        const r = rng.int(3);
        const body = r === 0
          ? rng.bytes(rng.int(30) + 1).map((b) => b === 10 ? 0xff : b | 0x80)
          : r === 1
          ? new TextEncoder().encode("/" + "x".repeat(5000))
          : new TextEncoder().encode("admin");
        lines.push(body, new Uint8Array([10]));
      }
      await conn.write(concat(...lines));
      await new Promise((r) => setTimeout(r, 5));
    }
  } catch {
    // closed
  }
  await hangUp(conn, reading);
  const fatal = /error (TOO_MANY_ERRORS|JOIN_TIMEOUT)\b/.exec(text);
  return fatal?.[1] ?? (ended ? "closed" : "open");
}

/** Give the reader up to 2 s to see the end, then close and let it finish. */
async function hangUp(conn: Deno.Conn, reading: Promise<void>): Promise<void> {
  await Promise.race([reading, new Promise((r) => setTimeout(r, 2000))]);
  try {
    conn.close();
  } catch {
    // closed
  }
  await reading;
}
