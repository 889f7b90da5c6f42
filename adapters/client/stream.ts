/**
 * The client of the stream transports: binary frames over TCP
 * (`tcp://HOST:PORT`) or a Unix socket (`unix:///PATH`).
 *
 * @module
 */

import {
  type Command,
  encodeFrame,
  FrameDecoder,
  isCommand,
  MAGIC,
} from "../../core/codec/mod.ts";
import type { ReceivedEvent } from "../../core/events.ts";
import { FrameError } from "../../core/errors.ts";
import { type ClientConnection, ConnectError } from "./connection.ts";

/**
 * Connect to a stream server.
 *
 * @param url A `tcp:` or `unix:` URL.
 * @returns The open connection.
 * @throws {ConnectError} When the server cannot be reached.
 */
export async function dialStream(url: URL): Promise<ClientConnection> {
  let conn: Deno.Conn;
  try {
    if (url.protocol === "unix:") {
      conn = await Deno.connect({
        transport: "unix",
        path: decodeURIComponent(url.pathname),
      });
    } else {
      conn = await Deno.connect({
        transport: "tcp",
        hostname: url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
        port: Number(url.port || 7878),
      });
    }
  } catch (cause) {
    throw new ConnectError(
      `Cannot connect to ${url.href}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
  return new StreamClient(conn);
}

class StreamClient implements ClientConnection {
  onEvent: (event: ReceivedEvent) => void = () => {};
  onSkipped: (() => void) | undefined;
  readonly closed: Promise<void>;
  readonly #conn: Deno.Conn;
  #writes: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.closed = this.#read();
  }

  send(command: Command): void {
    if (this.#closed) return;
    const bytes = encodeFrame(command);
    this.#writes = this.#writes.then(() => this.#writeAll(bytes)).catch(
      () => {},
    );
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) at += await this.#conn.write(bytes.subarray(at));
  }

  close(): void {
    if (this.#closed) return;
    this.#writes.finally(() => this.#shut());
  }

  #shut(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }

  async #read(): Promise<void> {
    const decoder = new FrameDecoder({ maxFrameSize: 1 << 24 });
    const buf = new Uint8Array(64 * 1024);
    let framed = false;
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        let chunk = buf.subarray(0, n);
        if (!framed) {
          // A server that took us for a person (we were slow to send HELLO)
          // wrote its name prompt first: skip to the first frame.
          const at = chunk.indexOf(MAGIC);
          if (at < 0) continue;
          chunk = chunk.subarray(at);
          framed = true;
        }
        for (const item of decoder.push(chunk)) {
          // A frame type from a newer server: its length told where it
          // ends, so it is skipped (docs/protocol.md, forward compatibility).
          if (item instanceof FrameError && item.code === "UNKNOWN_TYPE") {
            this.onSkipped?.();
            continue;
          }
          if (item instanceof FrameError) {
            this.onEvent({
              type: "error",
              code: item.code,
              message: `Cannot read server frame: ${item.message}`,
              fatal: decoder.failed,
            });
          } else if ("type" in item && isEvent(item)) {
            this.onEvent(item);
          }
        }
        if (decoder.failed) break;
      }
    } catch {
      // connection reset or closed by us
    }
    await this.#writes;
    this.#shut();
  }
}

function isEvent(frame: { type: string }): frame is ReceivedEvent {
  if (isCommand(frame)) return false;
  switch (frame.type) {
    // Datagram frames never come on a stream.
    case "envelope":
    case "pad":
    case "token":
    case "ack":
    case "seq":
      return false;
  }
  return true;
}
