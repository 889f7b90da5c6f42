/**
 * The stream listener: TCP and Unix domain sockets, the only place that calls
 * `Deno.listen`. It accepts connections and hands each to its {@link Pool};
 * the connections move bytes between sockets and core sessions
 * (`connection.ts`), written in flush rounds shared with the HTTP streams
 * (`adapters/flush_rounds.ts`).
 *
 * @module
 */

import { acceptLoop } from "../accept_loop.ts";
import type { ConnectionGate } from "../connection_gate.ts";
import { ListenError, messageOf } from "../errors.ts";
import { listenTcp } from "../tcp_listener.ts";
import type { Chat, LogRecord } from "../../core/chat.ts";
import { Pool } from "./pool.ts";
import { clearStaleSocket, removeSocket, unixUrl } from "./unix_socket.ts";

/** Default quiet time before a silent connection is asked for a name. */
export const TEXT_PROMPT_MS = 500;

/** Where to listen. */
export type StreamAddress =
  | {
    transport: "tcp";
    hostname?: string;
    port?: number;
    /**
     * Share the port with other listeners that set it too (`SO_REUSEPORT`,
     * Linux): the kernel spreads connections over them (`serve --workers`).
     */
    reusePort?: boolean;
  }
  | { transport: "unix"; path: string };

/** Options of {@link listenStream}. */
export type StreamOptions = StreamAddress & {
  /** Time to finish writing queued bytes when closing, in ms. @default {2000} */
  lingerMs?: number;
  /**
   * Quiet time after which a new connection that sent nothing becomes a
   * text session and is asked for a name (binary clients speak at once;
   * people with nc wait to be asked), in ms; 0 never asks. @default {500}
   */
  textPromptMs?: number;
  /**
   * Receives `accept_error` records (such as running out of file
   * descriptors) and `libc_write_fallback` (a TCP connection's descriptor not
   * found: it writes through Deno; logged at counts 1, 2, 4, 8, ...).
   */
  log?: (record: LogRecord) => void;
  /**
   * The descriptors all transports share (adapters/connection_gate.ts): a
   * connection over its capacity is refused with `SERVER_FULL`.
   * @default {a gate without limit}
   */
  gate?: ConnectionGate;
  /**
   * TCP: write through libc's `send(2)` where the process may
   * (`--allow-ffi`, Linux), else through `Deno.Conn.write`
   * (adapters/stream/socket_writes.ts). @default {true}
   */
  libcWrites?: boolean;
};

/** A running stream listener. */
export interface StreamListener {
  /** `"tcp"` or `"unix"`. */
  readonly transport: "tcp" | "unix";
  /** The bound address (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr | Deno.UnixAddr;
  /** A URL clients can use: `tcp://127.0.0.1:7878` or `unix:///path`. */
  readonly url: string;
  /** Open connections. */
  readonly connections: number;
  /** Stop accepting, close every connection, remove the socket file. */
  close(): Promise<void>;
}

/**
 * Listen for stream connections and attach each one to the chat.
 *
 * @param chat The chat.
 * @param options Transport and address.
 * @returns The running listener.
 * @throws {ListenError} When the address is in use, or a live server owns
 *   the Unix socket path, or the path is not a socket.
 * @example
 * ```ts ignore
 * const listener = await listenStream(chat, { transport: "tcp", port: 0 });
 * console.log(listener.url);
 * await listener.close();
 * ```
 */
export async function listenStream(
  chat: Chat,
  options: StreamOptions,
): Promise<StreamListener> {
  const lingerMs = options.lingerMs ?? 2000;
  const promptMs = options.textPromptMs ?? TEXT_PROMPT_MS;
  let listener: Deno.Listener;
  let url: string;
  let socketPath: string | undefined;
  if (options.transport === "unix") {
    socketPath = options.path;
    await clearStaleSocket(socketPath);
    try {
      listener = Deno.listen({ transport: "unix", path: socketPath });
    } catch (cause) {
      throw new ListenError(
        `Cannot listen on ${socketPath}: ${messageOf(cause)}`,
        { cause },
      );
    }
    url = unixUrl(socketPath);
  } else {
    const hostname = options.hostname ?? "127.0.0.1";
    const port = options.port ?? 7878;
    listener = listenTcp(hostname, port, options.reusePort ?? false);
    const addr = listener.addr as Deno.NetAddr;
    url = `tcp://${
      addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname
    }:${addr.port}`;
  }
  const transport = options.transport;
  const pool = new Pool(
    chat,
    transport,
    lingerMs,
    promptMs,
    options.gate,
    transport === "tcp" && options.libcWrites !== false,
    options.log,
  );
  const loop = acceptLoop(listener, {
    transport,
    onConn: (conn) => pool.attach(conn),
    log: options.log,
  });

  let closing: Promise<void> | undefined;
  return {
    transport,
    addr: listener.addr as Deno.NetAddr | Deno.UnixAddr,
    url,
    get connections() {
      return pool.open.size;
    },
    close() {
      return closing ??= (async () => {
        await loop.stop();
        // Give queued goodbyes up to the linger time, then cut the rest.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          pool.drained(),
          new Promise((r) => timer = setTimeout(r, lingerMs)),
        ]);
        clearTimeout(timer);
        for (const c of pool.open) c.close(false);
        await pool.drained();
        if (socketPath !== undefined) await removeSocket(socketPath);
      })();
    },
  };
}
