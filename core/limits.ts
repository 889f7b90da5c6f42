/**
 * Every limit of a chat, with its default. Each one has a `serve` flag
 * (docs in README.md) and a test that trips it.
 *
 * @module
 */

import { DEFAULT_MAX_FRAME_SIZE, HEADER_SIZE } from "./codec/mod.ts";
import { DEFAULT_MAX_NAME_LENGTH, MAX_ROOM_LENGTH } from "./names.ts";
import { DEFAULT_OUTBOUND_BYTES } from "./outbox.ts";

/** Limits of a chat. */
export interface Limits {
  /** Largest frame accepted, header included, in bytes. @default {65536} */
  readonly maxFrameSize: number;
  /** Largest message text, in UTF-8 bytes (at most 60000). @default {4096} */
  readonly maxMessageBytes: number;
  /** Longest member name, in code points. @default {32} */
  readonly maxNameLength: number;
  /** Outbound buffer per connection before slow_consumer, in bytes. @default {1048576} */
  readonly outboundBytes: number;
  /** Time to join after connecting, in ms. @default {10000} */
  readonly joinTimeoutMs: number;
  /** Most connections at once. @default {20000} */
  readonly maxConnections: number;
  /** Messages per second per member, sustained; 0 turns the limit off. @default {20} */
  readonly messagesPerSecond: number;
  /** Messages a member may send in a burst above the rate. @default {40} */
  readonly messageBurst: number;
  /** Commands queued while a JOIN is being decided. @default {64} */
  readonly pendingCommands: number;
  /** Messages and announcements kept per room for joiners; 0 keeps none. @default {50} */
  readonly historyLength: number;
  /**
   * Bytes of history kept per room (UTF-8 of each text and sender). @default {65536}
   */
  readonly historyBytes: number;
  /**
   * Time a resumable member whose connection went away keeps its name and
   * room, in ms; 0: members leave at once. @default {60000}
   */
  readonly resumeGraceMs: number;
  /**
   * Events kept per resumable member for a resume to give back (also bounded
   * by `outboundBytes`). @default {256}
   */
  readonly replayEvents: number;
  /**
   * Refusals (non-fatal errors) a connection may draw within
   * {@link Limits.refusalWindowMs} before it is cut with the fatal
   * `TOO_MANY_ERRORS`; 0 never cuts. @default {100}
   */
  readonly maxRefusals: number;
  /** The window of {@link Limits.maxRefusals}, in ms. @default {10000} */
  readonly refusalWindowMs: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: Limits = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  maxMessageBytes: 4096,
  maxNameLength: DEFAULT_MAX_NAME_LENGTH,
  outboundBytes: DEFAULT_OUTBOUND_BYTES,
  joinTimeoutMs: 10_000,
  maxConnections: 20_000,
  messagesPerSecond: 20,
  messageBurst: 40,
  pendingCommands: 64,
  historyLength: 50,
  historyBytes: 65536,
  resumeGraceMs: 60_000,
  replayEvents: 256,
  maxRefusals: 100,
  refusalWindowMs: 10_000,
};

/** Largest message limit that still fits a u16 string field with room to spare. */
export const MAX_MESSAGE_LIMIT = 60_000;

/**
 * Fill in defaults and check values.
 *
 * @param given Limits to override.
 * @returns Complete limits.
 * @throws {RangeError} When a limit is out of range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(resolveLimits({ maxMessageBytes: 100 }).maxMessageBytes, 100);
 * assert.throws(() => resolveLimits({ maxFrameSize: 3 }), RangeError);
 * ```
 */
export function resolveLimits(given: Partial<Limits> = {}): Limits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!Object.hasOwn(DEFAULT_LIMITS, key)) {
      throw new RangeError(`Cannot set limit "${key}": no such limit`);
    }
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot set limit "${key}": ${value} is not a whole number >= 0`,
      );
    }
    (limits as Record<string, number>)[key] = value;
  }
  if (limits.maxFrameSize < 64) {
    throw new RangeError(
      `Cannot set limit "maxFrameSize": ${limits.maxFrameSize} is below 64`,
    );
  }
  if (
    limits.maxMessageBytes < 1 || limits.maxMessageBytes > MAX_MESSAGE_LIMIT
  ) {
    throw new RangeError(
      `Cannot set limit "maxMessageBytes": ${limits.maxMessageBytes} is not within 1..${MAX_MESSAGE_LIMIT}`,
    );
  }
  // A MESSAGE frame carries the text plus room and sender names.
  // Worst case: 4 UTF-8 bytes per code point of the room and the name.
  const reserve = HEADER_SIZE + 6 + 4 * MAX_ROOM_LENGTH +
    4 * limits.maxNameLength;
  if (limits.maxMessageBytes + reserve > limits.maxFrameSize) {
    throw new RangeError(
      `Cannot set limit "maxMessageBytes": ${limits.maxMessageBytes} does not fit a frame of ${limits.maxFrameSize} bytes (${reserve} are needed for the header, room and name)`,
    );
  }
  for (
    const key of [
      "messageBurst",
      "joinTimeoutMs",
      "outboundBytes",
      "maxConnections",
      "refusalWindowMs",
    ] as const
  ) {
    if (limits[key] < 1) {
      throw new RangeError(`Cannot set limit "${key}": it must be >= 1`);
    }
  }
  if (limits.maxNameLength < 1) {
    throw new RangeError('Cannot set limit "maxNameLength": it must be >= 1');
  }
  return limits;
}
