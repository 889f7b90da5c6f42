/**
 * The `stream` target of `deno task fuzz` (bench/fuzz.ts): the binary
 * stream decoder (`FrameDecoder`) fed frames (bench/fuzz_decoders.ts) cut
 * into chunks at random places, under random frame size limits. Checked at
 * every chunk: nothing thrown, every item a frame or a known refusal,
 * nothing held past the limit, nothing decoded after a framing error.
 *
 * @module
 */

import { FrameDecoder } from "../core/codec/mod.ts";
import {
  checkItem,
  type DecoderResult,
  frame,
  FuzzFailure,
} from "./fuzz_decoders.ts";
import type { Prng } from "./prng.ts";

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
