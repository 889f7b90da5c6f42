/**
 * The server side of the datagram transport (UDP), sans-IO. The adapter
 * hands it each datagram with its source address and gives it a function
 * that sends one; everything else is in core/datagram/. This file sorts the
 * datagrams (text for `nc -u`, a HELLO, a session's, or refused) and hands
 * them on: to the session table (sessions.ts: tokens, handshakes, ended
 * sessions' last datagrams), the
 * client-to-server direction (inbound.ts: reliable, exactly-once), the
 * server-to-client one (outbound.ts: sequence-stamped datagrams packed as
 * full as the size limit allows) and refusals (refusals.ts: rate limits,
 * answers never larger than what they answer). docs/protocol.md ("UDP").
 *
 * @module
 */

import type { Chat, LogRecord } from "../chat.ts";
import { type Decoded, decodeFrames, type Frame, MAGIC } from "../codec/mod.ts";
import { addressKey, type DatagramAddress } from "./address.ts";
import {
  type DatagramLimits,
  MIN_HELLO_DATAGRAM,
  resolveDatagramLimits,
} from "./limits.ts";
import { Inbound } from "./inbound.ts";
import { Outbound } from "./outbound.ts";
import { type AddressState, Refusals } from "./refusals.ts";
import { SessionTable } from "./sessions.ts";
import { FrameError } from "../errors.ts";

/** Options of a {@link DatagramServer}. */
export interface DatagramServerOptions {
  /** Send one datagram (the adapter's socket). */
  send(bytes: Uint8Array, to: DatagramAddress): void;
  /** Run a task once the current event-loop turn is done (queueMicrotask). */
  schedule(task: () => void): void;
  /** Fill an array with cryptographically strong random bytes. */
  random(bytes: Uint8Array): void;
  /** Limits to override. */
  limits?: Partial<DatagramLimits>;
  /** Transport name for sessions and logs. @default {"udp"} */
  transport?: string;
  /** Receives refusals (at most one per quiet period per address). */
  log?: (record: LogRecord) => void;
}

/** Running totals of a {@link DatagramServer}. */
export interface DatagramStats {
  /** Datagrams received. */
  received: number;
  /** Datagrams sent. */
  sent: number;
  /** Datagrams dropped by a rate limit. */
  rateLimited: number;
  /** Datagrams refused for a missing or wrong token. */
  badToken: number;
  /** Datagrams that were not a sequence of whole frames. */
  malformed: number;
  /** Datagrams over the size limit. */
  tooLarge: number;
  /** Retransmitted datagrams recognised and not handled again. */
  duplicates: number;
}

/**
 * Datagram sessions of one chat.
 *
 * @example
 * ```ts ignore
 * const server = new DatagramServer(chat, {
 *   send: (bytes, to) => socket.send(bytes, to.port, to.address),
 *   schedule: queueMicrotask,
 *   random: (b) => crypto.getRandomValues(b),
 * });
 * socket.on("message", (msg, rinfo) => server.receive(msg, rinfo));
 * ```
 */
export class DatagramServer {
  /** The limits in force. */
  readonly limits: DatagramLimits;
  /** Running totals. */
  readonly stats: DatagramStats = {
    received: 0,
    sent: 0,
    rateLimited: 0,
    badToken: 0,
    malformed: 0,
    tooLarge: 0,
    duplicates: 0,
  };
  readonly #chat: Chat;
  readonly #outbound: Outbound;
  readonly #sessions: SessionTable;
  readonly #refusals: Refusals;
  readonly #inbound: Inbound;
  #closed = false;

