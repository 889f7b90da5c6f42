/**
 * Building blocks of the datagram transport (UDP), sans-IO: the limits, a
 * token bucket, the receive window that makes client-to-server delivery
 * reliable and exactly-once, and the packing of frames (or text lines) into
 * as few datagrams as the size limit allows. core/datagram_server.ts and
 * core/datagram_client.ts put them together; docs/protocol.md ("UDP") is
 * the spec.
 *
 * @module
 */

import { encodeFrame } from "./codec.ts";
import type { Decoded } from "./codec.ts";
import type { ErrorCodeName } from "./errors.ts";
import type { Outgoing } from "./peer.ts";

/** Default largest datagram, in bytes: fits any path with an IPv6-sized MTU. */
export const DEFAULT_DATAGRAM_SIZE = 1200;
/** Smallest datagram size the server can be set to. */
export const MIN_DATAGRAM_SIZE = 512;
/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM_SIZE = 65507;
/**
 * Smallest datagram that may open a session (HELLO without a token): the
 * answer is smaller, so a forged HELLO cannot make the server an amplifier.
 */
export const MIN_HELLO_DATAGRAM = 256;
/** Client datagrams that may be outstanding (sent, not yet acknowledged). */
export const WINDOW = 32;

/** Limits of the datagram transport. */
export interface DatagramLimits {
  /** Largest datagram accepted and sent, in bytes. @default {1200} */
  readonly datagramSize: number;
  /** Silence after which a binary member is removed, in ms. @default {30000} */
  readonly idleTimeoutMs: number;
  /**
   * Silence after which a text member (`nc -u`) is removed, in ms; 0 turns
   * text mode over UDP off. @default {600000}
   */
  readonly textIdleTimeoutMs: number;
  /**
   * Datagrams per second from one address, and from one session; bursts of
   * twice as many. 0 turns the limit off. @default {100}
   */
  readonly datagramsPerSecond: number;
  /** Sessions that said HELLO but have not used their token yet. @default {1024} */
  readonly handshakes: number;
}

/** The default datagram limits. */
export const DEFAULT_DATAGRAM_LIMITS: DatagramLimits = {
  datagramSize: DEFAULT_DATAGRAM_SIZE,
  idleTimeoutMs: 30_000,
  textIdleTimeoutMs: 600_000,
  datagramsPerSecond: 100,
  handshakes: 1024,
};

/**
 * Fill in defaults and check values.
 *
 * @param given Limits to override.
 * @returns Complete limits.
 * @throws {RangeError} When a value is out of range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(resolveDatagramLimits({}).datagramSize, 1200);
 * assert.throws(() => resolveDatagramLimits({ datagramSize: 100 }), RangeError);
 * ```
 */
export function resolveDatagramLimits(
  given: Partial<DatagramLimits> = {},
): DatagramLimits {
  const limits = { ...DEFAULT_DATAGRAM_LIMITS };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(DEFAULT_DATAGRAM_LIMITS, key)) {
      throw new RangeError(`Cannot set datagram limit "${key}": no such limit`);
    }
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot set datagram limit "${key}": ${value} is not a whole number >= 0`,
      );
    }
    (limits as Record<string, number>)[key] = value;
  }
  const size = limits.datagramSize;
  if (size < MIN_DATAGRAM_SIZE || size > MAX_DATAGRAM_SIZE) {
    throw new RangeError(
      `Cannot set datagram limit "datagramSize": ${size} is not within ${MIN_DATAGRAM_SIZE}..${MAX_DATAGRAM_SIZE}`,
    );
  }
  if (limits.idleTimeoutMs < 1000) {
    throw new RangeError(
      `Cannot set datagram limit "idleTimeoutMs": ${limits.idleTimeoutMs} is below 1000`,
    );
  }
  if (limits.handshakes < 1) {
    throw new RangeError(
      'Cannot set datagram limit "handshakes": it must be >= 1',
    );
  }
  return limits;
}

/**
 * A token bucket: `rate` per second, holding at most `burst`. Time is given
 * by the caller (the chat clock).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const b = new RateBucket(1, 2, 0);
 * assert.deepEqual([b.take(0), b.take(0), b.take(0)], [true, true, false]);
 * assert.equal(b.take(1000), true);
 * ```
 */
