/**
 * The client side of UDP: `udp://HOST:PORT` as a {@link ClientConnection},
 * so `cli.ts join --server udp://127.0.0.1:7878` works like TCP. The
 * protocol (padded HELLO, token, retransmission until acknowledged,
 * heartbeats, loss detection) is core/datagram/client.ts; this file owns the
 * socket and the timer.
 *
 * @module
 */

import dgram from "node:dgram";
import type { Command } from "../../core/codec/mod.ts";
import { DatagramClient } from "../../core/datagram/client.ts";
import type { ChatEvent } from "../../core/events.ts";
import { type ClientConnection, ConnectError } from "./connection.ts";

/** Options of {@link dialUdp}. */
export interface UdpDialOptions {
  /** Largest datagram to send. @default {1200} */
  datagramSize?: number;
  /** Sends of one datagram before giving up. @default {8} */
  maxTries?: number;
}

/**
 * Open a UDP chat session (HELLO answered, token in hand).
 *
 * @param url `udp://HOST:PORT` (port 7878 when not given).
 * @param options Datagram size and retries.
 * @returns The connection, once the server has answered.
 * @throws {ConnectError} When the server does not answer or refuses.
 */
export async function dialUdp(
  url: URL,
  options: UdpDialOptions = {},
): Promise<ClientConnection> {
  const hostname = url.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1";
  const port = Number(url.port || 7878);
  const socket = dgram.createSocket({
    type: hostname.includes(":") ? "udp6" : "udp4",
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.connect(port, hostname, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (cause) {
    try {
      socket.close();
    } catch {
      // never opened
    }
    throw new ConnectError(
      `Cannot connect to ${url.href}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
  const conn = new UdpClient(socket, options);
  try {
    await conn.opened;
  } catch (e) {
    throw new ConnectError(
      `Cannot connect to ${url.href}: ${e instanceof Error ? e.message : e}`,
      { cause: e },
    );
  }
  return conn;
}

class UdpClient implements ClientConnection {
  onEvent: (event: ChatEvent) => void = () => {};
  onLost: ((count: number) => void) | undefined;
  onSkipped: (() => void) | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<void>;
  readonly #socket: dgram.Socket;
  readonly #client: DatagramClient;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #scheduled = false;
  #outbox: Uint8Array[] = [];
  #sending = false;

  constructor(socket: dgram.Socket, options: UdpDialOptions) {
    this.#socket = socket;
    const client = this.#client = new DatagramClient({
      now: () => performance.now(),
      transmit: (bytes) => this.#transmit(bytes),
      ...(options.datagramSize ? { datagramSize: options.datagramSize } : {}),
      ...(options.maxTries ? { maxTries: options.maxTries } : {}),
    });
    const opened = Promise.withResolvers<void>();
    const closed = Promise.withResolvers<void>();
    this.opened = opened.promise;
    this.closed = closed.promise;
    client.onOpen = () => opened.resolve();
    client.onEvent = (event) => this.onEvent(event);
    client.onLost = (count) => this.onLost?.(count);
    client.onSkipped = () => this.onSkipped?.();
    client.onClose = (error) => {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      socket.close(() => closed.resolve());
      opened.reject(
        new Error(error?.message ?? "the session ended before it opened"),
      );
    };
    this.opened.catch(() => {}); // reported by dialUdp
    // Errors the OS reports on a connected socket (ICMP unreachable) do
    // not end the session: the retry limit does.
    socket.on("error", () => {});
    socket.on("message", (msg: Uint8Array) => {
      client.receive(msg);
      this.#arm();
    });
    client.start();
    this.#arm();
  }

  send(command: Command): void {
    this.#client.send(command);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#client.flush();
      this.#arm();
    });
  }

  close(): void {
    // After what was sent is acknowledged (or given up on).
    queueMicrotask(() => {
      this.#client.flush();
      this.#client.close();
      this.#arm();
    });
  }

  /**
   * Send datagrams one at a time, in order (several sends in flight at
   * once can leave a Deno `node:dgram` socket in reverse order).
   */
  #transmit(bytes: Uint8Array): void {
    this.#outbox.push(bytes);
    if (!this.#sending) this.#pump();
  }

  #pump = (): void => {
    const next = this.#outbox.shift();
    this.#sending = next !== undefined;
    if (next === undefined) return;
    try {
      this.#socket.send(next, this.#pump);
    } catch {
      this.#outbox = []; // closed
      this.#sending = false;
    }
  };

  /** Run the client's clock at its next deadline. */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const wake = this.#client.nextWake();
    if (wake === undefined) return;
    const delay = Math.max(0, wake - performance.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#client.tick();
      this.#arm();
    }, delay);
  }
}
