/**
 * The conformance kit's UDP client, written from docs/protocol.md (12) and
 * nothing else: a padded HELLO sent again until answered, numbered
 * datagrams sent again until acknowledged, events numbered and lost ones
 * counted, a PING when quiet, and the answers that must not be lost (a JOIN
 * acknowledged but unanswered is sent again; an acknowledged LEAVE, or
 * BAD_TOKEN after it, ends the session). It is a second implementation of
 * the client side beside roomcast's own (core/datagram/client.ts), so that
 * the kit tests a server against the document, not against our client.
 *
 * @module
 */

import dgram from "node:dgram";
import { type Command, encodeFrame, type Frame } from "../../core/codec/mod.ts";
import type { ChatEvent } from "../../core/events.ts";
import { type ConformanceClient, WAIT_MS } from "./client.ts";
import { EventInbox } from "./inbox.ts";
import { udpTarget } from "./relay.ts";
import { decoded, paddedHello } from "./udp_raw.ts";
import { UdpSender } from "./udp_sender.ts";

const TICK_MS = 50;
const HELLO_RTO_MS = 300;
const ANSWER_WAIT_MS = 1000;

/** Options of {@link UdpClient.connect}. */
export interface UdpClientOptions {
  /** Sends of one datagram (or HELLO) before giving up. @default {12} */
  tries?: number;
}

