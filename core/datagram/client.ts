/**
 * The client side of the datagram transport (UDP), sans-IO: the padded
 * HELLO that opens a session, commands packed into sequence-numbered
 * datagrams and sent again until acknowledged (bounded tries), heartbeats,
 * and loss detection on what the server sends. The adapter gives it a clock
 * and a function that sends one datagram, feeds it what arrives, and calls
 * {@link DatagramClient.tick} at {@link DatagramClient.nextWake}.
 *
 * @module
 */

import {
  type Command,
  type Decoded,
  decodeFrames,
  encodeFrame,
  PROTOCOL_VERSION,
} from "../codec/mod.ts";
import { DEFAULT_DATAGRAM_SIZE, MIN_HELLO_DATAGRAM, WINDOW } from "./limits.ts";
import { packFrames } from "./pack.ts";
import {
  encodeEnvelope,
  ENVELOPE_SIZE,
  sameToken,
  tokenBytes,
} from "./frames.ts";
import { FrameError } from "../errors.ts";
import { type ChatEvent, type ErrorEvent, isEventType } from "../events.ts";

/** Options of a {@link DatagramClient}. */
export interface DatagramClientOptions {
  /** The clock, in ms. */
  now(): number;
  /** Send one datagram to the server. */
  transmit(bytes: Uint8Array): void;
  /** Largest datagram this client sends. @default {1200} */
  datagramSize?: number;
  /** Sends of one datagram before giving up on the server. @default {8} */
  maxTries?: number;
  /** Sends of the opening HELLO before giving up. @default {4} */
  helloTries?: number;
  /** Software name in HELLO. @default {"roomcast-udp/0.1"} */
  software?: string;
}

/** Where a client is in its life. */
export type DatagramClientState = "connecting" | "open" | "closed";

interface Outstanding {
  readonly bytes: Uint8Array;
  readonly first: number;
  tries: number;
  due: number;
}

const MIN_RTO = 200;
const MAX_RTO = 4000;
const HELLO_RTO = 250;
const MAX_QUEUED = 4096;

/**
 * One client's datagram session.
 *
 * @example
 * ```ts ignore
 * const client = new DatagramClient({ now: () => performance.now(), transmit });
 * client.onEvent = (e) => console.log(e);
 * client.start();
 * socket.on("message", (bytes) => client.receive(bytes));
 * ```
 */
export class DatagramClient {
  /** Receives each event from the server, in order. */
  onEvent: (event: ChatEvent) => void = () => {};
  /** Told how many server events were lost when a gap is seen. */
  onLost: (count: number) => void = () => {};
  /** Called once the session is open. */
  onOpen: () => void = () => {};
  /** Called once when the session ends; with the error that ended it, if any. */
  onClose: (error: ErrorEvent | undefined) => void = () => {};

  readonly #now: () => number;
  readonly #transmit: (bytes: Uint8Array) => void;
  readonly #maxTries: number;
  readonly #helloTries: number;
  readonly #software: string;
  #size: number;
  #state: DatagramClientState = "connecting";
  #token = "";
  /** The token's 16 bytes, for the ENVELOPE at the head of every datagram. */
  #tokenBytes: Uint8Array = new Uint8Array(0);
  #idleMs = 30_000;
  #pingMs = 10_000;
  #nextSeq = 1;
  #expected = 0;
  #nonce = 0;
  readonly #unacked = new Map<number, Outstanding>();
  #queue: Uint8Array[] = [];
  #notices: ChatEvent[] = [];
  #hello: Outstanding | undefined;
  #helloOk: ChatEvent | undefined;
  #lastSent = 0;
  #lastHeard = 0;
  #srtt = 0;
  #rttvar = 0;
  #rto = 500;
  #closing = false;
  #me: { name: string; room: string } | undefined;

  /**
   * A client that has not sent anything yet; {@link DatagramClient.start}
   * opens the session.
   * @param options Clock, transmit function and limits.
   */
  constructor(options: DatagramClientOptions) {
    this.#now = options.now;
    this.#transmit = options.transmit;
    this.#size = options.datagramSize ?? DEFAULT_DATAGRAM_SIZE;
    this.#maxTries = options.maxTries ?? 8;
    this.#helloTries = options.helloTries ?? 4;
    this.#software = options.software ?? "roomcast-udp/0.1";
  }

  /** Where the session is in its life. */
  get state(): DatagramClientState {
    return this.#state;
  }

  /** True when nothing is waiting to be sent or acknowledged. */
  get idle(): boolean {
    return this.#queue.length === 0 && this.#unacked.size === 0;
  }

  /** The session token (32 hex digits), once the session is open. */
  get token(): string {
    return this.#token;
  }

  /** Largest datagram in use (the smaller of ours and the server's). */
  get datagramSize(): number {
    return this.#size;
  }

