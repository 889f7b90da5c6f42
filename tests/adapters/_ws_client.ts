// A raw WebSocket test client (RFC 6455 over Deno.connect), so tests can
// stop reading (a slow consumer), send binary or malformed messages, and
// see close frames. It speaks the subprotocol the server picked
// (docs/http.md §5):
// - roomcast.v1 and roomcast.batch.v1: commands go out as JSON text
//   messages; `sendRaw` takes binary frames, as the conformance suite's
//   cases write them, and sends each complete frame as one JSON message (or,
//   when the bytes are not frames, the bytes as one binary message). Events
//   come one object per message, or an array of them (batch).
// - roomcast.binary.v1: commands go out as binary frames, `sendRaw` sends
//   its bytes as one binary message, and events are read from the frames of
//   binary messages (`auth`, which has no frame, goes as JSON text).

import {
  type Command,
  encodeFrame,
  FrameDecoder,
  isCommand,
} from "../../core/codec/mod.ts";
import { FrameError } from "../../core/errors.ts";
import type { ChatEvent } from "../../core/events.ts";
import { type TestClient, WAIT_MS } from "./_client.ts";
import { concat } from "../_bytes.ts";
import { EventInbox } from "./_inbox.ts";

const te = new TextEncoder();
const td = new TextDecoder();

/** Options of {@link connectWs}. */
export interface WsConnectOptions {
  /**
   * Subprotocols to offer, such as `roomcast.binary.v1`.
   * @default {["roomcast.v1"]}
   */
  protocols?: string[];
  /** Path. @default {"/api/ws"} */
  path?: string;
  /** Extra request headers (such as `Origin`). */
  headers?: Record<string, string>;
}

/** What the handshake answered. */
export interface WsHandshake {
  /** HTTP status (101 on success). */
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** The body, when the upgrade was refused. */
  body: string;
}

