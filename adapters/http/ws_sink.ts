/**
 * The sending side of a WebSocket chat session: the events of one turn go
 * out as one message (or one per event in `roomcast.v1`), bounded, and the
 * socket is closed without keeping anything for a peer that stopped reading.
 *
 * Deno's server WebSocket cannot be aborted: every `send` copies its bytes
 * into a write task that holds them, and the connection, until the peer has
 * taken them, and `close` only queues a Close frame behind them; nothing
 * cancels those writes (docs/http.md §5, "Closing"). So the sink hands Deno
 * at most {@link DENO_WINDOW} bytes at a time (plus the message that passes
 * it) and keeps the rest itself, as references to the shared events, not
 * copies. A member that falls behind is cut as a slow consumer when what it
 * holds plus what Deno holds passes its outbound bytes; the sink then drops
 * what it held at once, and the socket counts as a connection
 * (`Chat.holdConnection`) until its close event.
 *
 * @module
 */

import type { Outgoing } from "../../core/peer.ts";
import type { EventSink } from "./event_sink.ts";
import type { HttpHub } from "./hub.ts";
import { encodedSize, sendEvents, type WsEncoding } from "./ws_protocol.ts";

/**
 * Bytes handed to Deno and not yet written before the sink holds events
 * back. A reader that keeps up seldom gets near it (under W1 at S = 100 on
 * a busy 2-core box Deno held 37 KB on average when a turn's batch came,
 * at most 83 KB); for one that stopped reading it bounds what a cut socket
 * keeps until it is gone (this, plus the last batch sent).
 */
export const DENO_WINDOW = 64 * 1024;
/** How often sinks holding events back look at their socket again, in ms. */
const PUMP_MS = 5;

// Sinks with events held back or a close waiting, looked at every PUMP_MS.
const waiting = new Set<WsSink>();
let pumpTimer: ReturnType<typeof setInterval> | undefined;

function wait(sink: WsSink): void {
  waiting.add(sink);
  pumpTimer ??= setInterval(pumpAll, PUMP_MS);
}

function unwait(sink: WsSink): void {
  waiting.delete(sink);
  if (waiting.size === 0 && pumpTimer !== undefined) {
    clearInterval(pumpTimer);
    pumpTimer = undefined;
  }
}

function pumpAll(): void {
  for (const sink of [...waiting]) if (sink.pump()) unwait(sink);
}

/** Options of a {@link WsSink}. */
export interface WsSinkOptions {
  /** The hub: its chat (connection count, closing) and limits (linger). */
  readonly hub: HttpHub;
  /** How events are put into messages. */
  readonly encoding: WsEncoding;
}

/** The stream side of a WebSocket: events out, bounded, then the close. */
export class WsSink implements EventSink {
  /** Always `"ws"`. */
  readonly kind = "ws";
  /** How events are put into messages. */
  readonly encoding: WsEncoding;
  readonly #socket: WebSocket;
  readonly #hub: HttpHub;
  #held: Outgoing[] = [];
  #heldBytes = 0;
  /** What Deno held when last asked, plus what was sent since. */
  #inDeno = 0;
  /** The close to send once what is held is sent; `deadline` ends the wait. */
  #closing: { code: number; reason: string; deadline: number } | undefined;
  #closed = false;
  #release: (() => void) | undefined;

  /**
   * @param socket The upgraded socket.
   * @param options The hub and the encoding.
   */
  constructor(socket: WebSocket, options: WsSinkOptions) {
    this.#socket = socket;
    this.#hub = options.hub;
    this.encoding = options.encoding;
  }

  /** Bytes held back here plus those Deno has not written yet (about). */
  get buffered(): number {
    return this.#heldBytes + this.#inDeno;
  }

  /** Bytes an event takes in this socket's encoding. */
  size(out: Outgoing): number {
    return encodedSize(this.encoding, out);
  }

  /** Send a turn's events: now, or once Deno has written what it holds. */
  write(batch: Outgoing[]): void {
    if (this.#closed || this.#closing || batch.length === 0) return;
    if (this.#held.length > 0) {
      // Behind already: after what is held, and sent with it if Deno has
      // written enough by now.
      for (const out of batch) this.#hold(out);
      if (this.pump()) unwait(this);
      return;
    }
    // (A socket no longer open takes nothing: bufferedAmount is 0 and send
    // does nothing, so the hot path does not ask for readyState.)
    const inDeno = this.#socket.bufferedAmount;
    if (inDeno > DENO_WINDOW) {
      this.#inDeno = inDeno;
      for (const out of batch) this.#hold(out);
      wait(this);
      return;
    }
    this.#inDeno = inDeno + sendEvents(this.#socket, this.encoding, batch);
  }

  /**
   * Send one event at once, outside any session (an error before the
   * socket has one).
   *
   * @returns False when the socket already holds more than `limit` bytes:
   *   a client sending bad input without reading the answers.
   */
  sendNow(out: Outgoing, limit: number): boolean {
    if (this.#closed || this.#closing || !this.#open()) return true;
    const inDeno = this.#socket.bufferedAmount;
    if (inDeno > limit) return false;
    this.#inDeno = inDeno + sendEvents(this.#socket, this.encoding, [out]);
    return true;
  }

  /**
   * End the stream. With `flush`, what is held is sent first (for at most
   * the linger time); the Close frame follows it. Without (a slow
   * consumer), what is held is dropped and the socket is closed at once.
   */
  close(flush: boolean): void {
    const [code, reason] = !flush
      ? [1008, "slow consumer"]
      : this.#hub.chat.closing
      ? [1001, "server shutting down"]
      : [1000, ""];
    if (this.#closed || this.#closing) return;
    if (!flush) this.#drop();
    // The session is over, the socket is not: it counts as a connection
    // until its close event.
    this.#release ??= this.#hub.chat.holdConnection();
    this.shut(code, reason);
  }

  /**
   * Close with a code, once what is held is sent (for at most the linger
   * time).
   */
  shut(code: number, reason: string): void {
    if (this.#closed || this.#closing) return;
    this.#closing = {
      code,
      reason,
      deadline: Date.now() + this.#hub.limits.lingerMs,
    };
    if (this.pump()) unwait(this);
    else wait(this);
  }

  /** The socket closed: stop sending and give back its connection. */
  closed(): void {
    this.#closed = true;
    this.#drop();
    unwait(this);
    this.#release?.();
    this.#release = undefined;
  }

  /**
   * Send what is held if Deno has written enough, then the close if one is
   * waiting. Called every few ms while the sink waits.
   *
   * @returns True when nothing is left to wait for.
   */
  pump(): boolean {
    if (this.#closed || !this.#open()) return true;
    const closing = this.#closing;
    if (this.#held.length > 0) {
      const inDeno = this.#socket.bufferedAmount;
      this.#inDeno = inDeno;
      if (inDeno <= DENO_WINDOW) {
        const held = this.#held;
        this.#drop();
        this.#inDeno += sendEvents(this.#socket, this.encoding, held);
      } else if (closing === undefined || Date.now() < closing.deadline) {
        return false;
      } else this.#drop(); // past the linger time: what is held is lost
    }
    if (closing === undefined) return true;
    this.#socket.close(closing.code, closing.reason);
    return true;
  }

  #hold(out: Outgoing): void {
    this.#held.push(out);
    this.#heldBytes += encodedSize(this.encoding, out);
  }

  #drop(): void {
    this.#held = [];
    this.#heldBytes = 0;
  }

  #open(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }
}
