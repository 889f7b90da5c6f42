/**
 * The client side of the datagram transport (UDP), sans-IO. The adapter
 * gives it a clock and a function that sends one datagram, feeds it what
 * arrives, and calls {@link DatagramClient.tick} at
 * {@link DatagramClient.nextWake}. Here is the session's life (opening,
 * heartbeats, silence, closing) and what it tells its user; beside it are
 * the padded HELLO (handshake.ts), commands sent again until acknowledged
 * (send_window.ts, round_trip.ts), loss detection on what the server
 * sends (event_sequence.ts) and the answers to JOIN and LEAVE, which must
 * not be lost (answers.ts).
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
import { DEFAULT_DATAGRAM_SIZE } from "./limits.ts";
import { sameToken, tokenBytes } from "./frames.ts";
import { Answers } from "./answers.ts";
import { EventSequence } from "./event_sequence.ts";
import { Heartbeat } from "./heartbeat.ts";
import { Handshake } from "./handshake.ts";
import { RoundTrip } from "./round_trip.ts";
import { SendWindow } from "./send_window.ts";
import { FrameError } from "../errors.ts";
import type { ChatEvent, ErrorEvent } from "../events.ts";

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
  /** Told of each event of a type this client does not know (skipped). */
  onSkipped: () => void = () => {};
  /** Called once the session is open. */
  onOpen: () => void = () => {};
  /** Called once when the session ends; with the error that ended it, if any. */
  onClose: (error: ErrorEvent | undefined) => void = () => {};

  readonly #now: () => number;
  readonly #transmit: (bytes: Uint8Array) => void;
  #size: number;
  #state: DatagramClientState = "connecting";
  #token = "";
  /** The token's 16 bytes, for the ENVELOPE at the head of every datagram. */
  #tokenBytes: Uint8Array = new Uint8Array(0);
  readonly #beat = new Heartbeat();
  readonly #rtt = new RoundTrip();
  readonly #window: SendWindow;
  readonly #handshake: Handshake;
  readonly #events = new EventSequence({ lost: (n) => this.onLost(n) });
  readonly #answers = new Answers();
  #notices: ChatEvent[] = [];
  #helloOk: ChatEvent | undefined;
  #closing = false;

  /**
   * A client that has not sent anything yet; {@link DatagramClient.start}
   * opens the session.
   * @param options Clock, transmit function and limits.
   */
  constructor(options: DatagramClientOptions) {
    this.#now = options.now;
    this.#transmit = options.transmit;
    this.#size = options.datagramSize ?? DEFAULT_DATAGRAM_SIZE;
    this.#window = new SendWindow({
      maxTries: options.maxTries ?? 8,
      send: (bytes, now) => this.#send(bytes, now),
      rtt: this.#rtt,
    });
    this.#handshake = new Handshake({
      software: options.software ?? "roomcast-udp/0.1",
      tries: options.helloTries ?? 4,
      send: (bytes, now) => this.#send(bytes, now),
      rtt: this.#rtt,
    });
  }

  /** Where the session is in its life. */
  get state(): DatagramClientState {
    return this.#state;
  }

  /** True when nothing is waiting to be sent or acknowledged. */
  get idle(): boolean {
    return this.#window.idle;
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
    this.#handshake.start(this.#now());
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
    const refused = this.#window.push(command, this.#size);
    if (refused !== undefined) this.#notices.push(refused);
    else this.#answers.queued(command);
  }

  /**
   * Deliver local notices, then send queued commands, packed, as far as the
   * window of unacknowledged datagrams allows.
   */
  flush(): void {
    for (const e of this.#notices.splice(0)) this.#emit(e);
    if (this.#state !== "open") return;
    this.#window.flush(this.#now(), this.#size, this.#tokenBytes);
    this.#answers.sent(this.#window);
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
      const token = this.#handshake.answer(first, frames, now);
      if (token === undefined) return;
      this.#token = token.token;
      this.#tokenBytes = tokenBytes(token.token);
      this.#beat.open(token.idleTimeoutMs, token.pingIntervalMs, now);
      this.#size = Math.min(this.#size, token.maxDatagram);
      this.#events.open(first.seq);
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
    this.#beat.heard(now);
    const events = this.#events.read(first.seq, frames, this.#window, now);
    this.#answers.heard(this.#window, this.#events.lastLost > 0, now);
    for (const e of events) {
      if (this.state === "closed") return;
      if (e === null) {
        this.onSkipped();
        continue;
      }
      if (!this.#answers.event(e)) {
        // A repeated answer to a JOIN sent again: it took an event number
        // all the same (a WELCOME never does).
        if (e.type !== "welcome") this.onSkipped();
        continue;
      }
      if (e.type === "hello_ok" && this.#helloOk === undefined) {
        this.#helloOk = e;
        this.onOpen();
      } else this.#emit(e);
    }
    if (this.state === "closed") return;
    // LEAVE acknowledged: the member has left, even if its LEFT was lost.
    if (this.#answers.left) return this.#end(undefined);
    this.#joinAgain(now);
    this.flush();
  }

  /**
   * Apply time: send the HELLO or unacknowledged datagrams again, ping when
   * quiet, give up when the server stays silent.
   */
  tick(): void {
    if (this.#state === "closed") return;
    const now = this.#now();
    if (this.#handshake.due !== undefined) {
      const hellos = this.#handshake.resend(now);
      if (hellos === undefined) return;
      return this.#fail(
        `Cannot reach the server: no answer to ${hellos} HELLOs`,
      );
    }
    const tries = this.#window.retransmit(now);
    if (tries !== undefined) {
      return this.#fail(
        `Cannot deliver to the server: no acknowledgement after ${tries} tries`,
      );
    }
    this.#joinAgain(now);
    this.flush();
    if (this.state === "closed") return;
    const silent = this.#beat.silent(now);
    if (silent !== undefined) return this.#fail(silent);
    const ping = this.#beat.ping(now, this.#tokenBytes, this.#size);
    if (ping !== undefined) this.#send(ping, now);
  }

  /** When {@link DatagramClient.tick} should run next (clock time), if ever. */
  nextWake(): number | undefined {
    if (this.#state === "closed") return undefined;
    const hello = this.#handshake.due;
    if (hello !== undefined) return hello;
    if (this.#state !== "open") return undefined;
    return this.#window.wake(
      Math.min(
        this.#beat.wake(),
        this.#answers.wake(this.#window) ?? Infinity,
      ),
    );
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

  /** Send the JOIN again if its answer is overdue (answers.ts). */
  #joinAgain(now: number): void {
    const failed = this.#answers.retry(now, this.#window, this.#size);
    if (failed !== undefined) this.#fail(failed);
  }

  #bare(frames: readonly Decoded[]): void {
    // Errors outside a session: refusals of a HELLO or an unknown token.
    for (const f of frames) {
      if (f instanceof FrameError || f.type !== "error") continue;
      // After LEAVE the server may have forgotten the session: left.
      if (f.code === "BAD_TOKEN" && this.#answers.leaving) {
        return this.#end(undefined);
      }
      this.#emit(f as ChatEvent); // an unknown code too (docs/protocol.md)
      if (this.#state === "closed") return;
    }
  }

  #emit(event: ChatEvent): void {
    if (this.#state === "closed") return;
    this.onEvent(event);
    if (event.type === "error" && event.fatal) this.#end(event);
    else if (this.#answers.ends(event)) this.#end(undefined);
  }

  #send(bytes: Uint8Array, now: number): void {
    this.#beat.sent(now);
    this.#transmit(bytes);
  }

  #fail(message: string): void {
    this.#emit({ type: "error", code: "UNAVAILABLE", message, fatal: true });
  }

  #end(error: ErrorEvent | undefined): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#window.clear();
    this.#notices = [];
    this.onClose(error);
  }
}
