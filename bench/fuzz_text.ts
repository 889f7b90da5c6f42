/**
 * The `text` target of `deno task fuzz` (bench/fuzz.ts): text-mode sessions
 * of a chat fed lines (bench/fuzz_decoders.ts: random bytes, names, slash
 * commands, over-long lines) in random reads, with time passing. Checked:
 * nothing thrown, every line written back UTF-8 with no control or bidi
 * character, no session left behind.
 *
 * @module
 */

import { Chat } from "../core/chat.ts";
import type { Outgoing } from "../core/peer.ts";
import type { Session } from "../core/session.ts";
import { type DecoderResult, FuzzFailure, line } from "./fuzz_decoders.ts";
import type { Prng } from "./prng.ts";

const strict = new TextDecoder("utf-8", { fatal: true });
// C0 controls other than tab and line feed, DEL, C1, and bidi controls.
// deno-lint-ignore no-control-regex
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

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
