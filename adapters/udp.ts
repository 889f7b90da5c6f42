/**
 * The UDP adapter: the only place that opens a UDP socket for serving. It is
 * thin: each datagram goes to a core {@link DatagramServer} with its source
 * address, and the server's datagrams go out through `node:dgram`. Tokens,
 * acknowledgements, packing, rate limits and text sessions are all in core/
 * (docs/protocol.md, "UDP").
 *
 * @module
 */

import dgram from "node:dgram";
import type { Chat, LogRecord } from "../core/chat.ts";
import {
  type DatagramAddress,
  type DatagramLimits,
  defaultTextIdleTimeoutMs,
} from "../core/datagram.ts";
import { DatagramServer } from "../core/datagram_server.ts";
import { ListenError } from "./stream.ts";

/** Options of {@link listenUdp}. */
export interface UdpOptions {
  /** Host to bind. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port to bind; 0 picks a free one. @default {7878} */
  port?: number;
  /**
   * Datagram limits to override (size, timeouts, rate, handshakes). Without
   * `textIdleTimeoutMs`, text mode (`nc -u`) is on (600 s) when `hostname`
   * is a loopback address and off elsewhere ({@link defaultTextIdleTimeoutMs}).
   */
  limits?: Partial<DatagramLimits>;
  /** Time to send queued goodbyes when closing, in ms. @default {2000} */
  lingerMs?: number;
  /** Receives refusals (at most one per quiet period per address). */
  log?: (record: LogRecord) => void;
  /**
   * Bytes of datagrams waiting for the socket; beyond this new datagrams
   * are dropped, as a full network would (clients see the gap).
   * @default {16777216}
   */
  maxQueuedBytes?: number;
}

/** Default bound of the socket's send queue. */
const MAX_QUEUED = 16 * 1024 * 1024;

/**
 * The socket's send queue. Datagrams go out one at a time, in order: with
 * several sends in flight at once, `node:dgram` in Deno was seen to put
 * them on the wire in reverse order, which a receiver takes for loss. One
 * at a time is also faster there.
 */
class SendQueue {
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  readonly #socket: dgram.Socket;
  readonly #max: number;
  #items: ({ bytes: Uint8Array; to: DatagramAddress } | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  #sending = false;
  #idle: (() => void)[] = [];

  constructor(socket: dgram.Socket, max: number) {
    this.#socket = socket;
    this.#max = max;
  }

  push(bytes: Uint8Array, to: DatagramAddress): void {
    if (this.#bytes + bytes.length > this.#max) {
      this.dropped++;
      return;
    }
    this.#items.push({ bytes, to });
    this.#bytes += bytes.length;
    if (!this.#sending) this.#next();
  }

  /**
   * Run a task once nothing is queued or being sent: as a microtask when
   * the socket is idle, else when the queue has drained.
   */
  whenIdle(task: () => void): void {
    if (!this.#sending) queueMicrotask(task);
    else this.#idle.push(task);
  }

  /** Resolves once nothing is queued or being sent. */
  drained(): Promise<void> {
    if (!this.#sending) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drop what is queued (the send in flight finishes). */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #next = (): void => {
    const item = this.#items[this.#head];
    if (item === undefined) return this.#stop();
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#bytes -= item.bytes.length;
    this.#sending = true;
    try {
      this.#socket.send(item.bytes, item.to.port, item.to.address, this.#next);
    } catch {
      this.#stop(); // the socket is closed: nothing more goes out
    }
  };

  #stop(): void {
    this.#sending = false;
    this.clear();
    for (const wake of this.#idle.splice(0)) wake();
  }
}

/** A running UDP listener. */
export interface UdpListener {
  /** Always `"udp"`. */
  readonly transport: "udp";
  /** The bound address (the real port when 0 was asked). */
  readonly addr: { readonly hostname: string; readonly port: number };
  /** A URL clients can use: `udp://127.0.0.1:7878`. */
  readonly url: string;
  /** The datagram sessions (limits, counters). */
  readonly server: DatagramServer;
  /** Close every session (as a disconnect), then the socket. */
  close(): Promise<void>;
}

/**
 * Serve a chat over UDP.
 *
 * @param chat The chat.
 * @param options Address, datagram limits and log.
 * @returns The running listener.
 * @throws {ListenError} When the address cannot be bound.
 * @throws {RangeError} When a datagram limit is out of range.
 * @example
 * ```ts ignore
 * const udp = await listenUdp(chat, { port: 0 });
 * console.log(udp.url);
 * await udp.close();
 * ```
 */
export async function listenUdp(
  chat: Chat,
  options: UdpOptions = {},
): Promise<UdpListener> {
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 7878;
  const lingerMs = options.lingerMs ?? 2000;
  const socket = dgram.createSocket({
    type: hostname.includes(":") ? "udp6" : "udp4",
  });
  const out = new SendQueue(socket, options.maxQueuedBytes ?? MAX_QUEUED);
  const server = new DatagramServer(chat, {
    limits: {
      textIdleTimeoutMs: defaultTextIdleTimeoutMs(hostname),
      ...definedOnly(options.limits ?? {}),
    },
    send: (bytes, to) => out.push(bytes, to),
    // Events are flushed when the socket has nothing left to send (at once
    // when it is idle): while datagrams are going out, events from more
    // client datagrams gather, and then share one datagram per member (14
    // MESSAGEs of 64 bytes in 1200 bytes instead of about 8 under load).
    // Each datagram is a send, so this is what UDP throughput turns on: the
    // bench measured W1 (S=100) 0.34-0.47M deliveries/s with a flush after
    // every datagram received, and more with this (docs/performance.md).
    schedule: (task) => out.whenIdle(task),
    random: (bytes) => crypto.getRandomValues(bytes),
    ...(options.log ? { log: options.log } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, hostname, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (cause) {
    try {
      socket.close();
    } catch {
      // never bound
    }
    throw new ListenError(
      `Cannot listen on udp ${hostname}:${port}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
  // A send that fails (no route, buffer full) loses that datagram, as UDP
  // may; the socket stays up.
  socket.on(
    "error",
    (e) => options.log?.({ event: "udp_error", error: e.message }),
  );
  socket.on("message", (msg: Uint8Array, rinfo: DatagramAddress) => {
    server.receive(msg, rinfo);
  });
  const sweeper = setInterval(() => server.sweep(), 1000);
  const bound = socket.address();
  const host = bound.address.includes(":")
    ? `[${bound.address}]`
    : bound.address;
  let closing: Promise<void> | undefined;
  return {
    transport: "udp",
    addr: { hostname: bound.address, port: bound.port },
    url: `udp://${host}:${bound.port}`,
    server,
    close() {
      return closing ??= (async () => {
        clearInterval(sweeper);
        server.close();
        // Let queued goodbyes reach the socket, then close it.
        await new Promise<void>((resolve) => queueMicrotask(resolve));
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          out.drained(),
          new Promise<void>((resolve) => timer = setTimeout(resolve, lingerMs)),
        ]);
        clearTimeout(timer);
        out.clear();
        await out.drained();
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      })();
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
