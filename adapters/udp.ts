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
import type { DatagramLimits } from "../core/datagram.ts";
import {
  type DatagramAddress,
  DatagramServer,
} from "../core/datagram_server.ts";
import { ListenError } from "./stream.ts";

/** Options of {@link listenUdp}. */
export interface UdpOptions {
  /** Host to bind. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port to bind; 0 picks a free one. @default {7878} */
  port?: number;
  /** Datagram limits to override (size, timeouts, rate, handshakes). */
  limits?: Partial<DatagramLimits>;
  /** Time to send queued goodbyes when closing, in ms. @default {2000} */
  lingerMs?: number;
  /** Receives refusals (at most one per quiet period per address). */
  log?: (record: LogRecord) => void;
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
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const sent = () => {
    if (--inFlight === 0) drained?.();
  };
  const server = new DatagramServer(chat, {
    limits: options.limits ?? {},
    send(bytes: Uint8Array, to: DatagramAddress) {
      inFlight++;
      socket.send(bytes, to.port, to.address, sent);
    },
    schedule: queueMicrotask,
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
        if (inFlight > 0) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            new Promise<void>((resolve) => drained = resolve),
            new Promise<void>((resolve) =>
              timer = setTimeout(resolve, lingerMs)
            ),
          ]);
          clearTimeout(timer);
        }
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      })();
    },
  };
}
