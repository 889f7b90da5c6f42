/**
 * WebSocket framing (RFC 6455 §5), sans-IO: a decoder of the frames a
 * client sends (masked, possibly fragmented, with pings and a close among
 * them) into whole messages; the frames a server sends (unmasked) are
 * written by core/websocket_encode.ts. The HTTP front serves `GET /api/ws`
 * with both on the client's own socket (adapters/http/ws_native.ts), as TCP
 * serves frames: one write per member per turn, and a slow reader's socket
 * closed at once. No extension is negotiated, so the RSV bits must be 0.
 *
 * @module
 */

/** Frame opcodes. */
export const WsOpcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** Close codes the server sends when a client breaks the framing. */
export const WsCloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  noStatus: 1005,
  abnormal: 1006,
  invalidData: 1007,
  policy: 1008,
  tooBig: 1009,
} as const;

/** What a {@link WsDecoder} tells. */
export interface WsDecoderHost {
  /** A whole message: text (valid UTF-8) as a string, binary as bytes. */
  message(data: string | Uint8Array): void;
  /** A ping: answer with a pong of the same payload. */
  ping(payload: Uint8Array): void;
  /** The client's close frame (`code` absent when it gave none). */
  close(code: number | undefined, reason: string): void;
  /** The client broke the protocol: close with `code`; nothing more is read. */
  fail(code: number, reason: string): void;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Whether a close code may be sent by a peer (RFC 6455 §7.4): 1000-1003,
 * 1007-1011, and 3000-4999 for libraries and applications.
 */
export function validCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
    (code >= 3000 && code <= 4999);
}

/**
 * Decodes a client's byte stream into messages and control frames.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WsDecoder } from "./websocket.ts";
 * const got: unknown[] = [];
 * const d = new WsDecoder({
 *   message: (m) => got.push(m),
 *   ping: () => {},
 *   close: () => {},
 *   fail: (code) => got.push(code),
 * }, { maxMessageBytes: 1024 });
 * // "hi", masked with 0 (a client must mask; any key will do).
 * d.feed(new Uint8Array([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]));
 * assert.deepEqual(got, ["hi"]);
 * ```
 */
export class WsDecoder {
  readonly #host: WsDecoderHost;
  readonly #max: number;
  /** Bytes of a frame not whole yet, and how many it needs at least. */
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #need = 0;
  /** The fragments of a message under way, and its kind. */
  #parts: Uint8Array[] = [];
  #partsBytes = 0;
  #partsText = false;
  #inMessage = false;
  #done = false;

  /**
   * @param host Where messages and control frames go.
   * @param options The largest message taken, in bytes (a bigger one
   *   fails with 1009).
   */
  constructor(host: WsDecoderHost, options: { maxMessageBytes: number }) {
    this.#host = host;
    this.#max = options.maxMessageBytes;
  }