  /** Send the opening HELLO, padded so the server may answer it. */
  start(): void {
    const hello = encodeFrame({
      type: "hello",
      version: PROTOCOL_VERSION,
      software: this.#software,
    });
    const pad = encodeFrame({
      type: "pad",
      length: Math.max(0, MIN_HELLO_DATAGRAM - hello.length - 6),
    });
    const [bytes] = packFrames(
      [hello, pad],
      MIN_HELLO_DATAGRAM + 64,
      () => new Uint8Array(0),
    );
    const now = this.#now();
    this.#hello = { bytes: bytes!, first: now, tries: 1, due: now + HELLO_RTO };
    this.#send(bytes!, now);
  }

  /**
   * Queue a command; it goes out with the next {@link DatagramClient.flush}.
   * A HELLO for our protocol version is answered here (the session already
   * said it); another version goes to the server (which refuses it).
   */
  send(command: Command): void {
    if (this.#state === "closed" || this.#closing) return;
    if (command.type === "hello" && command.version === PROTOCOL_VERSION) {
      if (this.#helloOk) this.#notices.push(this.#helloOk);
      return;
    }
    const frame = encodeFrame(command);
    if (frame.length > this.#size - ENVELOPE_SIZE) {
      this.#notices.push({
        type: "error",
        code: "DATAGRAM_TOO_LARGE",
        message:
          `Cannot send ${command.type}: ${frame.length} bytes do not fit a ${this.#size}-byte datagram`,
        fatal: false,
      });
      return;
    }
    if (this.#queue.length >= MAX_QUEUED) {
      this.#notices.push({
        type: "error",
        code: "RATE_LIMITED",
        message:
          `Cannot send ${command.type}: ${MAX_QUEUED} commands are already waiting`,
        fatal: false,
      });
      return;
    }
    this.#queue.push(frame);
  }

  /**
   * Deliver local notices, then send queued commands, packed, as far as the
   * window of unacknowledged datagrams allows.
   */
  flush(): void {
    for (const e of this.#notices.splice(0)) this.#emit(e);
    if (this.#state !== "open") return;
    const now = this.#now();
    while (this.#queue.length > 0 && this.#unacked.size < WINDOW) {
      let n = 0, length = ENVELOPE_SIZE;
      while (
        n < this.#queue.length && length + this.#queue[n]!.length <= this.#size
      ) length += this.#queue[n++]!.length;
      const frames = this.#queue.splice(0, n);
      const seq = this.#nextSeq++;
      const head = encodeEnvelope(this.#tokenBytes, seq);
      const [bytes] = packFrames(frames, this.#size, () => head);
      this.#unacked.set(seq, {
        bytes: bytes!,
        first: now,
        tries: 1,
        due: now + this.#rto,
      });
      this.#send(bytes!, now);
    }
    if (this.#closing && this.idle) this.#end(undefined);
  }

  /** Take one datagram from the server. */
  receive(bytes: Uint8Array): void {
    if (this.#state === "closed") return;
    let frames: Decoded[];
    try {
      frames = decodeFrames(bytes, { maxFrameSize: 1 << 24 });
    } catch {
      return; // not from a roomcast server
    }
    const first = frames[0];
    if (first === undefined || first instanceof FrameError) return;
    if (first.type !== "seq") return this.#bare(frames);
    const now = this.#now();
    if (this.#state === "connecting") {
      const token = frames.find((f) =>
        !(f instanceof FrameError) && f.type === "token"
      );
      if (
        token === undefined || token instanceof FrameError ||
        token.type !== "token"
      ) return;
      if (!sameToken(token.token, first.token)) return;
      this.#token = token.token;
      this.#tokenBytes = tokenBytes(token.token);
      this.#idleMs = token.idleTimeoutMs;
      this.#pingMs = token.pingIntervalMs;
      this.#size = Math.min(this.#size, token.maxDatagram);
      this.#expected = first.seq;
      if (this.#hello?.tries === 1) this.#sample(now - this.#hello.first);
      this.#hello = undefined;
      this.#state = "open";
      // Using the token proves we receive at this address: from now on the
      // server sends us events (an empty envelope says it, unacknowledged).
      this.#send(
        encodeFrame({ type: "envelope", token: token.token, seq: 0 }),
        now,
      );
    } else if (!sameToken(first.token, this.#token)) {
      return; // an older session's datagram
    }
    this.#lastHeard = now;
    // null: a frame type from a newer server, skipped but counted (it took
    // an event number; docs/protocol.md, forward compatibility).
    const events: (ChatEvent | null)[] = [];
    for (const f of frames.slice(1)) {
      if (f instanceof FrameError && f.code === "UNKNOWN_TYPE") {
        events.push(null);
      } else if (f instanceof FrameError) {
        events.push({
          type: "error",
          code: f.code,
          message: `Cannot read server frame: ${f.message}`,
          fatal: false,
        });
      } else if (f.type === "ack") this.#acked(f.ack, f.mask, now);
      else if (isEventType(f.type)) events.push(f as ChatEvent);
    }
    const seq = first.seq;
    if (seq + events.length > this.#expected) {
      const skip = Math.max(0, this.#expected - seq);
      if (seq > this.#expected) this.onLost(seq - this.#expected);
      this.#expected = seq + events.length;
      for (const e of events.slice(skip)) {
        if (this.state === "closed") return;
        if (e === null) continue;
        if (e.type === "hello_ok" && this.#helloOk === undefined) {
          this.#helloOk = e;
          this.onOpen();
        } else this.#emit(e);
      }
    }
    this.flush();
  }

  /**
   * Apply time: send the HELLO or unacknowledged datagrams again, ping when
   * quiet, give up when the server stays silent.
   */
  tick(): void {
    if (this.#state === "closed") return;
    const now = this.#now();
    const hello = this.#hello;
    if (hello !== undefined) {
      if (now < hello.due) return;
      if (hello.tries >= this.#helloTries) {
        return this.#fail(
          `Cannot reach the server: no answer to ${hello.tries} HELLOs`,
        );
      }
      hello.tries++;
      hello.due = now + HELLO_RTO * 2 ** (hello.tries - 1);
      this.#send(hello.bytes, now);
      return;
    }
    for (const o of this.#unacked.values()) {
      if (now < o.due) continue;
      if (o.tries >= this.#maxTries) {
        return this.#fail(
          `Cannot deliver to the server: no acknowledgement after ${o.tries} tries`,
        );
      }
      o.tries++;
      o.due = now + Math.min(MAX_RTO, this.#rto * 2 ** (o.tries - 1));
      this.#send(o.bytes, now);
    }
    if (now - this.#lastHeard >= this.#idleMs) {
      return this.#fail(
        `Cannot hear the server: nothing for ${
          Math.round(this.#idleMs / 1000)
        } s`,
      );
    }
    if (now - this.#lastSent >= this.#pingMs) {
      const head = encodeEnvelope(this.#tokenBytes, 0);
      const ping = encodeFrame({ type: "ping", nonce: ++this.#nonce >>> 0 });
      this.#send(packFrames([ping], this.#size, () => head)[0]!, now);
    }
  }

  /** When {@link DatagramClient.tick} should run next (clock time), if ever. */
  nextWake(): number | undefined {
    if (this.#state === "closed") return undefined;
    if (this.#hello !== undefined) return this.#hello.due;
    if (this.#state !== "open") return undefined;
    let wake = Math.min(
      this.#lastSent + this.#pingMs,
      this.#lastHeard + this.#idleMs,
    );
    for (const o of this.#unacked.values()) wake = Math.min(wake, o.due);
    return wake;
  }

  /**
   * End the session from this side: at once while connecting, else once
   * everything sent has been acknowledged (or given up on).
   */
  close(): void {
    if (this.#state === "closed") return;
    this.#closing = true;
    if (this.#state === "connecting" || this.idle) this.#end(undefined);
  }

  #bare(frames: readonly Decoded[]): void {
    // Errors outside a session: refusals of a HELLO or an unknown token.
    for (const f of frames) {
      if (f instanceof FrameError || f.type !== "error") continue;
      this.#emit(f as ChatEvent); // an unknown code too (docs/protocol.md)
      if (this.#state === "closed") return;
    }
  }

  #emit(event: ChatEvent): void {
    if (this.#state === "closed") return;
    this.onEvent(event);
    if (event.type === "welcome") {
      this.#me = { name: event.name, room: event.room };
    } else if (event.type === "error" && event.fatal) {
      this.#end(event);
    } else if (
      event.type === "left" && event.name === this.#me?.name &&
      event.room === this.#me.room
    ) {
      this.#end(undefined); // the server removed us and forgot the session
    }
  }

  #acked(ack: number, mask: number, now: number): void {
    for (const [seq, o] of this.#unacked) {
      const bit = seq - ack - 1;
      if (seq <= ack || (bit < 32 && (mask >>> bit) & 1)) {
        if (o.tries === 1) this.#sample(now - o.first);
        this.#unacked.delete(seq);
      }
    }
  }

  /** RFC 6298 round-trip estimate from one sample (Karn: first sends only). */
  #sample(rtt: number): void {
    if (this.#srtt === 0) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    const rto = this.#srtt + Math.max(10, 4 * this.#rttvar);
    this.#rto = Math.min(MAX_RTO, Math.max(MIN_RTO, rto));
  }

  #send(bytes: Uint8Array, now: number): void {
    this.#lastSent = now;
    this.#transmit(bytes);
  }

  #fail(message: string): void {
    this.#emit({ type: "error", code: "UNAVAILABLE", message, fatal: true });
  }

  #end(error: ErrorEvent | undefined): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#unacked.clear();
    this.#queue = [];
    this.#notices = [];
    this.onClose(error);
  }
}
