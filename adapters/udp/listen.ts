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
import type { Chat, LogRecord } from "../../core/chat.ts";
import type { DatagramAddress } from "../../core/datagram/address.ts";
import {
  type DatagramLimits,
  DEFAULT_DATAGRAM_SIZE,
  defaultTextIdleTimeoutMs,
} from "../../core/datagram/limits.ts";
import { DatagramServer } from "../../core/datagram/server.ts";
import { ListenError } from "../errors.ts";
import { Intake } from "./intake.ts";
import { SendQueue } from "./send_queue.ts";

/**
 * The `recvBufferSize` for a datagram size: room for a datagram a little
 * over the limit (so that it is seen to be over), at least 2 KiB.
 */
function readBufferFor(datagramSize: number): number {
  return Math.max(2048, datagramSize + 1);
}
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
  /**
   * Receives refusals (at most one per quiet period per address) and drops
   * (`udp_send_dropped`, `udp_intake_dropped`: at most one per second of
   * drops).
   */
  log?: (record: LogRecord) => void;
  /**
   * Bytes of datagrams waiting for the socket; beyond this new datagrams
   * are dropped, as a full network would (clients see the gap). Client
   * datagrams are taken in at the pace of the output, about half of this
   * per round, so it is a safety net (`serve --udp-send-queue`).
   * @default {16777216}
   */
  maxQueuedBytes?: number;
  /**
   * Client datagrams that wait while the server is sending; beyond this
   * they are dropped (their clients send them again).
   * @default {4096}
   */
  maxHeldDatagrams?: number;
  /** Bytes of the client datagrams that wait. @default {4194304} */
  maxHeldBytes?: number;
}

/** Default bound of the socket's send queue. */
const MAX_QUEUED = 16 * 1024 * 1024;

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
  /**
   * Datagrams dropped in the adapter, running totals: `sent`, server
   * datagrams beyond the send queue's bound; `received`, client datagrams
   * beyond the intake's (their clients send them again).
   */
  readonly dropped: { readonly sent: number; readonly received: number };
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
  const maxQueued = options.maxQueuedBytes ?? MAX_QUEUED;
  if (!Number.isInteger(maxQueued) || maxQueued < 1) {
    throw new RangeError(
      `Cannot use a UDP send queue of ${maxQueued} bytes: it must be a whole number >= 1`,
    );
  }
  const socket = dgram.createSocket({
    type: hostname.includes(":") ? "udp6" : "udp4",
    // Deno 2.9's node:dgram takes this as the size of the buffer it
    // allocates (twice over, on Linux) for every datagram it reads, not as
    // the socket's SO_RCVBUF, which it leaves alone: 64 KiB by default, and
    // allocating and zeroing that for each datagram was most of the cost of
    // a flood of noise (the kernel then dropped members' datagrams with
    // it). A datagram over the buffer is cut short, and then refused as over
    // the datagram size anyway. (docs/reliability.md, "UDP".)
    recvBufferSize: readBufferFor(
      options.limits?.datagramSize ?? DEFAULT_DATAGRAM_SIZE,
    ),
  });
  const out = new SendQueue(socket, maxQueued);
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
  // Errors of the socket itself; a send that fails (no route, buffer full)
  // is reported to the send queue instead (udp_error from onSendError).
  socket.on(
    "error",
    (e) => options.log?.({ event: "udp_error", error: e.message }),
  );
  // Client datagrams are taken in at the pace of the output, as a TCP
  // server reads no faster than it writes (adapters/udp/intake.ts).
  const intake = new Intake({
    receive: (bytes, from) => server.receive(bytes, from),
    deliveries: () => chat.stats.deliveries,
    budgetBytes: maxQueued / 2,
    ...(options.maxHeldDatagrams !== undefined
      ? { maxDatagrams: options.maxHeldDatagrams }
      : {}),
    ...(options.maxHeldBytes !== undefined
      ? { maxBytes: options.maxHeldBytes }
      : {}),
    onDrop: () =>
      options.log?.({
        event: "udp_intake_dropped",
        total: intake.dropped,
        held: intake.held,
      }),
  });
  out.onDrop = () =>
    options.log?.({
      event: "udp_send_dropped",
      total: out.dropped,
      limit: maxQueued,
    });
  out.onSendError = (e) =>
    options.log?.({ event: "udp_error", error: e.message, total: out.failed });
  out.hook = {
    before: () => intake.take(),
    after: () => intake.settle(out.pushedBytes),
  };
  socket.on("message", (msg: Uint8Array, rinfo: DatagramAddress) => {
    intake.offer(msg, rinfo, !out.busy);
  });
  // Drops and failed sends are logged once per spell: a second without any
  // ends it.
  let seen = { sent: 0, failed: 0, received: 0 };
  const sweeper = setInterval(() => {
    server.sweep();
    if (out.dropped === seen.sent && out.failed === seen.failed) out.quiet();
    if (intake.dropped === seen.received) intake.quiet();
    seen = { sent: out.dropped, failed: out.failed, received: intake.dropped };
  }, 1000);
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
    dropped: {
      get sent() {
        return out.dropped;
      },
      get received() {
        return intake.dropped;
      },
    },
    close() {
      return closing ??= (async () => {
        clearInterval(sweeper);
        intake.clear();
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
