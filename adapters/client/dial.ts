/**
 * Client side of the transports: dial a server URL and exchange commands and
 * events. `tcp://HOST:PORT` and `unix:///PATH` speak binary frames over a
 * stream; other schemes register a dialer here as their adapters land.
 *
 * @module
 */

import {
  type Command,
  encodeFrame,
  FrameDecoder,
  isCommand,
  MAGIC,
} from "../../core/codec.ts";
import type { ReceivedEvent } from "../../core/events.ts";
import { FrameError } from "../../core/errors.ts";
import { dialUdp } from "./udp.ts";
import { dialWebSocket } from "./ws.ts";

/** A client's connection to a server, whatever the transport. */
export interface ClientConnection {
  /** Send a command. */
  send(command: Command): void;
  /**
   * Receives each event from the server, in order: a newer server's error
   * codes and leave reasons arrive as `UNKNOWN` / `unknown` with their
   * numbers, and its frame types this client does not know are skipped.
   */
  onEvent(event: ReceivedEvent): void;
  /**
   * Told how many events from the server were lost, where the transport can
   * lose them and tell (UDP).
   */
  onLost?: ((count: number) => void) | undefined;
  /** Settles when the connection has closed, from either side. */
  readonly closed: Promise<void>;
  /** Close the connection (after writing what was sent). */
  close(): void;
}

/** The server could not be reached. */
export class ConnectError extends Error {
  /**
   * Create a new instance.
   * @param message `Cannot connect to URL: detail`.
   * @param options Standard error options (cause).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}

/** Opens a connection for one URL scheme. */
export type Dialer = (url: URL) => Promise<ClientConnection>;

const dialers = new Map<string, Dialer>([
  ["tcp:", dialStream],
  ["unix:", dialStream],
  ["ws:", dialWebSocket],
  ["wss:", dialWebSocket],
  ["udp:", (url) => dialUdp(url)],
]);

/**
 * Register the dialer of a URL scheme (such as `"udp:"`).
 *
 * @param scheme The scheme with its colon.
 * @param dialer Opens a connection.
 */
export function registerDialer(scheme: string, dialer: Dialer): void {
  dialers.set(scheme, dialer);
}

/**
 * Parse a server URL, accepting `HOST:PORT` as `tcp://HOST:PORT` and a path
 * as `unix://PATH`.
 *
 * @param raw What the user gave.
 * @returns The URL.
 * @throws {TypeError} When it is not a URL of a known scheme.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseServerUrl("127.0.0.1:7878").href, "tcp://127.0.0.1:7878");
 * assert.equal(parseServerUrl("/tmp/x.sock").href, "unix:///tmp/x.sock");
 * ```
 */
export function parseServerUrl(raw: string): URL {
  let text = raw;
  if (raw.startsWith("/")) text = `unix://${raw}`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) text = `tcp://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Cannot use server "${raw}": not a URL`);
  }
  if (!dialers.has(url.protocol)) {
    throw new TypeError(
      `Cannot use server "${raw}": scheme ${url.protocol} is not one of ${
        [...dialers.keys()].join(" ")
      }`,
    );
  }
  return url;
}

/**
 * Connect to a server.
 *
 * @param url From {@link parseServerUrl}.
 * @returns The open connection.
 * @throws {ConnectError} When the server cannot be reached.
 */
export function dial(url: URL): Promise<ClientConnection> {
  const dialer = dialers.get(url.protocol);
  if (dialer === undefined) {
    return Promise.reject(
      new ConnectError(`Cannot connect to ${url.href}: unknown scheme`),
    );
  }
  return dialer(url);
}

async function dialStream(url: URL): Promise<ClientConnection> {
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
