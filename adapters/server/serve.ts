/**
 * A chat server: a {@link Chat} with its listeners, the clock that drives
 * its timeouts, and an orderly shutdown. Transports plug in through
 * {@link TRANSPORTS}.
 *
 * @module
 */

import type { Backplane } from "../../core/backplane.ts";
import { Chat, type LogRecord } from "../../core/chat.ts";
import type { Limits } from "../../core/limits.ts";
import { ConnectionGate } from "../connection_gate.ts";
import { listenStream } from "../stream/mod.ts";
import { listenUdp, type UdpOptions } from "../udp/mod.ts";
import { type HttpOptions, listenHttp } from "../http/mod.ts";
import { ListenError } from "../errors.ts";
import { capConnections } from "./connection_cap.ts";
import { settled as flushRoundsSettled } from "../flush_rounds.ts";

/** A running listener of any transport. */
export interface Listener {
  /** Transport name. */
  readonly transport: string;
  /** Where clients connect. */
  readonly url: string;
  /** Stop it and close its connections. */
  close(): Promise<void>;
}

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Transports to serve. @default {["tcp", "unix", "http"]} */
  transports?: readonly string[];
  /** TCP (and UDP) host. @default {"127.0.0.1"} */
  hostname?: string;
  /** TCP (and UDP) port; 0 picks a free one. @default {7878} */
  port?: number;
  /** Unix socket path. @default {defaultSocketPath()} */
  socketPath?: string;
  /**
   * TCP and HTTP share their ports with other servers that set it too
   * (`SO_REUSEPORT`, Linux), as the Workers of `serve --workers` do.
   * @default {false}
   */
  reusePort?: boolean;
  /** Limits to override. */
  limits?: Partial<Limits>;
  /** Cluster backplane. @default {in-memory, one node} */
  backplane?: Backplane;
  /** Receives one record per lifecycle event. */
  log?: (record: LogRecord) => void;
  /** How often timeouts are checked, in ms. @default {1000} */
  tickMs?: number;
  /**
   * Quiet time after which a TCP or Unix connection that sent nothing is
   * asked for a name as a text session (nc, telnet), in ms; 0 never asks.
   * @default {500}
   */
  textPromptMs?: number;
  /**
   * UDP options: port (default: `port`), datagram limits. The host is
   * `hostname`.
   */
  udp?: Omit<UdpOptions, "hostname" | "log">;
  /**
   * HTTP options: port (default 8787), admin token, HTTP limits. The host
   * is `hostname`.
   */
  http?: Omit<HttpOptions, "hostname" | "log" | "gate">;
  /**
   * The descriptors the connections of every transport share
   * (adapters/connection_gate.ts). Its capacity is set at start from the
   * descriptor limit (adapters/server/connection_cap.ts); isolates of one
   * process pass gates over the same shared counters. @default {a new gate}
   */
  gate?: ConnectionGate;
  /**
   * TCP writes through libc's `send(2)` where the process may
   * (`--allow-ffi`, Linux), else through `Deno.Conn.write`. @default {true}
   */
  libcWrites?: boolean;
}

/** What a transport starter gets besides the chat. */
export type StarterOptions = ServeOptions & { gate: ConnectionGate };

/** Starts one transport for a chat. */
export type TransportStarter = (
  chat: Chat,
  options: StarterOptions,
) => Promise<Listener>;

/** The transports `serve` knows, by name. */
export const TRANSPORTS: Map<string, TransportStarter> = new Map<
  string,
  TransportStarter
>([
  [
    "tcp",
    (chat, o) =>
      listenStream(chat, {
        transport: "tcp",
        hostname: o.hostname ?? "127.0.0.1",
        port: o.port ?? 7878,
        gate: o.gate,
        ...(o.reusePort ? { reusePort: true } : {}),
        ...(o.libcWrites === false ? { libcWrites: false } : {}),
        ...(o.log ? { log: o.log } : {}),
        ...(o.textPromptMs !== undefined
          ? { textPromptMs: o.textPromptMs }
          : {}),
      }),
  ],
  [
    "unix",
    (chat, o) =>
      listenStream(chat, {
        transport: "unix",
        path: o.socketPath ?? defaultSocketPath(),
        gate: o.gate,
        ...(o.log ? { log: o.log } : {}),
        ...(o.textPromptMs !== undefined
          ? { textPromptMs: o.textPromptMs }
          : {}),
      }),
  ],
  [
    "udp",
    (chat, o) =>
      listenUdp(chat, {
        hostname: o.hostname ?? "127.0.0.1",
        port: o.port ?? 7878,
        ...o.udp,
        ...(o.log ? { log: o.log } : {}),
      }),
  ],
  [
    "http",
    (chat, o) =>
      listenHttp(chat, {
        hostname: o.hostname ?? "127.0.0.1",
        ...o.http,
        gate: o.gate,
        ...(o.reusePort ? { reusePort: true } : {}),
        log: o.log,
      }),
  ],
]);

