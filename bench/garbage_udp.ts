/**
 * Garbage over UDP for bench/garbage.ts: a session that sends nothing but
 * refused commands (it must be cut), and random datagrams from a socket
 * with no session (answered or dropped, limited per address).
 *
 * @module
 */

import dgram from "node:dgram";
import { Buffer } from "node:buffer";
import { dialUdp } from "../adapters/client/mod.ts";
import { MAGIC } from "../core/codec/mod.ts";
import type { Prng } from "./prng.ts";

/**
 * A UDP session that sends only refused commands.
 *
 * @param url `udp://HOST:PORT`.
 * @param rng The generator.
 * @param cutWithinMs How long the session may stay open.
 * @returns The fatal code, `closed` or `open`.
 */
export async function udpGarbage(
  url: string,
  rng: Prng,
  cutWithinMs: number,
): Promise<string> {
  const conn = await dialUdp(new URL(url));
  let result: string | undefined;
  conn.onEvent = (e) => {
    if (e.type === "error" && e.fatal) result ??= e.code;
  };
  conn.send({ type: "hello", version: 1, software: "garbage" });
  conn.send({
    type: "join",
    room: `garbage-${rng.int(1000)}`,
    name: `g${rng.u32()}`,
  });
  const until = performance.now() + cutWithinMs;
  let closed = false;
  conn.closed.then(() => closed = true);
  while (!closed && result === undefined && performance.now() < until) {
    // Each refused: an empty message, a bad room, a reserved name; 200 a
    // second, twice what a session may send.
    for (let i = 0; i < 4; i++) {
      conn.send(rng.pick(
        [
          { type: "say", text: " " },
          { type: "who", room: "/" },
          { type: "join", room: "lobby", name: "admin" },
        ] as const,
      ));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  conn.close();
  await Promise.race([conn.closed, new Promise((r) => setTimeout(r, 2000))]);
  return result ?? (closed ? "closed" : "open");
}

/**
 * Random datagrams from one socket (no session, no cut expected: they are
 * answered or dropped, and limited per address), until `deadline`.
 *
 * @param url `udp://HOST:PORT`.
 * @param rng The generator.
 * @param deadline When to stop.
 * @returns Datagrams sent.
 */
export async function udpNoise(
  url: string,
  rng: Prng,
  deadline: number,
): Promise<number> {
  const u = new URL(url);
  const socket = dgram.createSocket("udp4");
  socket.on("message", () => {});
  socket.on("error", () => {});
  let sent = 0;
  // 200 a second: twice what one address may send (--udp-rate 100).
  while (performance.now() < deadline) {
    for (let i = 0; i < 10; i++) {
      const d = rng.bytes(rng.int(1500) + 1);
      if (rng.chance(0.5)) d[0] = MAGIC;
      socket.send(Buffer.from(d), Number(u.port), u.hostname);
      sent++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise<void>((r) => socket.close(() => r()));
  return sent;
}
