/**
 * The two kinds of datagram member a `DatagramServer` keeps, each the
 * {@link Peer} of its session: a binary member (token, windows, packed and
 * sequence-stamped datagrams) and a text member (`nc -u`, lines), and the
 * {@link Link} they send through (core/datagram/outbound.ts). Internal to
 * the server (core/datagram/server.ts, sessions.ts).
 *
 * @module
 */

import { encodeFrame } from "../codec/mod.ts";
import type { DatagramAddress } from "./address.ts";
import type { DatagramLimits } from "./limits.ts";
import { InboundWindow } from "./inbound_window.ts";
import { RateBucket } from "./rate_bucket.ts";
import { encodeSeq, restamp, tokenToHex } from "./frames.ts";
import { packFrames, packLines } from "./pack.ts";
import type { Outgoing, Peer } from "../peer.ts";
import type { Session } from "../session.ts";

/** What members need of their server. */
export interface Link {
  /** The server's datagram limits. */
  readonly limits: DatagramLimits;
  /** Bytes a member may have waiting to be sent before it is a slow consumer. */
  readonly outboundBytes: number;
  /** Send one datagram. */
  send(bytes: Uint8Array, to: DatagramAddress): void;
  /** The frame to send for an event (cut or replaced to fit a datagram). */
  fit(out: Outgoing): Uint8Array;
  /** The member has something to send: flush it at the end of the turn. */
  dirty(m: Member): void;
  /** The member is closed: drop it from every table. */
  forget(m: Member): void;
}

/** A binary or text member. */
export type Member = BinaryMember | TextMember;

const EMPTY = new Uint8Array(0);

/** A binary datagram member: one session token, one peer of the chat. */
export class BinaryMember implements Peer {
  /** The token's first four bytes, as a number: the table key. */
  readonly id: number;
  /** The whole token, 32 hex digits. */
  readonly token: string;
  /** Which client datagrams were handled. */
  readonly window: InboundWindow = new InboundWindow();
  /** Datagrams per second from this session. */
  readonly rate: RateBucket;
  /** The chat session; set right after the chat accepts the member. */
  session!: Session;
  /** Where datagrams go (the latest source address of the client). */
  addr: DatagramAddress;
  /** The address as a string. */
  key: string;
  /** True once the client used its token (it can receive at its address). */
  confirmed = false;
  /** An ACK is owed to the client. */
  ackDue = false;
  /** The answer to the opening HELLO, sent again if the HELLO comes again. */
  helloReply: Uint8Array | undefined;
  /**
   * Once the session has ended with the client told (LEAVE, a removal, a
   * fatal error): its last datagram again, for a client that lost it (SEQ,
   * the ACK of everything handled, the last event). Undefined otherwise.
   */
  final: Uint8Array | undefined;
  readonly #link: Link;
  /** The token's 16 bytes, kept for the SEQ at the head of every datagram. */
  readonly #tokenBytes: Uint8Array;
  #pending: Uint8Array[] = [];
  #bytes = 0;
  #nextSeq = 1;
  #closed = false;
  #answered = false;
  #budget = 0;

  constructor(
    link: Link,
    id: number,
    token: Uint8Array,
    addr: DatagramAddress,
    key: string,
    now: number,
  ) {
    this.#link = link;
    this.id = id;
    this.#tokenBytes = token.slice();
    this.token = tokenToHex(token);
    this.addr = addr;
    this.key = key;
    const rate = link.limits.datagramsPerSecond;
    this.rate = new RateBucket(rate, rate * 2, now);
  }

