/**
 * Misbehaving members for `deno task soak`, each kind in a loop until a
 * deadline: slow readers, floods over the rate limit, garbage, abrupt
 * disconnects, reconnect storms and slowloris. They join the same rooms as
 * the healthy members (bench/healthy.ts), whose deliveries they must not
 * disturb; what the server does to them is counted from its log.
 *
 * @module
 */

import { encodeFrame, FrameDecoder } from "../core/codec/mod.ts";
import { FrameError } from "../core/errors.ts";
import {
  GARBAGE,
  type GarbageKind,
  type GarbageStats,
  sendGarbage,
} from "./garbage.ts";
import type { Prng } from "./prng.ts";

/** The kinds of misbehaviour. */
export const MISBEHAVIOURS = [
  "slow-reader",
  "flood",
  "garbage",
  "abrupt",
  "reconnect-storm",
  "slowloris",
] as const;

/** A kind of misbehaviour. */
export type Misbehaviour = typeof MISBEHAVIOURS[number];

/** Where misbehavers connect. */
export interface MisbehaveTargets {
  tcp: string;
  unix: string;
  udp: string;
  http: string;
  ws: string;
}

/** What misbehavers of one kind did. */
export interface MisbehaveStats {
  /** Connections opened. */
  connections: number;
  /** How they ended, as the misbehaver saw it. */
  ends: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(url: string): Promise<Deno.Conn> {
  const u = new URL(url);
  return u.protocol === "unix:"
    ? await Deno.connect({ transport: "unix", path: u.pathname })
    : await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // closed
  }
}

/** Write, or say why not. */
async function write(conn: Deno.Conn, bytes: Uint8Array): Promise<boolean> {
  try {
    for (let at = 0; at < bytes.length;) {
      at += await conn.write(bytes.subarray(at));
    }
    return true;
  } catch {
    return false;
  }
}

/** Join over a binary stream: HELLO and JOIN in one write. */
function joinBytes(room: string, name: string): Uint8Array {
  const a = encodeFrame({ type: "hello", version: 1, software: "misbehave" });
  const b = encodeFrame({ type: "join", room, name });
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Read a stream until it ends; the first fatal error code, if any.
 */
async function readEnd(conn: Deno.Conn): Promise<string> {
  const decoder = new FrameDecoder({ maxFrameSize: 1 << 20 });
  const buf = new Uint8Array(16 * 1024);
  let fatal: string | undefined;
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      for (const item of decoder.push(buf.subarray(0, n))) {
        if (item instanceof FrameError) continue;
        if (item.type === "error" && item.fatal) fatal ??= String(item.code);
      }
    }
  } catch {
    return fatal ?? "reset";
  }
  return fatal ?? "closed";
}

/**
 * Misbehave in one way until `deadline` (performance.now()).
 *
 * @param kind The misbehaviour.
 * @param targets The server's URLs.
 * @param rooms The rooms to join (the healthy members').
 * @param name A name prefix of its own.
 * @param rng The generator.
 * @param deadline When to stop.
 * @param stats Where to count.
 */