export class RateBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #at: number;

  /**
   * @param rate Tokens per second; 0 means no limit.
   * @param burst Most tokens held.
   * @param now Current time in ms.
   */
  constructor(rate: number, burst: number, now: number) {
    this.#rate = rate;
    this.#burst = burst;
    this.#tokens = burst;
    this.#at = now;
  }

  /** Take one token; false when there is none. */
  take(now: number): boolean {
    if (this.#rate === 0) return true;
    this.#refill(now);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** True when the bucket is full again (the sender has been quiet). */
  full(now: number): boolean {
    this.#refill(now);
    return this.#tokens >= this.#burst;
  }

  #refill(now: number): void {
    const t = this.#tokens + ((now - this.#at) * this.#rate) / 1000;
    this.#tokens = Math.min(this.#burst, t);
    this.#at = now;
  }
}

/** What became of a datagram given to an {@link InboundWindow}. */
export type WindowResult =
  /** In order: handle these batches now (it and any held ones it freed). */
  | { readonly status: "new"; readonly ready: readonly (readonly Decoded[])[] }
  /** Seen before: acknowledge again, handle nothing. */
  | { readonly status: "duplicate" }
  /** Ahead of a gap: held until the gap is filled. */
  | { readonly status: "held" }
  /** Too far ahead of the window: dropped unacknowledged. */
  | { readonly status: "outside" };

/**
 * The server's view of one session's client datagrams: each sequence number
 * is handled exactly once and in order. A datagram ahead of a gap is held
 * (up to {@link WINDOW} - 1 of them) until the gap is filled by a
 * retransmission; one seen before is reported as a duplicate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w = new InboundWindow();
 * assert.equal(w.receive(2, []).status, "held");
 * const r = w.receive(1, []);
 * assert.equal(r.status === "new" && r.ready.length, 2);
 * assert.equal(w.receive(1, []).status, "duplicate");
 * assert.deepEqual([w.ack, w.mask], [2, 0]);
 * ```
 */
export class InboundWindow {
  #next = 1;
  readonly #held = new Map<number, readonly Decoded[]>();

  /** Highest seq handled with every seq below it. */
  get ack(): number {
    return this.#next - 1;
  }