/**
 * The default Unix socket path: `$XDG_RUNTIME_DIR/roomcast.sock`, or
 * `/tmp/roomcast-UID.sock` where that variable is not set.
 *
 * @returns The path.
 */
export function defaultSocketPath(): string {
  const dir = Deno.env.get("XDG_RUNTIME_DIR");
  if (dir) return `${dir}/roomcast.sock`;
  return `/tmp/roomcast-${Deno.uid() ?? 0}.sock`;
}

/** A running server. */
export interface Server {
  /** The chat. */
  readonly chat: Chat;
  /** Its listeners. */
  readonly listeners: readonly Listener[];
  /**
   * Tell every member the server is shutting down, close every connection
   * and listener (removing the Unix socket file) and stop the clock. Each
   * listener waits at most its linger time; calling this again waits again
   * for connections still closing.
   */
  shutdown(): Promise<void>;
}

/**
 * Start a chat server.
 *
 * @param options Transports, addresses, limits, backplane and log.
 * @returns The running server.
 * @throws {ListenError} When a listener cannot start (the others are closed).
 * @example
 * ```ts ignore
 * const server = await serve({ transports: ["tcp"], port: 0 });
 * console.log(server.listeners[0]?.url);
 * await server.shutdown();
 * ```
 */
export async function serve(options: ServeOptions = {}): Promise<Server> {
  // A server that fails to start tells only why (the error it throws), not
  // the shutdown of a chat that never served.
  let failed = false;
  const log = options.log;
  const chat = new Chat({
    now: () => performance.now(),
    wallClock: () => Date.now(),
    ...(options.backplane ? { backplane: options.backplane } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    ...(log ? { log: (r: LogRecord) => failed || log(r) } : {}),
  });
  const names = options.transports ?? ["tcp", "unix", "http"];
  const listeners: Listener[] = [];
  const gate = options.gate ?? new ConnectionGate();
  try {
    for (const name of names) {
      const start = TRANSPORTS.get(name);
      if (start === undefined) {
        throw new TypeError(
          `Cannot serve transport "${name}": known transports are ${
            [...TRANSPORTS.keys()].join(", ")
          }`,
        );
      }
      try {
        listeners.push(await start(chat, { ...options, gate }));
      } catch (e) {
        if (e instanceof ListenError) e.transport ??= name;
        throw e;
      }
    }
  } catch (e) {
    failed = true;
    await Promise.all(listeners.map((l) => l.close()));
    await chat.shutdown();
    throw e;
  }
  for (const l of listeners) {
    options.log?.({ event: "listen", transport: l.transport, url: l.url });
  }
  // Now that the listeners (and Redis) hold theirs, what the descriptor
  // limit leaves for connections.
  if (options.gate === undefined) {
    await capConnections(gate, chat.limits.maxConnections, options.log);
  }
  const clock = setInterval(() => chat.tick(), options.tickMs ?? 1000);
  let stopping: Promise<void> | undefined;
  return {
    chat,
    listeners,
    shutdown() {
      if (stopping !== undefined) {
        // Called again: wait (bounded) for what is still closing, such as a
        // WebSocket whose peer had stopped reading.
        return stopping.then(async () => {
          await Promise.all(listeners.map((l) => l.close()));
        });
      }
      return stopping = (async () => {
        clearInterval(clock);
        await chat.shutdown();
        // The goodbyes are queued for the next flush round: written first.
        await flushRoundsSettled();
        await Promise.all(listeners.map((l) => l.close()));
        options.log?.({ event: "stopped" });
      })();
    },
  };
}