export async function misbehave(
  kind: Misbehaviour,
  targets: MisbehaveTargets,
  rooms: readonly string[],
  name: string,
  rng: Prng,
  deadline: number,
  stats: MisbehaveStats,
): Promise<void> {
  let n = 0;
  const end = (how: string) => stats.ends[how] = (stats.ends[how] ?? 0) + 1;
  while (performance.now() < deadline) {
    const room = rng.pick(rooms);
    const url = rng.pick([targets.tcp, targets.unix]);
    try {
      switch (kind) {
        case "slow-reader": {
          // Joins, never reads: the server cuts it off (slow_consumer)
          // once its outbound buffer is full. A write that fails says so.
          stats.connections++;
          const conn = await connect(url);
          await write(conn, joinBytes(room, `${name}r${n++}`));
          let cut = false;
          while (!cut && performance.now() < deadline) {
            await sleep(2000);
            cut = !await write(conn, encodeFrame({ type: "ping", nonce: 1 }));
          }
          closeQuietly(conn);
          end(cut ? "cut" : "still open at the end");
          await sleep(1000);
          break;
        }
        case "flood": {
          // 200 messages a second, ten times the rate limit: RATE_LIMITED,
          // then cut with TOO_MANY_ERRORS. In rooms of their own: what
          // gets through the rate limit (20 a second each) would otherwise
          // reach the healthy members, whose one thread would then measure
          // itself decoding it rather than the server.
          stats.connections++;
          const conn = await connect(url);
          const ended = readEnd(conn);
          let done = false;
          ended.then(() => done = true);
          await write(conn, joinBytes(`flood${rng.int(4)}`, `${name}f${n++}`));
          const say = encodeFrame({ type: "say", text: "flood" });
          while (!done && performance.now() < deadline) {
            const burst = new Uint8Array(say.length * 20);
            for (let i = 0; i < 20; i++) burst.set(say, i * say.length);
            if (!await write(conn, burst)) break;
            await sleep(100);
          }
          if (!done) closeQuietly(conn);
          end(await ended);
          closeQuietly(conn);
          await sleep(1000);
          break;
        }
        case "garbage": {
          // A few connections of garbage of one kind (bench/garbage.ts).
          const g = rng.pick(Object.keys(GARBAGE) as GarbageKind[]);
          const s: GarbageStats = {
            connections: 0,
            cut: {},
            wrong: {},
            unanswered: 0,
          };
          await sendGarbage(
            g,
            targets,
            rng.fork(),
            Math.min(deadline, performance.now() + 1),
            s,
          );
          stats.connections += s.connections;
          for (const [k, v] of Object.entries({ ...s.cut, ...s.wrong })) {
            stats.ends[`${g}: ${k}`] = (stats.ends[`${g}: ${k}`] ?? 0) + v;
          }
          await sleep(500);
          break;
        }
        case "abrupt": {
          // Joins, talks a little, then the connection just goes.
          stats.connections++;
          const conn = await connect(url);
          const ended = readEnd(conn);
          await write(conn, joinBytes(room, `${name}a${n++}`));
          const until = performance.now() + 1000 + rng.int(9000);
          while (performance.now() < Math.min(until, deadline)) {
            await write(conn, encodeFrame({ type: "say", text: "bye soon" }));
            await sleep(1000);
          }
          closeQuietly(conn);
          await ended;
          end("dropped");
          break;
        }
        case "reconnect-storm": {
          // Twenty joins and goes at once, then a pause.
          const storm = Array.from({ length: 20 }, async () => {
            stats.connections++;
            const conn = await connect(url);
            await write(conn, joinBytes(room, `${name}s${n++}`));
            await sleep(rng.int(200));
            closeQuietly(conn);
          });
          await Promise.allSettled(storm);
          end("storm");
          await sleep(3000 + rng.int(4000));
          break;
        }
        case "slowloris": {
          // Half an HTTP head a byte at a time (closed by the request
          // timeout), or half a frame on a stream (closed by the join
          // timeout, JOIN_TIMEOUT).
          stats.connections++;
          const http = rng.chance(0.5);
          const conn = await connect(http ? targets.http : url);
          const ended = http
            ? conn.read(new Uint8Array(1024)).then(
              (r) => r === null ? "closed" : "answered",
              () => "reset",
            )
            : readEnd(conn);
          let done = false;
          ended.then(() => done = true);
          const bytes = http
            ? new TextEncoder().encode(
              `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${
                "s".repeat(200)
              }`,
            )
            : encodeFrame({
              type: "hello",
              version: 1,
              software: "s".repeat(200),
            });
          for (let i = 0; !done && i < bytes.length - 1; i++) {
            if (!await write(conn, bytes.subarray(i, i + 1))) break;
            await sleep(500);
          }
          end(`${http ? "http" : "stream"}: ${await ended}`);
          closeQuietly(conn);
          break;
        }
      }
    } catch (e) {
      end(`error: ${e instanceof Error ? e.name : String(e)}`);
      await sleep(500);
    }
  }
}