  /** Queue an event; false when too much is waiting (slow consumer). */
  send(out: Outgoing): boolean {
    if (this.#closed) return true;
    const frame = this.#link.fit(out);
    if (this.#bytes + frame.length > this.#link.outboundBytes) return false;
    this.#pending.push(frame);
    this.#bytes += frame.length;
    this.#link.dirty(this);
    return true;
  }

  /**
   * Send what is queued (with `flush`), then forget the member. With
   * `flush`, a member that used its token keeps its last datagram as
   * {@link BinaryMember.final}.
   */
  close(flush: boolean): void {
    if (this.#closed) return;
    if (flush && this.#answered && this.confirmed) {
      const last = this.#pending.at(-1);
      const seq = this.#nextSeq + this.#pending.length - (last ? 1 : 0);
      this.ackDue = true;
      this.#flush();
      this.final = this.#finalDatagram(last, seq);
    } else if (flush) this.#flush();
    this.#closed = true;
    if (this.#answered) this.#clear(); // else kept for the HELLO's answer
    this.#link.forget(this);
  }

  /** The client's address changed (NAT rebinding, roaming). */
  move(addr: DatagramAddress, key: string): void {
    this.addr = addr;
    this.key = key;
  }

  /**
   * Send the acknowledgement owed and every queued event, packed into as
   * few datagrams as fit. To a client that has not used its token yet (its
   * address may be forged) only what its HELLO left of the bytes it may be
   * answered with: at most a final error.
   */
  flush(): void {
    // The session ended and its member is told once its name is free
    // (Backplane.release): the ACK of its LEAVE goes with that `left`, in
    // the final datagram (close). An ACK alone would tell the client it is
    // done before it is told.
    if ((this.session as Session | undefined)?.state === "closed") return;
    this.#flush();
  }

  #flush(): void {
    if (this.#closed || !this.#answered) return;
    if (this.#pending.length === 0 && !this.ackDue) return;
    const lead = this.ackDue
      ? encodeFrame({
        type: "ack",
        ack: this.window.ack,
        mask: this.window.mask,
      })
      : EMPTY;
    this.ackDue = false;
    const frames = this.#pending;
    this.#clear();
    const first = this.#nextSeq;
    this.#nextSeq += frames.length;
    const size = this.#link.limits.datagramSize;
    const head = encodeSeq(this.#tokenBytes, first);
    const datagrams = packFrames(
      frames,
      size,
      (i) => restamp(head, first + i),
      lead,
    );
    if (!this.confirmed) {
      const total = datagrams.reduce((n, d) => n + d.length, 0);
      if (total > this.#budget) return;
      this.#budget -= total;
    }
    for (const d of datagrams) this.#link.send(d, this.addr);
  }

  /**
   * The one datagram that answers the HELLO which opened the session (SEQ,
   * TOKEN, HELLO_OK), or bare errors when the session was refused; at most
   * `limit` bytes, or undefined when that cannot be.
   */
  handshake(limit: number): Uint8Array | undefined {
    const frames = this.#pending;
    this.#clear();
    this.#answered = true;
    if (this.session.state === "closed") {
      let n = 0, length = 0;
      while (n < frames.length && length + frames[n]!.length <= limit) {
        length += frames[n++]!.length;
      }
      return n === 0
        ? undefined
        : packFrames(frames.slice(0, n), limit, () => EMPTY)[0];
    }
    const limits = this.#link.limits;
    const tokenFrame = encodeFrame({
      type: "token",
      token: this.token,
      idleTimeoutMs: limits.idleTimeoutMs,
      pingIntervalMs: Math.floor(limits.idleTimeoutMs / 3),
      maxDatagram: limits.datagramSize,
    });
    const first = this.#nextSeq;
    this.#nextSeq += frames.length;
    const token = this.#tokenBytes;
    const [reply, ...more] = packFrames(
      frames,
      limits.datagramSize,
      () => encodeSeq(token, first),
      tokenFrame,
    );
    if (reply === undefined || more.length > 0 || reply.length > limit) {
      return undefined;
    }
    this.helloReply = reply;
    this.#budget = limit - reply.length;
    return reply;
  }

  /** SEQ (numbering `last`), the ACK of everything handled, `last`. */
  #finalDatagram(last: Uint8Array | undefined, seq: number): Uint8Array {
    const ack = encodeFrame({
      type: "ack",
      ack: this.window.ack,
      mask: this.window.mask,
    });
    const head = encodeSeq(this.#tokenBytes, seq);
    const frames = last === undefined ? [] : [last];
    return packFrames(
      frames,
      this.#link.limits.datagramSize,
      () => head,
      ack,
    )[0]!;
  }

  #clear(): void {
    this.#pending = [];
    this.#bytes = 0;
  }
}

/** A text member (`nc -u`): known by its address, lines in and out. */
export class TextMember implements Peer {
  /** The chat session; set right after the chat accepts the member. */
  session!: Session;
  /** Where datagrams go. */
  readonly addr: DatagramAddress;
  /** The address as a string: the table key. */
  readonly key: string;
  readonly #link: Link;
  #pending: Uint8Array[] = [];
  #bytes = 0;
  #closed = false;

  constructor(link: Link, addr: DatagramAddress, key: string) {
    this.#link = link;
    this.addr = addr;
    this.key = key;
  }

  /** Queue an event's rendered line; false when too much is waiting. */
  send(out: Outgoing): boolean {
    if (this.#closed) return true;
    const line = out.line(this.session?.lang ?? "en");
    if (this.#bytes + line.length > this.#link.outboundBytes) return false;
    this.#pending.push(line);
    this.#bytes += line.length;
    this.#link.dirty(this);
    return true;
  }

  /** Send what is queued (with `flush`), then forget the member. */
  close(flush: boolean): void {
    if (this.#closed) return;
    if (flush) this.flush();
    this.#closed = true;
    this.#pending = [];
    this.#link.forget(this);
  }

  /** Send the queued lines, packed into as few datagrams as fit. */
  flush(): void {
    if (this.#closed || this.#pending.length === 0) return;
    const lines = this.#pending;
    this.#pending = [];
    this.#bytes = 0;
    const size = this.#link.limits.datagramSize;
    for (const d of packLines(lines, size)) this.#link.send(d, this.addr);
  }
}
