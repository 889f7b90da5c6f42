/**
 * The session table of a `DatagramServer`, sans-IO: binary sessions by
 * token and text sessions (`nc -u`) by source address, and how each opens.
 * A HELLO gets a fresh token (its first four bytes the table key, the rest
 * random) and the one datagram that answers it, sent again if the HELLO
 * comes again; at most `handshakes` sessions wait for their token to be
 * used, the oldest pushed out. A session that ended with its client told
 * leaves its last datagram behind for `idleTimeoutMs`, sent again to a
 * client that lost it (the ACK and LEFT after LEAVE); at most
 * {@link MAX_ENDED} are kept. Internal to core/datagram/server.ts.
 *
 * @module
 */

import type { Chat } from "../chat.ts";
import { decodeFrame, type Frame } from "../codec/mod.ts";
import type { DatagramAddress } from "./address.ts";
import { ENVELOPE_SIZE, sameToken } from "./frames.ts";
import { BinaryMember, type Link, type Member, TextMember } from "./members.ts";

/** Ended sessions whose last datagram is kept, at most. */
export const MAX_ENDED = 4096;

/** An ended session's last datagram, kept for a client that lost it. */
interface Ended {
  readonly token: string;
  /** The address the session last had: the only one answered. */
  readonly key: string;
  readonly final: Uint8Array;
  /** Forgotten from then on (chat clock). */
  readonly until: number;
}

/** Options of a {@link SessionTable}. */
export interface SessionTableOptions {
  /** The chat whose sessions these are. */
  readonly chat: Chat;
  /** What the members need of their server. */
  readonly link: Link;
  /** Fill an array with cryptographically strong random bytes. */
  random(bytes: Uint8Array): void;
  /** Transport name for sessions. */
  readonly transport: string;
}

/** Addresses remembered as left by their text member, at most. */
const LEFT_MAX = 4096;

/** The datagram sessions of one server. */
export class SessionTable {
  readonly #chat: Chat;
  readonly #link: Link;
  readonly #random: (bytes: Uint8Array) => void;
  readonly #transport: string;
  readonly #byId = new Map<number, BinaryMember>();
  readonly #handshakes = new Map<string, BinaryMember>();
  readonly #texts = new Map<string, TextMember>();
  readonly #ended = new Map<number, Ended>();
  /**
   * Addresses whose text member left (`/quit`, a timeout): the next
   * datagram from one is not taken as a name, oldest forgotten first.
   */
  readonly #left = new Set<string>();
  #nextId = 1;
  #closing = false;

  /** @param options The chat, the members' link, randomness. */
  constructor(options: SessionTableOptions) {
    this.#chat = options.chat;
    this.#link = options.link;
    this.#random = options.random;
    this.#transport = options.transport;
  }

  /** Open sessions (binary and text). */
  get size(): number {
    return this.#byId.size + this.#texts.size;
  }

  /** The binary member with this token (32 hex digits), if any. */
  lookup(token: string): BinaryMember | undefined {
    const m = this.#byId.get(parseInt(token.slice(0, 8), 16));
    return m !== undefined && sameToken(m.token, token) ? m : undefined;
  }

  /**
   * The binary member whose whole ENVELOPE heads `bytes` (a datagram
   * refused for what follows it), with that ENVELOPE's sequence number.
   */
  sessionOf(
    bytes: Uint8Array,
  ): { member: BinaryMember; seq: number } | undefined {
    let envelope: Frame;
    try {
      envelope = decodeFrame(bytes.subarray(0, ENVELOPE_SIZE));
    } catch {
      return undefined;
    }
    if (envelope.type !== "envelope") return undefined;
    const member = this.lookup(envelope.token);
    return member && { member, seq: envelope.seq };
  }

  /**
   * The last datagram of an ended session with this token, when the
   * datagram asking for it comes from the session's last address.
   *
   * @param token The token (32 hex digits).
   * @param key The source address as a string.
   */
  ended(token: string, key: string): Uint8Array | undefined {
    const e = this.#ended.get(parseInt(token.slice(0, 8), 16));
    if (e === undefined || e.key !== key || !sameToken(e.token, token)) {
      return undefined;
    }
    return e.final;
  }

