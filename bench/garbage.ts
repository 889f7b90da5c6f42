/**
 * Garbage senders for the fuzz and soak runs: connections that send what
 * no client should, each kind over its transport, again and again until a
 * deadline. Each connection must be cut by the server with the fatal error
 * its kind is documented to draw (docs/reliability.md); a connection that
 * ends otherwise, or that the server leaves open, is counted against it.
 *
 * @module
 */

import dgram from "node:dgram";
import { Buffer } from "node:buffer";
import { ConnectError, dialUdp } from "../adapters/client/mod.ts";
import {
  encodeFrame,
  FrameDecoder,
  HEADER_SIZE,
  MAGIC,
} from "../core/codec/mod.ts";
import { errorCodeName, FrameError } from "../core/errors.ts";
import type { Prng } from "./prng.ts";

/** The kinds of garbage, each with the fatal codes it must draw. */
export const GARBAGE = {
  /** HELLO and JOIN, then frames in step with random fields and types. */
  "stream-frames": ["TOO_MANY_ERRORS"],
  /** The magic byte, then random bytes: broken framing, or no HELLO. */
  "stream-bytes": [
    "FRAME_MALFORMED",
    "FRAME_TOO_LARGE",
    "HELLO_REQUIRED",
    "UNKNOWN_TYPE",
    "INVALID_UTF8",
    "UNSUPPORTED_VERSION",
  ],
  /** Text mode: lines of bytes that are not UTF-8, over-long lines, bad names. */
  "text-lines": ["TOO_MANY_ERRORS"],
  /** WebSocket text messages that are not the protocol's JSON. */
  "ws-text": ["TOO_MANY_ERRORS"],
  /** WebSocket binary messages. */
  "ws-binary": ["TOO_MANY_ERRORS"],
  /** A UDP session that sends nothing but refused commands. */
  "udp-session": ["TOO_MANY_ERRORS"],
} as const;

/** A kind of garbage. */
export type GarbageKind = keyof typeof GARBAGE;

/** What the garbage senders of one kind met. */
export interface GarbageStats {
  /** Connections opened. */
  connections: number;
  /** Connections cut with an expected code, by code. */
  cut: Record<string, number>;
  /** Connections that ended otherwise (a wrong code, no error, left open). */
  wrong: Record<string, number>;
  /**
   * Connections the server did not take (refused, or no answer to a UDP
   * HELLO under load): nothing to cut.
   */
  unanswered: number;
}

/** Time a garbage connection may stay open before it counts as not cut. */
const CUT_WITHIN_MS = 15_000;

/** Where the garbage goes. */
export interface GarbageTargets {
  tcp: string;
  unix: string;
  udp: string;
  ws: string;
}

/**
 * Send garbage of one kind, one connection after another, until `deadline`
 * (performance.now()).
 *
 * @param kind The kind.
 * @param targets The server's URLs.
 * @param rng The generator.
 * @param deadline When to stop opening connections.
 * @param stats Where to count.
 */
export async function sendGarbage(
  kind: GarbageKind,
  targets: GarbageTargets,
  rng: Prng,
  deadline: number,
  stats: GarbageStats,
): Promise<void> {
  while (performance.now() < deadline) {
    stats.connections++;
    let outcome: string;
    try {
      outcome = await once(kind, targets, rng);
    } catch (e) {
      if (
        e instanceof ConnectError || e instanceof Deno.errors.ConnectionRefused
      ) {
        stats.unanswered++;
        continue;
      }
      outcome = `failed: ${e instanceof Error ? e.message : e}`;
    }
    const expected: readonly string[] = GARBAGE[kind];
    const into = expected.includes(outcome) ? stats.cut : stats.wrong;
    into[outcome] = (into[outcome] ?? 0) + 1;
  }
}

function once(
  kind: GarbageKind,
  targets: GarbageTargets,
  rng: Prng,
): Promise<string> {
  switch (kind) {
    case "stream-frames":
      return streamGarbage(
        rng.chance(0.5) ? targets.tcp : targets.unix,
        rng,
        true,
      );
    case "stream-bytes":
      return streamGarbage(
        rng.chance(0.5) ? targets.tcp : targets.unix,
        rng,
        false,
      );
    case "text-lines":
      return textGarbage(targets.tcp, rng);
    case "ws-text":
      return wsGarbage(targets.ws, rng, false);
    case "ws-binary":
      return wsGarbage(targets.ws, rng, true);
    case "udp-session":
      return udpGarbage(targets.udp, rng);
  }
}

async function connect(url: string): Promise<Deno.Conn> {
  const u = new URL(url);
  return u.protocol === "unix:"
    ? await Deno.connect({ transport: "unix", path: u.pathname })
    : await Deno.connect({ hostname: u.hostname, port: Number(u.port) });
}

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
 */
async function streamGarbage(
  url: string,
  rng: Prng,
  framed: boolean,
): Promise<string> {
  const conn = await connect(url);
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
  const until = performance.now() + CUT_WITHIN_MS;
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
      await conn.write(concat(parts));
      await new Promise((r) => setTimeout(r, 5));
    }
  } catch {
    // the server closed first
  }
  await Promise.race([reading, new Promise((r) => setTimeout(r, 2000))]);
  try {
    conn.close();
  } catch {
    // closed
  }
  await reading;
  return result ?? "open";
}

/** Text mode: a first byte that is not the magic, then bad lines. */
async function textGarbage(url: string, rng: Prng): Promise<string> {
  const conn = await connect(url);
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
  const until = performance.now() + CUT_WITHIN_MS;
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
      await conn.write(concat(lines));
      await new Promise((r) => setTimeout(r, 5));
    }
  } catch {
    // closed
  }
  await Promise.race([reading, new Promise((r) => setTimeout(r, 2000))]);
  try {
    conn.close();
  } catch {
    // closed
  }
  await reading;
  const fatal = /error (TOO_MANY_ERRORS|JOIN_TIMEOUT)\b/.exec(text);
  return fatal?.[1] ?? (ended ? "closed" : "open");
}

/** WebSocket messages that are not commands, before any session. */
function wsGarbage(url: string, rng: Prng, binary: boolean): Promise<string> {
  return new Promise((resolve) => {
    let result: string | undefined;
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      result ??= "open";
      ws.close();
    }, CUT_WITHIN_MS);
    let sender: ReturnType<typeof setInterval> | undefined;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      sender = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN) return;
        for (let i = 0; i < 20; i++) {
          if (binary) ws.send(rng.bytes(rng.int(50) + 1));
          else {ws.send(
              rng.chance(0.5) ? `{"type":"${rng.u32()}"}` : `x${rng.u32()}`,
            );}
        }
      }, 5);
    };
    ws.onmessage = (e) => {
      try {
        const m = JSON.parse(String(e.data));
        if (m.type === "error" && m.fatal) result ??= m.code;
      } catch {
        // not JSON
      }
    };
    ws.onerror = () => {};
    ws.onclose = (e) => {
      clearTimeout(timer);
      clearInterval(sender);
      // The close frame names the code too (1008, "TOO_MANY_ERRORS"); an
      // open socket that ends without a close frame was reset.
      resolve(
        result ??
          (e.code === 1008 && e.reason
            ? e.reason
            : opened
            ? "reset"
            : "closed"),
      );
    };
  });
}

/** A UDP session that sends only refused commands. */
async function udpGarbage(url: string, rng: Prng): Promise<string> {
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
  const until = performance.now() + CUT_WITHIN_MS;
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

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