  /** Whether a close was read or the protocol broken: nothing more is read. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Feed bytes as they arrive; they may be kept (copied) until a frame is
   * whole.
   *
   * @param chunk Bytes read from the socket.
   */
  feed(chunk: Uint8Array): void {
    if (this.#done) return;
    let buf = chunk;
    if (this.#pendingBytes > 0) {
      this.#pending.push(chunk.slice());
      this.#pendingBytes += chunk.length;
      // A big frame arrives in many reads: join them once it is whole.
      if (this.#pendingBytes < this.#need) return;
      buf = new Uint8Array(this.#pendingBytes);
      let at = 0;
      for (const p of this.#pending) {
        buf.set(p, at);
        at += p.length;
      }
      this.#pending = [];
      this.#pendingBytes = 0;
    }
    let at = 0;
    while (!this.#done) {
      const used = this.#frame(buf, at);
      if (used <= 0) {
        this.#need = -used;
        break;
      }
      at += used;
    }
    if (!this.#done && at < buf.length) {
      this.#pending = [buf.slice(at)];
      this.#pendingBytes = buf.length - at;
    }
  }

  /**
   * Decode the frame at `at`: the bytes it took, or, when it is not whole,
   * minus the bytes it needs at least (0 after a failure).
   */
  #frame(buf: Uint8Array, at: number): number {
    const avail = buf.length - at;
    if (avail < 2) return -2;
    const b0 = buf[at]!, b1 = buf[at + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if ((b0 & 0x70) !== 0) return this.#fail(1002, "reserved bits set");
    const control = opcode >= 0x8;
    if (control ? opcode > 0xa : opcode > 0x2) {
      return this.#fail(1002, `unknown opcode ${opcode}`);
    }
    if ((b1 & 0x80) === 0) return this.#fail(1002, "client frame not masked");
    let len = b1 & 0x7f;
    let head = 2;
    if (len === 126) {
      if (avail < 4) return -4;
      len = (buf[at + 2]! << 8) | buf[at + 3]!;
      head = 4;
    } else if (len === 127) {
      if (avail < 10) return -10;
      const high = (buf[at + 2]! << 24 >>> 0) + (buf[at + 3]! << 16) +
        (buf[at + 4]! << 8) + buf[at + 5]!;
      const low = (buf[at + 6]! << 24 >>> 0) + (buf[at + 7]! << 16) +
        (buf[at + 8]! << 8) + buf[at + 9]!;
      if (high >= 0x200000) return this.#fail(1009, "frame too big");
      len = high * 0x100000000 + low;
      head = 10;
    }
    if (control && (!fin || len > 125)) {
      return this.#fail(1002, "control frame fragmented or over 125 bytes");
    }
    if (!control && this.#partsBytes + len > this.#max) {
      return this.#fail(1009, `message over ${this.#max} bytes`);
    }
    const total = head + 4 + len;
    if (avail < total) return -total;
    const mask = at + head;
    const payload = new Uint8Array(len);
    const from = mask + 4;
    for (let i = 0; i < len; i++) {
      payload[i] = buf[from + i]! ^ buf[mask + (i & 3)]!;
    }
    if (control) this.#control(opcode, payload);
    else this.#data(opcode, fin, payload);
    return total;
  }

  #data(opcode: number, fin: boolean, payload: Uint8Array): void {
    if (opcode === WsOpcode.continuation) {
      if (!this.#inMessage) {
        this.#fail(1002, "continuation without a message");
        return;
      }
    } else if (this.#inMessage) {
      this.#fail(1002, "new message before the last one ended");
      return;
    } else {
      this.#inMessage = true;
      this.#partsText = opcode === WsOpcode.text;
    }
    this.#parts.push(payload);
    this.#partsBytes += payload.length;
    if (!fin) return;
    const parts = this.#parts;
    let whole = parts[0]!;
    if (parts.length > 1) {
      whole = new Uint8Array(this.#partsBytes);
      let at = 0;
      for (const p of parts) {
        whole.set(p, at);
        at += p.length;
      }
    }
    this.#parts = [];
    this.#partsBytes = 0;
    this.#inMessage = false;
    if (!this.#partsText) return this.#host.message(whole);
    let text: string;
    try {
      text = utf8.decode(whole);
    } catch {
      this.#fail(1007, "text message not valid UTF-8");
      return;
    }
    this.#host.message(text);
  }

  #control(opcode: number, payload: Uint8Array): void {
    if (opcode === WsOpcode.ping) return this.#host.ping(payload);
    if (opcode === WsOpcode.pong) return;
    // Close.
    if (payload.length === 1) {
      this.#fail(1002, "close frame of one byte");
      return;
    }
    let code: number | undefined;
    let reason = "";
    if (payload.length >= 2) {
      code = (payload[0]! << 8) | payload[1]!;
      if (!validCloseCode(code)) {
        this.#fail(1002, `close code ${code} not allowed`);
        return;
      }
      try {
        reason = utf8.decode(payload.subarray(2));
      } catch {
        this.#fail(1007, "close reason not valid UTF-8");
        return;
      }
    }
    this.#done = true;
    this.#host.close(code, reason);
  }

  #fail(code: number, reason: string): number {
    this.#done = true;
    this.#pending = [];
    this.#parts = [];
    this.#host.fail(code, reason);
    return 0;
  }
}