  /** Held seqs above {@link InboundWindow.ack}: bit i is seq ack + 1 + i. */
  get mask(): number {
    let mask = 0;
    for (const seq of this.#held.keys()) mask |= 1 << (seq - this.#next);
    return mask >>> 0;
  }

  /**
   * Take a datagram's frames (after its envelope).
   *
   * @param seq Its sequence number (1 or more).
   * @param frames Its decoded frames.
   */
  receive(seq: number, frames: readonly Decoded[]): WindowResult {
    if (seq < this.#next || this.#held.has(seq)) return { status: "duplicate" };
    if (seq >= this.#next + WINDOW) return { status: "outside" };
    if (seq > this.#next) {
      this.#held.set(seq, frames);
      return { status: "held" };
    }
    const ready = [frames];
    this.#next++;
    for (;;) {
      const next = this.#held.get(this.#next);
      if (next === undefined) break;
      this.#held.delete(this.#next);
      ready.push(next);
      this.#next++;
    }
    return { status: "new", ready };
  }
}

/**
 * Pack frames into datagrams of at most `size` bytes, in order, as few as
 * possible. Each datagram starts with `head(i)` (`i`: index of its first
 * frame), then `lead` in the first datagram only, then whole frames. When
 * the first frame does not fit beside the lead, the lead goes alone.
 *
 * @param frames Frames, each small enough to fit a datagram with its head.
 * @param size Largest datagram.
 * @param head The leading bytes of a datagram whose first frame is `i`.
 * @param lead Bytes for the first datagram only (an ACK, a TOKEN).
 * @returns The datagrams; one (head and lead only) when `frames` is empty.
 * @throws {RangeError} When a frame cannot fit.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f = new Uint8Array(400);
 * const out = packFrames([f, f, f], 1000, () => new Uint8Array(10));
 * assert.deepEqual(out.map((d) => d.length), [810, 410]);
 * ```
 */
export function packFrames(
  frames: readonly Uint8Array[],
  size: number,
  head: (first: number) => Uint8Array,
  lead: Uint8Array = new Uint8Array(0),
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  do {
    const h = head(i);
    const l = out.length === 0 ? lead : undefined;
    let length = h.length + (l?.length ?? 0);
    let j = i;
    while (j < frames.length && length + frames[j]!.length <= size) {
      length += frames[j]!.length;
      j++;
    }
    if (j === i && i < frames.length && l === undefined) {
      throw new RangeError(
        `Cannot pack frame: ${
          frames[i]!.length
        } bytes do not fit a ${size}-byte datagram`,
      );
    }
    const d = new Uint8Array(length);
    d.set(h);
    let at = h.length;
    if (l) {
      d.set(l, at);
      at += l.length;
    }
    for (let k = i; k < j; k++) {
      d.set(frames[k]!, at);
      at += frames[k]!.length;
    }
    out.push(d);
    i = j;
  } while (i < frames.length);
  return out;
}

/**
 * Pack text lines into datagrams of at most `size` bytes. A line longer than
 * a datagram is split, at a UTF-8 character boundary.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = new TextEncoder().encode("hello\n");
 * assert.deepEqual(packLines([line, line], 8).map((d) => d.length), [6, 6]);
 * ```
 */
export function packLines(
  lines: readonly Uint8Array[],
  size: number,
): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const line of lines) {
    let at = 0;
    while (line.length - at > size) {
      let cut = at + size;
      while (cut > at && ((line[cut] ?? 0) & 0xc0) === 0x80) cut--;
      if (cut === at) cut = at + size;
      parts.push(line.subarray(at, cut));
      at = cut;
    }
    parts.push(line.subarray(at));
  }
  return parts.length === 0 ? [] : packFrames(parts, size, () => EMPTY);
}

const EMPTY = new Uint8Array(0);

/**
 * An ERROR frame that is at most `limit` bytes long, its message cut short
 * (at a character boundary) to fit; undefined when not even an empty
 * message fits. Used to answer a datagram with no more bytes than it had.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = boundedError("BAD_TOKEN", "Cannot accept datagram: wrong token", 20, true);
 * assert.equal(e?.length, 20);
 * assert.equal(boundedError("BAD_TOKEN", "x", 10, true), undefined);
 * ```
 */
export function boundedError(
  code: ErrorCodeName,
  message: string,
  limit: number,
  fatal: boolean,
): Uint8Array | undefined {
  const full = encodeFrame({ type: "error", code, message, fatal });
  if (full.length <= limit) return full;
  const room = limit - (full.length - utf8Length(message));
  if (room < 0) return undefined;
  let text = "";
  let used = 0;
  for (const c of message) {
    used += utf8Length(c);
    if (used > room) break;
    text += c;
  }
  return encodeFrame({ type: "error", code, message: text, fatal });
}

/**
 * The frame to put in a datagram for an event, given the room left after
 * the datagram's head: the shared binary frame when it fits; a member list
 * (WELCOME, MEMBERS) cut short to fit (its `total` stays exact); otherwise
 * a non-fatal ERROR `DATAGRAM_TOO_LARGE` saying what could not be delivered.
 *
 * @param out The event.
 * @param room Most bytes the frame may take.
 * @param size The datagram size, for the error text.
 * @returns The frame.
 */
export function fitFrame(
  out: Outgoing,
  room: number,
  size: number,
): Uint8Array {
  const bytes = out.binary();
  if (bytes.length <= room) return bytes;
  const event = out.event;
  if (event.type === "welcome" || event.type === "members") {
    const base = encodeFrame({ ...event, members: [] }).length;
    let used = base;
    let n = 0;
    for (const m of event.members) {
      const cost = 2 + utf8Length(m);
      if (used + cost > room) break;
      used += cost;
      n++;
    }
    if (base <= room) {
      return encodeFrame({ ...event, members: event.members.slice(0, n) });
    }
  }
  const what = event.type === "message"
    ? `a message from ${event.from}`
    : event.type === "announcement"
    ? "an announcement"
    : `a ${event.type} event`;
  const error = boundedError(
    "DATAGRAM_TOO_LARGE",
    `Cannot deliver ${what}: ${bytes.length} bytes do not fit a ${size}-byte datagram`,
    room,
    false,
  );
  if (error === undefined) {
    throw new RangeError(`Cannot fit any frame in ${room} bytes`);
  }
  return error;
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (
      c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
