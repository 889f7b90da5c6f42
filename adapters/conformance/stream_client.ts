/**
 * The conformance kit's client over a stream (TCP, Unix socket): it speaks
 * bytes, not the library's client, so it can also send what a well-behaved
 * client never would (over-size headers, bad UTF-8, frames cut short).
 *
 * @module
 */

import {
  type Command,
  encodeFrame,
  FrameDecoder,
} from "../../core/codec/mod.ts";
import { FrameError } from "../../core/errors.ts";
import type { ChatEvent } from "../../core/events.ts";
import { type ConformanceClient, WAIT_MS } from "./client.ts";
import { EventInbox } from "./inbox.ts";

/**
 * A {@link ConformanceClient} over a byte stream (TCP or a Unix socket).
 * Events are decoded as they arrive into a queue; `next` takes from it.
 */
export class StreamClient implements ConformanceClient {
  readonly #conn: Deno.Conn;
  readonly #inbox = new EventInbox<ChatEvent>(() => this.#why());
  readonly #decoder = new FrameDecoder({ maxFrameSize: 1 << 24 });
  readonly #reading: Promise<void>;
  #writes: Promise<void> = Promise.resolve();
  #closed = false;
  #problem: Error | undefined;

  /**
   * A client on an open connection, which it owns from now on.
   * @param conn The connection.
   */
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.#reading = this.#read();
  }

  /** Send one command as a frame. */
  send(command: Command): void {
    this.sendRaw(encodeFrame(command));
  }

  /** Write bytes as they are (one write). */
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

  /** The next event (see {@link ConformanceClient.next}). */
  next(timeoutMs = WAIT_MS): Promise<ChatEvent> {
    return this.#inbox.next(timeoutMs);
  }

  /** The end of the connection (see {@link ConformanceClient.ended}). */
  ended(timeoutMs = WAIT_MS): Promise<void> {
    return this.#inbox.ended(timeoutMs);
  }

  /** Stop reading. */
  pause(): void {
    this.#inbox.pause();
  }

  /** Read again. */
  resume(): void {
    this.#inbox.resume();
  }

  /** Close the connection once what was written has gone. */
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
 * Connect a stream client to `tcp://HOST:PORT` or `unix:///PATH`.
 *
 * @param url The server's URL.
 * @returns The client.
 */
export async function connectStream(url: string): Promise<StreamClient> {
  return new StreamClient(await openStream(url));
}

/**
 * A bare connection to `tcp://HOST:PORT` or `unix:///PATH`, for cases that
 * speak text or bytes of their own.
 *
 * @param url The server's URL.
 * @returns The open connection.
 */
export function openStream(url: string): Promise<Deno.Conn> {
  const u = new URL(url);
  return u.protocol === "unix:"
    ? Deno.connect({ transport: "unix", path: decodeURIComponent(u.pathname) })
    : Deno.connect({
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: Number(u.port),
    });
}