/** A raw WebSocket client. */
export class WsTestClient implements TestClient {
  /** The handshake's answer. */
  handshake!: WsHandshake;
  /** Close code sent by the server, if any. */
  closeCode: number | undefined;
  /** Messages received, by kind (text, binary), for tests of batching. */
  readonly received = { text: 0, binary: 0, events: 0 };
  readonly #conn: Deno.Conn;
  readonly #inbox = new EventInbox<ChatEvent>();
  readonly #frames = new FrameDecoder({ maxFrameSize: 1 << 24 });
  readonly #events = new FrameDecoder({ maxFrameSize: 1 << 24 });
  #buf: Uint8Array = new Uint8Array(0);
  #reading: Promise<void> | undefined;
  #writes: Promise<void> = Promise.resolve();
  #closed = false;
  #message: Uint8Array[] = [];
  #opcode = 0x1;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Do the opening handshake. */
  async open(host: string, options: WsConnectOptions): Promise<WsHandshake> {
    const key = btoa(
      String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
    );
    const protocols = options.protocols ?? ["roomcast.v1"];
    await this.#write(te.encode(
      `GET ${options.path ?? "/api/ws"} HTTP/1.1\r\nHost: ${host}\r\n` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
        (protocols.length
          ? `Sec-WebSocket-Protocol: ${protocols.join(", ")}\r\n`
          : "") +
        Object.entries(options.headers ?? {})
          .map(([k, v]) => `${k}: ${v}\r\n`).join("") +
        "\r\n",
    ));
    let text = "";
    const chunk = new Uint8Array(4096);
    while (!text.includes("\r\n\r\n")) {
      const n = await this.#conn.read(chunk);
      if (n === null) break;
      this.#buf = concat(this.#buf, chunk.subarray(0, n));
      text = td.decode(this.#buf);
    }
    const end = text.indexOf("\r\n\r\n");
    const head = text.slice(0, end).split("\r\n");
    const status = Number(head[0]?.split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    const headBytes = te.encode(text.slice(0, end + 4)).length;
    this.#buf = this.#buf.subarray(headBytes);
    let body = "";
    if (status !== 101) {
      const length = Number(headers["content-length"] ?? 0);
      while (this.#buf.length < length) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        this.#buf = concat(this.#buf, chunk.subarray(0, n));
      }
      body = td.decode(this.#buf);
      this.#inbox.end();
    } else {
      this.#reading = this.#read();
    }
    this.handshake = { status, headers, body };
    return this.handshake;
  }

  /** The subprotocol the server answered, if any. */
  get protocol(): string | undefined {
    return this.handshake?.headers["sec-websocket-protocol"];
  }

  /** True when the server speaks binary frames on this socket. */
  get binary(): boolean {
    return this.protocol === "roomcast.binary.v1";
  }

  send(command: Command | { type: "auth"; token: string }): void {
    if (this.binary && command.type !== "auth") {
      this.sendBinary(encodeFrame(command as Command));
    } else this.sendText(JSON.stringify(command));
  }

  /** Send one text message. */
  sendText(text: string): void {
    this.#sendFrame(0x1, te.encode(text));
  }

  /** Send one binary message. */
  sendBinary(bytes: Uint8Array): void {
    this.#sendFrame(0x2, bytes);
  }

  sendRaw(bytes: Uint8Array): void {
    if (this.binary) {
      this.sendBinary(bytes);
      return;
    }
    let frames: ReturnType<FrameDecoder["push"]>;
    try {
      frames = this.#frames.push(bytes);
    } catch {
      frames = [];
    }
    for (const f of frames) {
      if (f instanceof FrameError) this.sendBinary(bytes);
      else this.sendText(JSON.stringify(f));
    }
  }

  next(timeoutMs = WAIT_MS): Promise<ChatEvent> {
    return this.#inbox.next(timeoutMs);
  }

  ended(timeoutMs = WAIT_MS): Promise<void> {
    return this.#inbox.ended(timeoutMs);
  }

  pause(): void {
    this.#inbox.pause();
  }

  resume(): void {
    this.#inbox.resume();
  }

  async close(): Promise<void> {
    await this.#writes;
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#conn.close();
      } catch {
        // already closed
      }
    }
    this.resume();
    await this.#reading;
  }

  #sendFrame(opcode: number, payload: Uint8Array): void {
    const mask = crypto.getRandomValues(new Uint8Array(4));
    const len = payload.length;
    const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
    const frame = new Uint8Array(2 + ext + 4 + len);
    frame[0] = 0x80 | opcode;
    const view = new DataView(frame.buffer);
    if (ext === 0) frame[1] = 0x80 | len;
    else if (ext === 2) {
      frame[1] = 0x80 | 126;
      view.setUint16(2, len);
    } else {
      frame[1] = 0x80 | 127;
      view.setBigUint64(2, BigInt(len));
    }
    frame.set(mask, 2 + ext);
    for (let i = 0; i < len; i++) {
      frame[2 + ext + 4 + i] = payload[i]! ^ mask[i % 4]!;
    }
    this.#writes = this.#writes.then(() => this.#write(frame)).catch(() => {});
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  async #read(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    try {
      this.#parse();
      while (!this.#inbox.done) {
        await this.#inbox.gate();
        if (this.#closed) break;
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        this.#buf = concat(this.#buf, chunk.subarray(0, n));
        this.#parse();
      }
    } catch {
      // reset, or closed by us
    }
    this.#inbox.end();
  }

  /** Take whole frames out of the buffer. */
  #parse(): void {
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) return;
      let len = b[1]! & 0x7f, at = 2;
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (len === 126) {
        if (b.length < 4) return;
        len = view.getUint16(2);
        at = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(view.getBigUint64(2));
        at = 10;
      }
      if (b.length < at + len) return;
      const fin = (b[0]! & 0x80) !== 0, opcode = b[0]! & 0x0f;
      const payload = b.slice(at, at + len);
      this.#buf = b.subarray(at + len);
      if (opcode === 0x8) {
        this.closeCode = len >= 2 ? (payload[0]! << 8) | payload[1]! : 1005;
        this.#inbox.end();
        return;
      }
      if (opcode === 0x9) {
        this.#sendFrame(0xa, payload);
        continue;
      }
      if (opcode === 0xa) continue;
      this.#message.push(payload);
      if (opcode !== 0) this.#opcode = opcode;
      if (!fin) continue;
      const data = concat(...this.#message);
      this.#message = [];
      if (this.#opcode === 0x2) this.#binaryMessage(data);
      else this.#textMessage(td.decode(data));
    }
  }

  #textMessage(text: string): void {
    this.received.text++;
    const parsed = JSON.parse(text);
    const events = Array.isArray(parsed) ? parsed : [parsed];
    this.received.events += events.length;
    for (const e of events) this.#inbox.push(e);
  }

  #binaryMessage(bytes: Uint8Array): void {
    this.received.binary++;
    for (const item of this.#events.push(bytes)) {
      if (item instanceof FrameError) {
        throw new Error(`bad frame from server: ${item.message}`);
      }
      if (isCommand(item)) throw new Error("a command frame from the server");
      this.received.events++;
      this.#inbox.push(item as ChatEvent);
    }
  }
}

/**
 * Connect a raw WebSocket client and do the handshake.
 *
 * @param url `http://HOST:PORT` of the HTTP listener.
 * @param options Subprotocols and path.
 */
export async function connectWs(
  url: string,
  options: WsConnectOptions = {},
): Promise<WsTestClient> {
  const u = new URL(url);
  const conn = await Deno.connect({
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    port: Number(u.port),
  });
  const client = new WsTestClient(conn);
  try {
    await client.open(u.host, options);
  } catch (e) {
    await client.close();
    throw e;
  }
  return client;
}