/** A datagram session that follows the document's rules. */
export class UdpClient implements ConformanceClient {
  /** Events the server sent that never arrived (gaps in its numbering). */
  lost = 0;
  /** Times a JOIN was sent again because its answer was overdue. */
  joinsAgain = 0;
  readonly #socket: dgram.Socket;
  readonly #tries: number;
  readonly #inbox = new EventInbox<ChatEvent>();
  readonly #out: UdpSender;
  #pingMs = 10_000;
  #expected = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #paused: Uint8Array[] | undefined;
  #join: {
    frame: Frame;
    seq: number;
    ackedAt?: number;
    lost?: boolean;
    tries: number;
  } | undefined;
  #echo: { event: ChatEvent; repeats: number } | undefined;
  #leave: number | undefined;
  #me: { room: string; name: string } | undefined;
  #ended = false;
  /** Wakes `connect` when the session opens or is refused. */
  #settled: (() => void) | undefined;

  private constructor(socket: dgram.Socket, tries: number) {
    this.#socket = socket;
    this.#tries = tries;
    this.#out = new UdpSender({
      tries,
      send: (bytes) => {
        try {
          socket.send(bytes);
        } catch {
          // closed
        }
      },
    });
    socket.on("message", (msg: Uint8Array) => {
      if (this.#paused) this.#paused.push(new Uint8Array(msg));
      else this.#receive(new Uint8Array(msg));
    });
  }

  /**
   * Open a session with the server at `url`. A refusal (a bare ERROR) is
   * the client's first event, and the session has ended.
   *
   * @throws {Error} When the server does not answer.
   */
  static async connect(
    url: string,
    options: UdpClientOptions = {},
  ): Promise<UdpClient> {
    const { host, port } = udpTarget(url);
    const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((r) => socket.connect(port, host, () => r()));
    const c = new UdpClient(socket, options.tries ?? 12);
    const hello = paddedHello();
    // The answer may be lost: the same HELLO again, with backoff.
    for (let i = 0; i < c.#tries && !c.#ended && c.#out.token === ""; i++) {
      socket.send(hello);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        c.#settled = resolve;
        timer = setTimeout(resolve, HELLO_RTO_MS * 2 ** Math.min(i, 3));
      });
      clearTimeout(timer);
      c.#settled = undefined;
    }
    if (c.#out.token === "" && !c.#ended) {
      await c.close();
      throw new Error(`Cannot open a UDP session with ${url}: no answer`);
    }
    if (!c.#ended) c.#timer = setInterval(() => c.#tick(), TICK_MS);
    return c;
  }

  /** Send a command in a numbered datagram (packed with others queued). */
  send(command: Command): void {
    if (this.#ended) return;
    if (command.type === "join") {
      this.#join = { frame: command, seq: -1, tries: 1 };
    }
    if (command.type === "leave") this.#leave = -1;
    this.#out.queue(encodeFrame(command));
    queueMicrotask(() => this.#flush());
  }

  /** Send bytes as a numbered datagram's frames, after its ENVELOPE. */
  sendRaw(bytes: Uint8Array): void {
    if (this.#ended) return;
    this.#flush();
    this.#out.numbered(bytes);
  }

  /** The next event (see {@link ConformanceClient.next}). */
  next(timeoutMs: number = WAIT_MS): Promise<ChatEvent> {
    return this.#inbox.next(timeoutMs);
  }

  /** The end of the session (see {@link ConformanceClient.ended}). */
  ended(timeoutMs: number = WAIT_MS): Promise<void> {
    return this.#inbox.ended(timeoutMs);
  }

  /** Hold what arrives, unread. */
  pause(): void {
    this.#paused ??= [];
  }

  /** Read what was held, then go on. */
  resume(): void {
    const held = this.#paused ?? [];
    this.#paused = undefined;
    for (const d of held) this.#receive(d);
  }

  /**
   * Close: a session still open is left (one LEAVE, not waited for), so a
   * shared server does not keep the member until its idle timeout.
   */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (!this.#ended && this.#out.token !== "" && this.#leave === undefined) {
      this.#leave = -1;
      this.#out.queue(encodeFrame({ type: "leave" }));
      this.#flush();
    }
    this.#end();
    await new Promise<void>((r) => this.#socket.close(() => r()));
  }

  /** Send what is queued; note the datagram of an awaited JOIN or LEAVE. */
  #flush(): void {
    if (this.#ended) return;
    const seq = this.#out.flush();
    if (this.#join?.seq === -1) this.#join.seq = seq;
    if (this.#leave === -1) this.#leave = seq;
  }

  #tick(): void {
    const now = Date.now();
    const failed = this.#out.retransmit(now);
    if (failed !== undefined) return this.#fail(failed);
    const join = this.#join;
    if (join?.ackedAt !== undefined) {
      if (join.lost || now - join.ackedAt >= ANSWER_WAIT_MS) {
        if (join.tries >= this.#tries) return this.#fail("JOIN unanswered");
        this.joinsAgain++;
        this.#join = { frame: join.frame, seq: -1, tries: join.tries + 1 };
        this.#out.queue(encodeFrame(join.frame));
        this.#flush();
      }
    }
    if (now - this.#out.lastSent >= this.#pingMs) {
      this.#out.unreliable(encodeFrame({ type: "ping", nonce: 1 }));
    }
  }

  #receive(bytes: Uint8Array): void {
    if (this.#ended) return;
    const frames = decoded(bytes);
    const first = frames[0];
    if (first === undefined) return;
    if (first.type !== "seq") return this.#bare(frames);
    if (this.#out.token === "") {
      const token = frames.find((f) => f.type === "token");
      if (token?.type !== "token" || token.token !== first.token) return;
      this.#out.token = token.token;
      this.#out.size = Math.min(this.#out.size, token.maxDatagram);
      this.#pingMs = token.pingIntervalMs;
      this.#expected = first.seq +
        frames.filter((f) => !["seq", "token", "ack"].includes(f.type)).length;
      this.#out.unreliable(); // the token used: events may come here now
      this.#settled?.();
      return; // its HELLO_OK is the answer to the opening HELLO
    } else if (first.token !== this.#out.token) return;
    const events: ChatEvent[] = [];
    for (const f of frames.slice(1)) {
      if (f.type === "ack") this.#acked(f.ack, f.mask);
      else if (f.type !== "token") events.push(f as ChatEvent);
    }
    if (first.seq + events.length <= this.#expected) return; // seen already
    const gap = first.seq - this.#expected;
    if (gap > 0) {
      this.lost += gap;
      if (this.#join?.ackedAt !== undefined) this.#join.lost = true;
    }
    const fresh = events.slice(Math.max(0, -gap));
    this.#expected = first.seq + events.length;
    for (const e of fresh) {
      this.#event(e);
      if (this.#ended) return;
    }
    if (this.#leave !== undefined && this.#out.acknowledged(this.#leave)) {
      this.#end(); // LEAVE acknowledged: left, LEFT or not
    }
  }

  #event(e: ChatEvent): void {
    const answer = e.type === "welcome" || (e.type === "error" && !e.fatal);
    if (answer && this.#echo && same(this.#echo.event, e)) {
      if (--this.#echo.repeats === 0) this.#echo = undefined;
      return;
    }
    if (answer && this.#join !== undefined) {
      this.#echo = this.#join.tries > 1
        ? { event: e, repeats: this.#join.tries - 1 }
        : undefined;
      this.#join = undefined;
    }
    if (e.type === "welcome") this.#me = { room: e.room, name: e.name };
    this.#inbox.push(e);
    if (e.type === "error" && e.fatal) this.#end();
    const me = this.#me;
    if (e.type === "left" && me && e.room === me.room && e.name === me.name) {
      this.#end();
    }
  }

  #bare(frames: readonly Frame[]): void {
    for (const f of frames) {
      if (f.type !== "error") continue;
      if (f.code === "BAD_TOKEN" && this.#leave !== undefined) {
        return this.#end(); // the server forgot us after LEAVE: left
      }
      this.#inbox.push(f as ChatEvent);
      if (f.fatal) return this.#end();
    }
  }

  #acked(ack: number, mask: number): void {
    this.#out.acked(ack, mask);
    const join = this.#join;
    if (join?.ackedAt === undefined && this.#out.acknowledged(join?.seq ?? 0)) {
      join!.ackedAt = Date.now();
    }
  }

  #fail(why: string): void {
    this.#inbox.push({
      type: "error",
      code: "UNAVAILABLE",
      message: `Cannot go on (kit client): ${why}`,
      fatal: true,
    });
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#settled?.();
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#out.clear();
    this.#inbox.end();
  }
}

/** The same answer again: the same WELCOME, or the same refusal. */
function same(a: ChatEvent, b: ChatEvent): boolean {
  if (a.type === "welcome" && b.type === "welcome") {
    return a.room === b.room && a.name === b.name;
  }
  return a.type === "error" && b.type === "error" && a.code === b.code;
}
