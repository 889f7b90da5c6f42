/**
 * A server WebSocket on the client's own socket: the part of the WebSocket
 * interface that adapters/http/ws_connection.ts and ws_sink.ts use
 * (`send`, `close`, `bufferedAmount`, `readyState`, the `on*` handlers),
 * over a `Deno.Conn` the HTTP front accepted (adapters/http/front.ts), with
 * the framing of core/websocket.ts.
 *
 * Why not Deno's: `Deno.upgradeWebSocket` needs `Deno.serve`, which sits
 * behind the front, so every message crossed a loopback hop (two more
 * writes, two more wake-ups); its sends are one write each; and its socket
 * cannot be aborted, so a peer that stops reading keeps what was sent to it.
 * Here a member's messages of one turn go out in one write (the stream
 * transports' {@link Outbox}, whose joined bytes members with the same
 * turn share), `bufferedAmount` is exact, and a slow consumer is cut by
 * closing the socket, which drops what it held.
 *
 * @module
 */

import { Outbox } from "../../core/outbox.ts";
import { WsCloseCode, WsDecoder, WsOpcode } from "../../core/websocket.ts";
import { closePayload } from "../../core/websocket_encode.ts";
import { frameHeader, textBytes } from "./ws_frame_cache.ts";
import { type Flushable, streamRounds } from "../flush_rounds.ts";
import {
  giveReadBuffer,
  MAX_READ,
  MIN_READ,
  takeReadBuffer,
} from "../read_buffers.ts";

/** How long a closing socket waits for the client's close frame, in ms. */
export const CLOSE_WAIT_MS = 2000;

/**
 * The largest message a client may send, by the largest frame: 16 frames
 * (1 MiB by default). A bigger one closes the socket with 1009; one bigger
 * than a frame but within this gets the coded error it always got.
 *
 * @param maxFrameSize The chat's largest frame (`--max-frame-size`).
 * @returns Bytes.
 */
export function maxWsMessageBytes(maxFrameSize: number): number {
  return 16 * maxFrameSize;
}

/** The close event: as WebSocket's, the fields the server reads. */
export interface NativeCloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** Options of a {@link NativeWebSocket}. */
export interface NativeWebSocketOptions {
  /** The subprotocol answered, or "". */
  readonly protocol: string;
  /** The largest message a client may send, in bytes (more: close 1009). */
  readonly maxMessageBytes: number;
  /** The socket is closed: give back its descriptor. */
  readonly ended: () => void;
}

/** A WebSocket over a client's socket (see the module's text). */
export class NativeWebSocket implements Flushable {
  /** As WebSocket's: CONNECTING until {@link NativeWebSocket.start}. */
  readyState: number = WebSocket.CONNECTING;
  /** Binary messages arrive as ArrayBuffers (the only type there is here). */
  binaryType: BinaryType = "arraybuffer";
  /** The subprotocol answered, or "". */
  readonly protocol: string;
  onopen: ((e?: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: NativeCloseEvent) => void) | null = null;
  onerror: ((e?: unknown) => void) | null = null;
  /** When a byte last came from the client (performance.now). */
  lastRead = performance.now();
  readonly #conn: Deno.Conn;
  readonly #ended: () => void;
  readonly #outbox = new Outbox(Infinity);
  readonly #decoder: WsDecoder;
  #scheduled = false;
  #writing: Uint8Array | undefined;
  #written = 0;
  #pinged = false;
  /** The close frame is queued; the client's close frame came. */
  #closeSent = false;
  #closeRead = false;
  #event: NativeCloseEvent | undefined;
  #closeAfterOpen: [number, string] | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #shut = false;
  #reading = false;
  #released = false;

