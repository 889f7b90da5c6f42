/**
 * The Redis backplane's connections and its pub/sub envelope.
 *
 * Each event is published once on the channel `PREFIX events` as an
 * envelope: a version byte (1), the length of the publishing node's id
 * (one byte), the id in UTF-8, then the event's binary frame exactly as
 * members receive it (docs/protocol.md). A node skips envelopes that carry
 * its own id (its own events, echoed) and hands the frame to its members as
 * is.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { Redis } from "npm:ioredis@6";
import {
  ENVELOPE_VERSION,
  type ScriptCommands,
  SCRIPTS,
  scriptSource,
} from "./scripts.ts";

/** How long ioredis waits for a socket to close after a disconnect, in ms. */
const DISCONNECT_MS = 100;

/** Most delay between two reconnection attempts, in ms (before jitter). */
export const MAX_BACKOFF_MS = 1000;

/**
 * The two connections of a node: commands (claims, scripts, publishing: one
 * connection, so a node's events keep their order) and the subscriber.
 * Neither queues commands while disconnected; both reconnect with backoff
 * (50 ms doubling to {@link MAX_BACKOFF_MS}, plus up to 100 ms of jitter).
 */
export function createClients(
  url: string,
  nodeId: string,
): { cmd: Redis & ScriptCommands; sub: Redis } {
  const settings = {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    connectionName: `roomcast:${nodeId}`,
    disconnectTimeout: DISCONNECT_MS,
    retryStrategy: (times: number) =>
      Math.min(50 * 2 ** Math.min(times, 5), MAX_BACKOFF_MS) +
      Math.random() * 100,
  };
  // Commands issued in one event-loop turn go out in one write.
  const cmd = new Redis(url, {
    ...settings,
    enableAutoPipelining: true,
  }) as Redis & ScriptCommands;
  for (const name of Object.keys(SCRIPTS) as (keyof typeof SCRIPTS)[]) {
    cmd.defineCommand(name, { numberOfKeys: 0, lua: scriptSource(name) });
  }
  // The subscriber queues SUBSCRIBE until it is connected; ioredis
  // subscribes again by itself after every reconnect.
  const sub = new Redis(url, {
    ...settings,
    enableOfflineQueue: true,
    maxRetriesPerRequest: null,
  });
  return { cmd, sub };
}

/**
 * The start of every envelope this node publishes.
 *
 * @throws {RangeError} When the node id is empty, longer than 255 bytes or
 *   has a line break.
 */
export function envelopeHead(nodeId: string): Buffer {
  const id = new TextEncoder().encode(nodeId);
  if (id.length === 0 || id.length > 255 || nodeId.includes("\n")) {
    throw new RangeError(
      `Cannot use node id "${nodeId}": 1 to 255 bytes, no line breaks`,
    );
  }
  return Buffer.concat([Buffer.from([ENVELOPE_VERSION, id.length]), id]);
}

/** An envelope around a frame, in one buffer. */
export function seal(head: Buffer, frame: Uint8Array): Buffer {
  const envelope = Buffer.allocUnsafe(head.length + frame.length);
  envelope.set(head, 0);
  envelope.set(frame, head.length);
  return envelope;
}

/**
 * The frame in an envelope (a copy), `null` when it is this node's own
 * (`head`), or a string saying what is wrong with it.
 */
export function open(
  message: Uint8Array,
  head: Uint8Array,
): Uint8Array | null | string {
  if (message.length < 2 || message[0] !== ENVELOPE_VERSION) {
    return "unknown envelope version";
  }
  const start = 2 + (message[1] ?? 0);
  if (start > message.length) return "truncated envelope";
  if (start === head.length) {
    let own = true;
    for (let i = 2; i < start && own; i++) own = message[i] === head[i];
    if (own) return null;
  }
  return new Uint8Array(message.subarray(start));
}

/** `HOST-PID-RANDOM`, the default node id. */
export function defaultNodeId(): string {
  let host = "node";
  try {
    host = Deno.hostname().replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64);
  } catch { /* no sys permission: keep "node" */ }
  const random = crypto.getRandomValues(new Uint8Array(3));
  const hex = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${host}-${Deno.pid}-${hex}`;
}

/**
 * A Redis URL without its password, for logs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(redact("redis://:s3cret@db:6379/0"), "redis://:***@db:6379/0");
 * ```
 */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return url;
  }
}

/** An error's message, without the trailing period ioredis puts there. */
export function errorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/\.$/, "");
}

/**
 * Close a connection now. ioredis gives the socket it ends a grace timer
 * that a socket already dead never clears: wait it out, so that nothing
 * outlives the backplane.
 */
export async function hangUp(client: Redis): Promise<void> {
  if (client.status === "end") return;
  const alive = client.status === "ready" || client.status === "connect";
  client.disconnect();
  if (!alive) await new Promise((r) => setTimeout(r, DISCONNECT_MS + 20));
}
