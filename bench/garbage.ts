/**
 * Garbage senders for the fuzz and soak runs: connections that send what
 * no client should, each kind over its transport (bench/garbage_stream.ts,
 * garbage_ws.ts, garbage_udp.ts), again and again until a deadline. Each
 * connection must be cut by the server with the fatal error its kind is
 * documented to draw (docs/reliability.md); a connection that ends
 * otherwise, or that the server leaves open, is counted against it.
 *
 * @module
 */

import { ConnectError } from "../adapters/client/mod.ts";
import { streamGarbage, textGarbage } from "./garbage_stream.ts";
import { udpGarbage } from "./garbage_udp.ts";
import { wsGarbage } from "./garbage_ws.ts";
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
        CUT_WITHIN_MS,
      );
    case "stream-bytes":
      return streamGarbage(
        rng.chance(0.5) ? targets.tcp : targets.unix,
        rng,
        false,
        CUT_WITHIN_MS,
      );
    case "text-lines":
      return textGarbage(targets.tcp, rng, CUT_WITHIN_MS);
    case "ws-text":
      return wsGarbage(targets.ws, rng, false, CUT_WITHIN_MS);
    case "ws-binary":
      return wsGarbage(targets.ws, rng, true, CUT_WITHIN_MS);
    case "udp-session":
      return udpGarbage(targets.udp, rng, CUT_WITHIN_MS);
  }
}