  /**
   * @param conn The client's socket, the upgrade request read.
   * @param options The subprotocol, the message limit, and who to tell at
   *   the end.
   */
  constructor(conn: Deno.Conn, options: NativeWebSocketOptions) {
    this.#conn = conn;
    this.protocol = options.protocol;
    this.#ended = options.ended;
    this.#decoder = new WsDecoder({
      message: (data) => this.#deliver(data),
      ping: (payload) => this.#queue(WsOpcode.pong, payload),
      close: (code, reason) => this.#closeFrame(code, reason),
      fail: (code, reason) => this.#fail(code, reason),
    }, { maxMessageBytes: options.maxMessageBytes });
  }

  /** Bytes sent and not yet written to the socket. */
  get bufferedAmount(): number {
    const inFlight = this.#writing ? this.#writing.length - this.#written : 0;
    return this.#outbox.queued + inFlight;
  }

  /**
   * Open: write the handshake's answer, then take messages; `rest` is what
   * the client sent after its request.
   *
   * @param answer The 101 answer's bytes.
   * @param rest Bytes read after the request's head.
   */
  start(answer: Uint8Array, rest: Uint8Array): void {
    if (this.readyState !== WebSocket.CONNECTING) return;
    this.readyState = WebSocket.OPEN;
    this.#push(answer);
    this.onopen?.();
    if (this.#closeAfterOpen) this.close(...this.#closeAfterOpen);
    if (rest.length > 0) this.#feed(rest);
    this.#read();
  }

  /** Send a message: a string as text, bytes as binary. */
  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (this.readyState !== WebSocket.OPEN) return;
    if (typeof data === "string") {
      this.#queue(WsOpcode.text, textBytes(data));
    } else if (ArrayBuffer.isView(data)) {
      this.#queue(
        WsOpcode.binary,
        data instanceof Uint8Array
          ? data
          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
    } else this.#queue(WsOpcode.binary, new Uint8Array(data));
  }

  /**
   * Send a text message already encoded (valid UTF-8: a JSON event's bytes,
   * shared by every member).
   */
  sendText(utf8: Uint8Array): void {
    if (this.readyState === WebSocket.OPEN) this.#queue(WsOpcode.text, utf8);
  }

  /**
   * Close: the close frame after what is queued, then the socket once the
   * client answers (or after {@link CLOSE_WAIT_MS}).
   */
  close(code: number = WsCloseCode.normal, reason = ""): void {
    if (this.readyState === WebSocket.CONNECTING) {
      this.#closeAfterOpen = [code, reason];
      return;
    }
    if (this.readyState !== WebSocket.OPEN) return;
    this.readyState = WebSocket.CLOSING;
    this.#event = { code, reason, wasClean: true };
    this.#sendClose(code, reason);
    this.#timer = setTimeout(() => this.abort(), CLOSE_WAIT_MS);
  }

  /** Close the socket now, dropping what is queued. */
  abort(): void {
    this.#event ??= { code: WsCloseCode.abnormal, reason: "", wasClean: false };
    this.#close(false);
  }

  /**
   * Look at the client's silence (the front's sweeper): ping it once after
   * half of `idleMs`, cut it after `idleMs` (`--ws-idle-timeout`).
   *
   * @param now performance.now().
   * @param idleMs The longest silence.
   * @returns Whether it was cut.
   */
  idle(now: number, idleMs: number): boolean {
    const silent = now - this.lastRead;
    if (silent >= idleMs) {
      this.#event ??= {
        code: WsCloseCode.goingAway,
        reason: "idle",
        wasClean: false,
      };
      this.abort();
      return true;
    }
    if (
      silent >= idleMs / 2 && !this.#pinged &&
      this.readyState === WebSocket.OPEN
    ) {
      this.#pinged = true;
      this.#queue(WsOpcode.ping, new Uint8Array(0));
    }
    return false;
  }

  /** Write everything queued, in one write (called by the flush round). */
  flush(): void {
    this.#scheduled = false;
    if (this.#writing !== undefined || this.#shut) return;
    const bytes = this.#outbox.take();
    if (bytes === undefined) {
      if (this.#closeSent && this.#closeRead) this.#close(true);
      return;
    }
    this.#writing = bytes;
    this.#written = 0;
    this.#conn.write(bytes).then(this.#wrote, this.#wrote);
  }

  #wrote = (n: number | Error): void => {
    const bytes = this.#writing!;
    if (typeof n !== "number") {
      this.#writing = undefined;
      this.abort();
      return;
    }
    this.#written += n;
    if (this.#written < bytes.length) {
      this.#conn.write(bytes.subarray(this.#written)).then(
        this.#wrote,
        this.#wrote,
      );
      return;
    }
    this.#writing = undefined;
    this.#outbox.written();
    this.flush();
  };

  #queue(opcode: number, payload: Uint8Array): void {
    if (this.#shut || this.#closeSent) return;
    this.#push(frameHeader(opcode, payload.length));
    if (payload.length > 0) this.#push(payload);
  }

  #push(bytes: Uint8Array): void {
    this.#outbox.push(bytes);
    if (!this.#scheduled && this.#writing === undefined) {
      this.#scheduled = true;
      streamRounds.schedule(this);
    }
  }

  #sendClose(code: number, reason: string): void {
    if (this.#closeSent || this.#shut) return;
    const payload = code === WsCloseCode.noStatus
      ? new Uint8Array(0)
      : closePayload(code, reason);
    this.#queue(WsOpcode.close, payload);
    this.#closeSent = true;
    // Nothing else is sent: once the close frame is written, the socket
    // closes when the client's close frame has come (flush()).
  }

  #read(): void {
    if (this.#reading || this.#released) return;
    this.#reading = true;
    let buf = takeReadBuffer();
    const onRead = (n: number | null | Error): void => {
      if (typeof n !== "number") {
        this.#reading = false;
        giveReadBuffer(buf);
        if (this.#shut) return this.#release();
        this.#event ??= {
          code: WsCloseCode.abnormal,
          reason: "",
          wasClean: false,
        };
        this.#close(false);
        return;
      }
      this.lastRead = performance.now();
      this.#pinged = false;
      // After the close, what comes is dropped until the client's end.
      if (!this.#shut && !this.#decoder.done) this.#feed(buf.subarray(0, n));
      // A full read: a bigger buffer; a small one: back to a slab's view,
      // so an idle member pins little (as adapters/stream/connection.ts).
      if (n === buf.length && buf.length < MAX_READ) {
        giveReadBuffer(buf);
        buf = new Uint8Array(buf.length * 2);
      } else if (n < MIN_READ && buf.length > MIN_READ) {
        buf = takeReadBuffer();
      }
      this.#conn.read(buf).then(onRead, onRead);
    };
    this.#conn.read(buf).then(onRead, onRead);
  }

  #feed(bytes: Uint8Array): void {
    this.#decoder.feed(bytes);
  }

  #deliver(data: string | Uint8Array): void {
    if (this.readyState !== WebSocket.OPEN) return;
    this.onmessage?.({
      data: typeof data === "string"
        ? data
        : data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
        ? data.buffer
        : data.slice().buffer,
    });
  }

  /** The client's close frame: answer it (unless closing already), then end. */
  #closeFrame(code: number | undefined, reason: string): void {
    this.#closeRead = true;
    if (this.readyState === WebSocket.OPEN) {
      this.readyState = WebSocket.CLOSING;
      this.#event = {
        code: code ?? WsCloseCode.noStatus,
        reason,
        wasClean: true,
      };
      this.#sendClose(code ?? WsCloseCode.noStatus, "");
    }
    if (this.#writing === undefined && !this.#scheduled) this.flush();
  }

  /** The client broke the protocol: tell it why and end. */
  #fail(code: number, reason: string): void {
    this.#event = { code, reason, wasClean: false };
    if (this.readyState === WebSocket.OPEN) this.readyState = WebSocket.CLOSING;
    this.#sendClose(code, reason);
    this.#closeRead = true; // nothing more is read: end once it is written
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.abort(), CLOSE_WAIT_MS);
    if (this.#writing === undefined && !this.#scheduled) this.flush();
  }

  /**
   * The WebSocket is closed: tell the handlers (after the code that closed
   * it has run, as Deno's close event comes). `graceful`: all is written,
   * so the socket is closed for writing and what the client still sends is
   * read and dropped for up to {@link CLOSE_WAIT_MS} (closing with unread
   * input would reset the connection and lose the close frame); else it is
   * closed now, dropping what is queued.
   */
  #close(graceful: boolean): void {
    if (this.#shut) return;
    this.#shut = true;
    clearTimeout(this.#timer);
    this.readyState = WebSocket.CLOSED;
    this.#outbox.clear();
    if (graceful && this.#reading) {
      this.#conn.closeWrite().catch(() => this.#release());
      this.#timer = setTimeout(() => this.#release(), CLOSE_WAIT_MS);
    } else this.#release();
    const event = this.#event ??
      { code: WsCloseCode.abnormal, reason: "", wasClean: false };
    queueMicrotask(() => this.onclose?.(event));
  }

  /** Close the socket itself and give back its descriptor. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#ended();
  }
}
