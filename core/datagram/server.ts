/**
 * The server side of the datagram transport (UDP), sans-IO. The adapter
 * hands it each datagram with its source address and gives it a function
 * that sends one; everything else is here: session tokens, the reliable
 * and exactly-once client-to-server direction, sequence-stamped
 * server-to-client datagrams packed as full as the size limit allows, rate
 * limits, refusals that never send more bytes than they answer, and text
 * sessions for `nc -u`. docs/protocol.md ("UDP") is the spec.
 *
 * @module
 */

import type { Chat, LogRecord } from "../chat.ts";
import {
  type Command,
  type Decoded,
  decodeFrame,
  decodeFrames,
  type Frame,
  MAGIC,
} from "../codec/mod.ts";
import {
  addressKey,
  type DatagramAddress,
  type DatagramLimits,
  MIN_HELLO_DATAGRAM,
  RateBucket,
  resolveDatagramLimits,
} from "./limits.ts";
import { boundedError, fitFrame } from "./pack.ts";
import { ACK_SIZE, ENVELOPE_SIZE, sameToken, SEQ_SIZE } from "./frames.ts";
import { BinaryMember, type Link, type Member, TextMember } from "./members.ts";
import type { ErrorCodeName } from "../errors.ts";
import { FrameError } from "../errors.ts";
import type { Outgoing } from "../peer.ts";

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

const COMMANDS = new Set(["hello", "join", "say", "who", "leave", "ping"]);

interface AddressState {
  readonly rate: RateBucket;
  logged: boolean;
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
  readonly #send: (bytes: Uint8Array, to: DatagramAddress) => void;
  readonly #schedule: (task: () => void) => void;
  readonly #random: (bytes: Uint8Array) => void;
  readonly #transport: string;
  readonly #log: ((record: LogRecord) => void) | undefined;
  readonly #byId = new Map<number, BinaryMember>();
  readonly #handshakes = new Map<string, BinaryMember>();
  readonly #texts = new Map<string, TextMember>();
  readonly #addresses = new Map<string, AddressState>();
  readonly #dirty = new Set<Member>();
  readonly #link: Link;
  readonly #fitted = new WeakMap<Outgoing, Uint8Array>();
  #scheduled = false;
  #nextId = 1;
  #closed = false;