  /**
   * Serve datagram sessions for a chat.
   * @param chat The chat whose sessions these are.
   * @param options Socket functions, randomness, limits and log.
   */
  constructor(chat: Chat, options: DatagramServerOptions) {
    this.#chat = chat;
    this.limits = resolveDatagramLimits(options.limits);
    const transport = options.transport ?? "udp";
    this.#outbound = new Outbound({
      limits: this.limits,
      outboundBytes: chat.limits.outboundBytes,
      stats: this.stats,
      send: options.send,
      schedule: options.schedule,
      forget: (m) => this.#sessions.forget(m),
    });
    const link = this.#outbound;
    this.#sessions = new SessionTable({
      chat,
      link,
      random: options.random,
      transport,
    });
    this.#refusals = new Refusals({
      stats: this.stats,
      link,
      transport,
      log: options.log,
    });
    this.#inbound = new Inbound({
      stats: this.stats,
      sessions: this.#sessions,
      link,
    });
  }

  /** Open sessions (binary and text). */
  get sessions(): number {
    return this.#sessions.size;
  }

  /**
   * Take one datagram.
   *
   * @param bytes The datagram (not kept after the call returns).
   * @param from Its source address.
   */
  receive(bytes: Uint8Array, from: DatagramAddress): void {
    if (this.#closed) return;
    this.stats.received++;
    const now = this.#chat.now();
    const key = addressKey(from);
    const address = this.#refusals.address(key, now);
    if (!address.rate.take(now)) {
      this.stats.rateLimited++;
      this.#refusals.refused(address, key, "RATE_LIMITED");
      return;
    }
    if (bytes.length === 0) return;
    if (bytes[0] !== MAGIC) return this.#text(bytes, from, key, now);
    if (bytes.length > this.limits.datagramSize) {
      return this.#tooLarge(bytes, from, address, key, now);
    }
    let frames: Decoded[];
    try {
      frames = decodeFrames(bytes, {
        maxFrameSize: this.#chat.limits.maxFrameSize,
      });
    } catch (e) {
      if (!(e instanceof FrameError)) throw e;
      this.stats.malformed++;
      this.#refusals.refused(address, key, e.code);
      return this.#refuse(bytes, e, from, key, now);
    }
    const first = frames[0];
    if (first instanceof FrameError) {
      this.stats.malformed++;
      this.#refusals.refused(address, key, first.code);
      this.#refusals.reply(
        bytes.length,
        from,
        first.code,
        first.message,
        false,
      );
    } else if (first?.type === "envelope") {
      const m = this.#sessions.lookup(first.token);
      if (m !== undefined) {
        this.#inbound.deliver(m, first.seq, frames.slice(1), from, key, now);
        return;
      }
      // An ended session: its last datagram again (the client lost it).
      const final = this.#sessions.ended(first.token, key);
      if (final !== undefined) return this.#outbound.send(final, from);
      this.#refusals.badToken(bytes.length, from, address, key);
    } else if (first?.type === "hello") {
      this.#hello(first, frames, from, key, bytes.length, address);
    } else {
      this.#refusals.badToken(bytes.length, from, address, key);
    }
  }

  /**
   * Forget rate-limit state of addresses that have been quiet long enough
   * for their bucket to fill up again, and ended sessions kept long enough.
   * Call it about once a second.
   */
  sweep(): void {
    const now = this.#chat.now();
    this.#refusals.sweep(now);
    this.#sessions.sweep(now);
  }

  /**
   * Stop: every session still open is closed as a disconnect (after a chat
   * shutdown there are none), and later datagrams are ignored.
   */
  close(): void {
    if (this.#closed) return;
    this.#sessions.close();
    this.#outbound.flush();
    this.#closed = true;
  }

  #hello(
    hello: Frame & { type: "hello" },
    frames: readonly Decoded[],
    from: DatagramAddress,
    key: string,
    size: number,
    address: AddressState,
  ): void {
    if (
      frames.slice(1).some((f) => f instanceof FrameError || f.type !== "pad")
    ) {
      return this.#refusals.badToken(size, from, address, key);
    }
    if (size < MIN_HELLO_DATAGRAM) {
      this.#refusals.refused(address, key, "DATAGRAM_TOO_SMALL");
      this.#refusals.reply(
        size,
        from,
        "DATAGRAM_TOO_SMALL",
        `Cannot open a session: pad the HELLO datagram to ${MIN_HELLO_DATAGRAM} bytes`,
        true,
      );
      return;
    }
    this.#sessions.hello(hello, from, key, size);
  }

  #tooLarge(
    bytes: Uint8Array,
    from: DatagramAddress,
    address: AddressState,
    key: string,
    now: number,
  ): void {
    this.stats.tooLarge++;
    this.#refusals.refused(address, key, "DATAGRAM_TOO_LARGE");
    const message =
      `Cannot accept datagram: ${bytes.length} bytes exceeds the limit of ${this.limits.datagramSize}`;
    const error = new FrameError("DATAGRAM_TOO_LARGE", message);
    this.#refuse(bytes, error, from, key, now);
  }

  /**
   * A datagram refused whole (not whole frames, too large), not fatal:
   * answered in its session and acknowledged when it starts with a whole
   * ENVELOPE of one (sending the same bytes again would not help), else
   * with a bare ERROR no longer than it.
   */
  #refuse(
    bytes: Uint8Array,
    error: FrameError,
    from: DatagramAddress,
    key: string,
    now: number,
  ): void {
    const m = this.#sessions.sessionOf(bytes);
    if (m !== undefined) {
      return this.#inbound.deliver(m.member, m.seq, [error], from, key, now);
    }
    this.#refusals.reply(bytes.length, from, error.code, error.message, false);
  }

  #text(
    bytes: Uint8Array,
    from: DatagramAddress,
    key: string,
    now: number,
  ): void {
    const timeout = this.limits.textIdleTimeoutMs;
    if (timeout === 0) {
      const line = new TextEncoder().encode("text mode is off on UDP\n");
      if (line.length <= bytes.length) this.#outbound.send(line, from);
      return;
    }
    const t = this.#sessions.text(from, key, timeout);
    if (t === undefined) return;
    t.session.lastSeen = now;
    // The datagram limit holds for text too: refused in the session.
    if (bytes.length > this.limits.datagramSize) {
      this.stats.tooLarge++;
      return t.session.error(
        "DATAGRAM_TOO_LARGE",
        `Cannot accept datagram: ${bytes.length} bytes exceeds the limit of ${this.limits.datagramSize}`,
      );
    }
    t.session.feed(bytes);
  }
}
