/**
 * The sending side of a WebSocket chat session: the events of one turn go
 * out in as few messages as the subprotocol allows (adapters/http/
 * ws_protocol.ts), bounded, and the socket is closed without keeping
 * anything for a peer that stopped reading.
 *
 * Deno's server WebSocket cannot be aborted: every `send` copies its bytes
 * into a write task that holds them, and the connection, until the peer has
 * taken them, and `close` only queues a Close frame behind them; nothing
 * cancels those writes (docs/http.md §5, "Slow readers"). So a sink hands
 * Deno messages only while Deno holds at most {@link DENO_WINDOW} bytes of
 * its socket, and every sink together at most 4 MiB per event-loop turn; it
 * keeps the rest itself, as references to the shared events, not copies, and
 * sends them on at the next turn, or a few ms later while its reader makes
 * no progress (adapters/http/ws_pump.ts). A member that falls behind is cut as a slow
 * consumer when what it holds plus what Deno holds passes its outbound
 * bytes; the sink then drops what it held at once, and the socket counts as
 * a connection (`Chat.holdConnection`) until its close event.
 *
 * @module
 */

import type { Outgoing } from "../../core/peer.ts";
import type { EventSink } from "./event_sink.ts";
import type { HttpHub } from "./hub.ts";
import {
  encodedSize,
  messageEnd,
  sendMessage,
  type WsEncoding,
} from "./ws_protocol.ts";
import { NativeWebSocket } from "./ws_native.ts";
import { type Left, spend, turnSpent, wait } from "./ws_pump.ts";

/**
 * Bytes Deno may hold unwritten for one socket before its sink holds events
 * back. Deno writes only between turns, so a reader that keeps up gets this
 * (plus one message) per turn, and more at the next; a cut socket keeps at
 * most this plus one message until it is gone.
 */
export const DENO_WINDOW = 16 * 1024;
/** Options of a {@link WsSink}. */
export interface WsSinkOptions {
  /** The hub: its chat (connection count, closing) and limits (linger). */
  readonly hub: HttpHub;
  /** How events are put into messages. */
  readonly encoding: WsEncoding;
  /**
   * Cuts the client's connection at once, when the server can (the HTTP
   * front): a slow consumer's socket then goes with everything queued for
   * it, Deno's copies included.
   */
  readonly abort?: (() => void) | undefined;
}

/** The stream side of a WebSocket: events out, bounded, then the close. */
export class WsSink implements EventSink {
  /** Always `"ws"`. */
  readonly kind = "ws";
  /** How events are put into messages. */
  readonly encoding: WsEncoding;
  readonly #socket: WebSocket;
  readonly #hub: HttpHub;
  /** Events held back: `#held[#head]` on, in order. */
  #held: (Outgoing | undefined)[] = [];
  #head = 0;
  #heldBytes = 0;
  /** The first event the last {@link WsSink.#send} did not send. */
  #next = 0;
  /** What Deno held when last asked, plus what was sent since. */
  #inDeno = 0;
  /** The close to send once what is held is sent; `deadline` ends the wait. */
  #closing: { code: number; reason: string; deadline: number } | undefined;
  #closed = false;
  #release: (() => void) | undefined;
  readonly #abort: (() => void) | undefined;
  /**
   * Whether the socket is Deno's, which copies what it is handed and keeps
   * it until its peer reads: then the sink holds events back beyond
   * {@link DENO_WINDOW} and the turn's bytes (ws_pump.ts). The front's own socket
   * (adapters/http/ws_native.ts) keeps references to the shared bytes, says
   * exactly what it has not written, and drops it all when cut: it is
   * handed every event at once, as a TCP connection is, and the member's
   * outbound bytes bound it.
   */
  readonly #deno: boolean;

  /**
   * @param socket The upgraded socket.
   * @param options The hub and the encoding.
   */
  constructor(socket: WebSocket, options: WsSinkOptions) {
    this.#socket = socket;
    this.#hub = options.hub;
    this.encoding = options.encoding;
    this.#abort = options.abort;
    this.#deno = !(socket instanceof NativeWebSocket);
  }

  /** Bytes held back here plus those Deno has not written yet (about). */
  get buffered(): number {
    return this.#heldBytes + this.#inDeno;
  }

  /** Bytes handed to Deno that it has not written yet (0 once closed). */
  get unwritten(): number {
    return this.#socket.readyState === WebSocket.OPEN
      ? this.#socket.bufferedAmount
      : 0;
  }

  /** Bytes an event takes in this socket's encoding. */
  size(out: Outgoing): number {
    return encodedSize(this.encoding, out);
  }