  /** The client used its token: it receives at its address. */
  confirm(m: BinaryMember): void {
    m.confirmed = true;
    if (this.#handshakes.get(m.key) === m) this.#handshakes.delete(m.key);
  }

  /**
   * Answer a HELLO that may open a session (padded, nothing else beside
   * it): the first answer again if it was lost, else a new session and the
   * one datagram that answers it, no larger than `size`.
   *
   * @param hello The HELLO.
   * @param from Its source address.
   * @param key The address as a string.
   * @param size The size of the datagram it came in.
   */
  hello(
    hello: Frame & { type: "hello" },
    from: DatagramAddress,
    key: string,
    size: number,
  ): void {
    const known = this.#handshakes.get(key);
    if (known?.helloReply !== undefined) {
      // The answer was lost: the same answer again, same token.
      this.#link.send(known.helloReply, from);
      return;
    }
    if (this.#handshakes.size >= this.#link.limits.handshakes) {
      const [, oldest] = this.#handshakes.entries().next().value ?? [];
      if (oldest !== undefined) drop(oldest);
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
      idleTimeoutMs: this.#link.limits.idleTimeoutMs,
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

  /**
   * The text member at an address, opened in text mode if there is none;
   * undefined when the chat refuses it.
   *
   * @param from The source address.
   * @param key The address as a string.
   * @param idleTimeoutMs Silence after which the member is removed.
   */
  text(
    from: DatagramAddress,
    key: string,
    idleTimeoutMs: number,
  ): TextMember | undefined {
    let t = this.#texts.get(key);
    if (t === undefined) {
      t = new TextMember(this.#link, from, key);
      const session = this.#chat.connect(t, {
        transport: this.#transport,
        remote: key,
        idleTimeoutMs,
      });
      t.session = session;
      if (session.state === "closed") return undefined;
      this.#texts.set(key, t);
      // The first datagram from an address is its name, except after the
      // member there left: `nc -u` does not end with `/quit`, and the next
      // line typed is a message that came too late, not a name. It is
      // answered with the name prompt instead (and not fed).
      const returning = this.#left.delete(key);
      session.startText({ prompt: returning, datagram: true });
      if (returning) return undefined;
    }
    return t;
  }

  /** Drop a closed member from every table (keeping its last datagram). */
  forget(m: Member): void {
    if (m instanceof BinaryMember) {
      if (this.#byId.get(m.id) === m) this.#byId.delete(m.id);
      if (this.#handshakes.get(m.key) === m) this.#handshakes.delete(m.key);
      if (m.final !== undefined) this.#keep(m, m.final);
    } else if (this.#texts.get(m.key) === m) {
      this.#texts.delete(m.key);
      if (!this.#closing) {
        this.#left.add(m.key);
        if (this.#left.size > LEFT_MAX) {
          this.#left.delete(this.#left.values().next().value!);
        }
      }
    }
  }

  /** Forget ended sessions kept long enough. */
  sweep(now: number): void {
    // Kept in the order they ended, each for the same time.
    for (const [id, e] of this.#ended) {
      if (e.until > now) break;
      this.#ended.delete(id);
    }
  }

  /** Close every session still open as a disconnect. */
  close(): void {
    this.#closing = true;
    for (const m of [...this.#byId.values(), ...this.#texts.values()]) {
      drop(m);
    }
  }

  #allocateId(): number {
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id === 0xffffffff ? 1 : id + 1;
      if (!this.#byId.has(id) && !this.#ended.has(id)) return id;
    }
  }

  #keep(m: BinaryMember, final: Uint8Array): void {
    if (this.#ended.size >= MAX_ENDED) {
      const oldest = this.#ended.keys().next().value;
      if (oldest !== undefined) this.#ended.delete(oldest);
    }
    this.#ended.set(m.id, {
      token: m.token,
      key: m.key,
      final,
      until: this.#chat.now() + this.#link.limits.idleTimeoutMs,
    });
  }
}

/** Close a member's session as a disconnect and forget the member. */
function drop(m: Member): void {
  m.session.close();
  m.close(false);
}