  /**
   * Serve datagram sessions for a chat.
   * @param chat The chat whose sessions these are.
   * @param options Socket functions, randomness, limits and log.
   */
  constructor(chat: Chat, options: DatagramServerOptions) {
    this.#chat = chat;
    this.limits = resolveDatagramLimits(options.limits);
    this.#send = options.send;
    this.#schedule = options.schedule;
    this.#random = options.random;
    this.#transport = options.transport ?? "udp";
    this.#log = options.log;
    this.#link = {
      limits: this.limits,
      outboundBytes: chat.limits.outboundBytes,
      send: (bytes, to) => {
        this.stats.sent++;
        this.#send(bytes, to);
      },
      fit: (out) => this.#fit(out),
      dirty: (m) => this.#markDirty(m),
      forget: (m) => this.#forget(m),
    };
  }

  /** Open sessions (binary and text). */
  get sessions(): number {
    return this.#byId.size + this.#texts.size;
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
    const address = this.#address(key, now);
    if (!address.rate.take(now)) {
      this.stats.rateLimited++;
      this.#refused(address, key, "RATE_LIMITED");
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
      this.#refused(address, key, e.code);
      this.#reply(bytes.length, from, e.code, e.message, false);
      return;
    }
    const first = frames[0];
    if (first instanceof FrameError) {
      this.stats.malformed++;
      this.#refused(address, key, first.code);
      this.#reply(bytes.length, from, first.code, first.message, false);
    } else if (first?.type === "envelope") {
      const m = this.#lookup(first.token);
      if (m === undefined) {
        return this.#badToken(bytes.length, from, address, key);
      }
      this.#inSession(m, first.seq, frames.slice(1), from, key, now);
    } else if (first?.type === "hello") {
      this.#hello(first, frames, from, key, bytes.length, address);
    } else {
      this.#badToken(bytes.length, from, address, key);
    }
  }

  /**
   * Forget rate-limit state of addresses that have been quiet long enough
   * for their bucket to fill up again. Call it about once a second.
   */
  sweep(): void {
    const now = this.#chat.now();
    for (const [key, a] of this.#addresses) {
      if (a.rate.full(now)) this.#addresses.delete(key);
    }
  }

  /**
   * Stop: every session still open is closed as a disconnect (after a chat
   * shutdown there are none), and later datagrams are ignored.
   */
  close(): void {
    if (this.#closed) return;
    for (const m of [...this.#byId.values(), ...this.#texts.values()]) {
      this.#drop(m);
    }
    this.#flushAll();
    this.#closed = true;
  }

  #inSession(
    m: BinaryMember,
    seq: number,
    frames: readonly Decoded[],
    from: DatagramAddress,
    key: string,
    now: number,
  ): void {
    if (!m.rate.take(now)) {
      this.stats.rateLimited++;
      return;
    }
    m.session.lastSeen = now;
    if (!m.confirmed) {
      m.confirmed = true;
      if (this.#handshakes.get(m.key) === m) this.#handshakes.delete(m.key);
    }
    if (seq === 0) {
      this.#handle(m, frames);
      return;
    }
    const result = m.window.receive(seq, frames);
    if (result.status === "outside") return;
    m.ackDue = true;
    this.#markDirty(m);
    if (result.status === "duplicate") this.stats.duplicates++;
    if (result.status !== "new") return;
    if (key !== m.key) m.move(from, key); // the client's address changed
    for (const batch of result.ready) this.#handle(m, batch);
  }

  #handle(m: BinaryMember, frames: readonly Decoded[]): void {
    const session = m.session;
    for (const f of frames) {
      if (session.state === "closed") return;
      if (f instanceof FrameError) session.error(f.code, f.message);
      else if (COMMANDS.has(f.type)) session.handle(f as Command);
      else if (f.type !== "pad") {
        session.error(
          "UNKNOWN_TYPE",
          `Cannot accept frame "${f.type}": it is not a command`,
        );
      }
    }
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
      return this.#badToken(size, from, address, key);
    }
    if (size < MIN_HELLO_DATAGRAM) {
      this.#refused(address, key, "DATAGRAM_TOO_SMALL");
      this.#reply(
        size,
        from,
        "DATAGRAM_TOO_SMALL",
        `Cannot open a session: pad the HELLO datagram to ${MIN_HELLO_DATAGRAM} bytes`,
        true,
      );
      return;
    }
    const known = this.#handshakes.get(key);
    if (known?.helloReply !== undefined) {
      // The answer was lost: the same answer again, same token.
      this.#link.send(known.helloReply, from);
      return;
    }
    if (this.#handshakes.size >= this.limits.handshakes) {
      const [, oldest] = this.#handshakes.entries().next().value ?? [];
      if (oldest !== undefined) this.#drop(oldest);
    }
    const id = this.#allocateId();
    const token = new Uint8Array(16);
    new DataView(token.buffer).setUint32(0, id);
    this.#random(token.subarray(4));
    const m = new BinaryMember(
      this.#link,
      id,
      token,
      from,
      key,
      this.#chat.now(),
    );
    const session = this.#chat.connect(m, {
      transport: this.#transport,
      remote: key,
      hello: true,
      idleTimeoutMs: this.limits.idleTimeoutMs,
    });
    m.session = session;
    if (session.state !== "closed") session.handle(hello);
    const reply = m.handshake(size);
    if (session.state === "closed") {
      // Full, shutting down, or a version we do not speak: no session.
      if (reply !== undefined) this.#link.send(reply, from);
      return;
    }
    this.#byId.set(id, m);
    this.#handshakes.set(key, m);
    if (reply !== undefined) this.#link.send(reply, from);
  }

  #tooLarge(
    bytes: Uint8Array,
    from: DatagramAddress,
    address: AddressState,
    key: string,
    now: number,
  ): void {
    this.stats.tooLarge++;
    this.#refused(address, key, "DATAGRAM_TOO_LARGE");
    const message =
      `Cannot accept datagram: ${bytes.length} bytes exceeds the limit of ${this.limits.datagramSize}`;
    // From a session: answered in the session, and acknowledged so that its
    // sender stops sending it again.
    let envelope: Frame | undefined;
    try {
      envelope = decodeFrame(bytes.subarray(0, ENVELOPE_SIZE));
    } catch {
      envelope = undefined;
    }
    if (envelope?.type === "envelope") {
      const m = this.#lookup(envelope.token);
      if (m !== undefined) {
        const error = new FrameError("DATAGRAM_TOO_LARGE", message);
        return this.#inSession(m, envelope.seq, [error], from, key, now);
      }
    }
    this.#reply(bytes.length, from, "DATAGRAM_TOO_LARGE", message, false);
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
      if (line.length <= bytes.length) this.#link.send(line, from);
      return;
    }
    let t = this.#texts.get(key);
    if (t === undefined) {
      t = new TextMember(this.#link, from, key);
      const session = this.#chat.connect(t, {
        transport: this.#transport,
        remote: key,
        idleTimeoutMs: timeout,
      });
      t.session = session;
      if (session.state === "closed") return;
      this.#texts.set(key, t);
      session.startText({ prompt: false, datagram: true });
    }
    t.session.lastSeen = now;
    t.session.feed(bytes);
  }

  #lookup(token: string): BinaryMember | undefined {
    const m = this.#byId.get(parseInt(token.slice(0, 8), 16));
    return m !== undefined && sameToken(m.token, token) ? m : undefined;
  }

  #badToken(
    size: number,
    from: DatagramAddress,
    address: AddressState,
    key: string,
  ): void {
    this.stats.badToken++;
    this.#refused(address, key, "BAD_TOKEN");
    this.#reply(
      size,
      from,
      "BAD_TOKEN",
      "Cannot accept datagram: no session has this token (send HELLO for a new one)",
      true,
    );
  }

  /** A bare ERROR, never longer than what it answers. */
  #reply(
    limit: number,
    to: DatagramAddress,
    code: ErrorCodeName,
    message: string,
    fatal: boolean,
  ): void {
    const bytes = boundedError(code, message, limit, fatal);
    if (bytes !== undefined) this.#link.send(bytes, to);
  }

  #address(key: string, now: number): AddressState {
    let a = this.#addresses.get(key);
    if (a === undefined) {
      const rate = this.limits.datagramsPerSecond;
      a = { rate: new RateBucket(rate, rate * 2, now), logged: false };
      this.#addresses.set(key, a);
    }
    return a;
  }

  /** Log a refusal, once per address until the address goes quiet. */
  #refused(address: AddressState, key: string, code: ErrorCodeName): void {
    if (address.logged) return;
    address.logged = true;
    this.#log?.({
      event: "refused",
      transport: this.#transport,
      remote: key,
      code,
    });
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id === 0xffffffff ? 1 : id + 1;
      if (!this.#byId.has(id)) return id;
    }
  }

  #markDirty(m: Member): void {
    this.#dirty.add(m);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.#flushAll());
  }

  #flushAll(): void {
    this.#scheduled = false;
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const m of dirty) m.flush();
  }

  /** Close a member's session as a disconnect and forget the member. */
  #drop(m: Member): void {
    m.session.close();
    m.close(false);
  }

  /**
   * The frame for an event in a datagram: the shared frame when it fits,
   * else one made to fit, once per event.
   */
  #fit(out: Outgoing): Uint8Array {
    const size = this.limits.datagramSize;
    const room = size - SEQ_SIZE - ACK_SIZE;
    const bytes = out.binary();
    if (bytes.length <= room) return bytes;
    let fitted = this.#fitted.get(out);
    if (fitted === undefined) {
      fitted = fitFrame(out, room, size);
      this.#fitted.set(out, fitted);
    }
    return fitted;
  }

  #forget(m: Member): void {
    this.#dirty.delete(m);
    if (m instanceof BinaryMember) {
      if (this.#byId.get(m.id) === m) this.#byId.delete(m.id);
      if (this.#handshakes.get(m.key) === m) this.#handshakes.delete(m.key);
    } else if (this.#texts.get(m.key) === m) {
      this.#texts.delete(m.key);
    }
  }
}