  /** Send a turn's events: now, or once Deno has written what it holds. */
  write(batch: readonly Outgoing[], count: number): void {
    if (this.#closed || this.#closing || count === 0) return;
    if (this.#head === this.#held.length) {
      const left = this.#send(batch, 0, count);
      for (let i = this.#next; i < count; i++) this.#hold(batch[i]!);
      wait(this, left);
      return;
    }
    // Behind already: after what is held, all sent now if Deno has
    // written enough.
    for (let i = 0; i < count; i++) this.#hold(batch[i]!);
    wait(this, this.#sendHeld());
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
    this.#inDeno = inDeno +
      sendMessage(this.#socket, this.encoding, [out], 0, 1);
    return true;
  }

  /**
   * End the stream. With `flush`, what is held is sent first (for at most
   * the linger time); the Close frame follows it. Without (a slow
   * consumer), what is held is dropped and the socket is closed at once:
   * cut, where the server can (the HTTP front), so that what Deno still
   * holds for it goes too; else with a Close frame Deno sends once the peer
   * has read what it took.
   */
  close(flush: boolean): void {
    if (this.#closed || this.#closing) return;
    const [code, reason] = !flush
      ? [1008, "slow consumer"]
      : this.#hub.chat.closing
      ? [1001, "server shutting down"]
      : [1000, ""];
    if (!flush) {
      this.#drop();
      this.#abort?.();
    }
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
    wait(this, this.pump());
  }

  /** The socket closed: stop sending and give back its connection. */
  closed(): void {
    this.#closed = true;
    this.#drop();
    wait(this, "done");
    this.#release?.();
    this.#release = undefined;
  }

  /**
   * Send what is held as far as Deno and the turn allow, then the close if
   * one waits. Called by adapters/http/ws_pump.ts while the sink waits.
   *
   * @returns What is left to wait for.
   */
  pump(): Left {
    if (this.#closed || !this.#open()) return "done";
    let left: Left = this.#head < this.#held.length ? this.#sendHeld() : "done";
    const closing = this.#closing;
    if (closing === undefined) return left;
    if (left !== "done") {
      if (Date.now() < closing.deadline) return left;
      this.#drop(); // past the linger time: what is held is lost
      left = "done";
    }
    this.#socket.close(closing.code, closing.reason);
    return left;
  }

  #sendHeld(): Left {
    const held = this.#held as Outgoing[];
    const left = this.#send(held, this.#head, held.length);
    const next = this.#next;
    for (let i = this.#head; i < next; i++) {
      this.#heldBytes -= encodedSize(this.encoding, held[i]!);
      held[i] = undefined as unknown as Outgoing; // keep no sent event alive
    }
    this.#head = next;
    if (next === held.length) this.#drop();
    else if (next > 1024 && next * 2 > held.length) {
      this.#held = held.slice(next);
      this.#head = 0;
    }
    return left;
  }

  /**
   * Send events `from` to `to - 1`, one message at a time, while Deno holds
   * at most {@link DENO_WINDOW} of this socket and the turn's bytes last
   * (adapters/http/ws_pump.ts). The first event not sent goes to `#next`.
   *
   * @returns What is left to wait for.
   */
  #send(batch: readonly Outgoing[], from: number, to: number): Left {
    // (A socket no longer open takes nothing: bufferedAmount is 0 and send
    // does nothing, so the hot path does not ask for readyState.)
    let inDeno = this.#socket.bufferedAmount;
    const progress = inDeno < this.#inDeno;
    let i = from, left: Left = "done";
    const deno = this.#deno;
    while (i < to) {
      if (deno && inDeno > DENO_WINDOW) {
        left = i > from ? "sent" : progress ? "progress" : "stalled";
        break;
      }
      if (deno && turnSpent()) {
        left = "sent";
        break;
      }
      const end = messageEnd(this.encoding, batch, i, to);
      const bytes = sendMessage(this.#socket, this.encoding, batch, i, end);
      inDeno += bytes;
      if (deno) spend(bytes);
      i = end;
    }
    if (left !== "done" && !this.#open()) {
      // Closed meanwhile: nothing to hold for it (its close event follows).
      left = "done";
      i = to;
    }
    this.#inDeno = inDeno;
    this.#next = i;
    return left;
  }

  #hold(out: Outgoing): void {
    this.#held.push(out);
    this.#heldBytes += encodedSize(this.encoding, out);
  }

  #drop(): void {
    this.#held = [];
    this.#head = 0;
    this.#heldBytes = 0;
  }

  #open(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }
}
