// A raw protocol client for adapter tests: it speaks bytes, not the
// library's client, so it can also send what a well-behaved client never
// would (over-size headers, bad UTF-8, frames cut short).

import {
  type Command,
  encodeFrame,
  FrameDecoder,
} from "../../core/codec/mod.ts";
import { FrameError } from "../../core/errors.ts";
import type { ChatEvent } from "../../core/events.ts";
export { concat } from "../_bytes.ts";
import { EventInbox } from "./_inbox.ts";

/** How long any single wait in an adapter test may take, in ms. */
export const WAIT_MS = 5000;

/**
 * One connection to a server under test, whatever the transport. UDP and
 * WebSocket test clients implement the same five operations.
 */
export interface TestClient {
  /** Send one command, encoded as a binary frame. */
  send(command: Command): void;
  /** Send bytes as one unit (one write, datagram or WebSocket message). */
  sendRaw(bytes: Uint8Array): void;
  /**
   * The next event from the server. Rejects when the server closes the
   * connection first, or when nothing arrives within `timeoutMs`.
   */
  next(timeoutMs?: number): Promise<ChatEvent>;
  /**
   * Resolves once the server has closed the connection. Rejects if an
   * event arrives first that the test did not take with `next`, or after
   * `timeoutMs`.
   */
  ended(timeoutMs?: number): Promise<void>;
  /** Stop reading from the connection (to make a slow consumer). */
  pause(): void;
  /** Read again after `pause`. */
  resume(): void;
  /** Close the connection from the client's side and release everything. */
  close(): Promise<void>;
}

/**
 * A {@link TestClient} over a byte stream. Events are decoded as they
 * arrive into a queue; `next` takes from the queue.
 */
export class StreamTestClient implements TestClient {
  readonly #conn: Deno.Conn;
  readonly #inbox = new EventInbox<ChatEvent>(() => this.#why());
  readonly #decoder = new FrameDecoder({ maxFrameSize: 1 << 24 });
  readonly #reading: Promise<void>;
  #writes: Promise<void> = Promise.resolve();
  #closed = false;
  #problem: Error | undefined;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reading = this.#read();
  }

  send(command: Command): void {
    this.sendRaw(encodeFrame(command));
  }

  sendRaw(bytes: Uint8Array): void {
    this.#writes = this.#writes.then(async () => {
      if (this.#closed) return;
      let at = 0;
      try {
        while (at < bytes.length) {
          at += await this.#conn.write(bytes.subarray(at));
        }
      } catch {
        // the server may close first (that is what some tests check)
      }
    });
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

  #why(): string {
    return this.#problem ? ` (${this.#problem.message})` : "";
  }

  async #read(): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        await this.#inbox.gate();
        if (this.#closed) break;
        const n = await this.#conn.read(buf);
        if (n === null) break;
        for (const item of this.#decoder.push(buf.subarray(0, n))) {
          if (item instanceof FrameError) {
            this.#problem = new Error(`bad frame from server: ${item.message}`);
          } else {
            this.#inbox.push(item as ChatEvent);
          }
        }
        if (this.#decoder.failed) break;
      }
    } catch (e) {
      if (!this.#closed) {
        this.#problem = e instanceof Error ? e : new Error(String(e));
      }
    }
    this.#inbox.end();
  }
}

/**
 * Connect a raw stream client to `tcp://HOST:PORT` or `unix:///PATH`.
 *
 * @param url The listener's URL.
 * @returns The client.
 */
export async function connectStream(url: string): Promise<StreamTestClient> {
  const u = new URL(url);
  const conn = u.protocol === "unix:"
    ? await Deno.connect({
      transport: "unix",
      path: decodeURIComponent(u.pathname),
    })
    : await Deno.connect({
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: Number(u.port),
    });
  return new StreamTestClient(conn);
}

/**
 * A frame built by hand: header `>BBI` (magic, type, payload length) and the
 * payload as given, so tests can lie about lengths and contents.
 *
 * @param type Frame type byte.
 * @param payload Payload bytes.
 * @param length Payload length to announce (defaults to the real one).
 */
export function rawFrame(
  type: number,
  payload: Uint8Array,
  length: number = payload.length,
): Uint8Array {
  const out = new Uint8Array(6 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, 0xab);
  view.setUint8(1, type);
  view.setUint32(2, length);
  out.set(payload, 6);
  return out;
}

/** A u16-length-prefixed field holding the given bytes. */
export function field(bytes: Uint8Array | string): Uint8Array {
  const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const out = new Uint8Array(2 + b.length);
  new DataView(out.buffer).setUint16(0, b.length);
  out.set(b, 2);
  return out;
}
