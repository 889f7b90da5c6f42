/**
 * A stream listener's connections: the set it counts and closes, and the
 * sweeper that has idle connections give back spare outbox slots.
 *
 * @module
 */

import type { Chat, LogRecord } from "../../core/chat.ts";
import { Outgoing } from "../../core/peer.ts";
import { ConnectionGate } from "../connection_gate.ts";
import { type ConnectionPool, StreamConnection } from "./connection.ts";
import { SocketWrites } from "./socket_writes.ts";

/** How often idle connections give back spare outbox slots, in ms. */
const TRIM_MS = 1000;

/**
 * A listener's connections and what they share. Per-connection state is
 * kept small, because a server holds thousands of idle members: no async
 * function or promise chain per connection, only a pending read and the
 * callbacks made once per connection (docs/performance.md, W3).
 */
export class Pool implements ConnectionPool {
  readonly open = new Set<StreamConnection>();
  readonly socketWrites: SocketWrites | undefined;
  /** Connections whose descriptor was not found (they write through Deno). */
  unfoundCount = 0;
  readonly #gate: ConnectionGate;
  readonly #log: ((record: LogRecord) => void) | undefined;
  #idle: (() => void) | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  /**
   * Create a listener's pool.
   *
   * @param chat The chat connections attach to.
   * @param transport `"tcp"` or `"unix"`.
   * @param lingerMs Time to finish writing queued bytes when closing, in ms.
   * @param promptMs Quiet time before a silent connection is asked for a
   *   name, in ms; 0 never asks.
   * @param gate The descriptors all transports share.
   * @param libcWrites Write through libc where the process may (TCP).
   * @param log Receives `libc_write_fallback` records.
   */
  constructor(
    readonly chat: Chat,
    readonly transport: "tcp" | "unix",
    readonly lingerMs: number,
    readonly promptMs: number,
    gate: ConnectionGate = new ConnectionGate(),
    libcWrites = false,
    log?: (record: LogRecord) => void,
  ) {
    this.#gate = gate;
    this.#log = log;
    this.socketWrites = libcWrites ? SocketWrites.open() : undefined;
  }

  /**
   * Attach an accepted connection to the chat.
   *
   * @param conn The connection.
   */
  attach(conn: Deno.Conn): void {
    if (!this.#gate.open(this.transport)) return this.#refuse(conn);
    let remote = "unix";
    if (this.transport === "tcp") {
      const tcp = conn as Deno.TcpConn;
      // Keepalive finds peers that vanished without a FIN (a cable pulled).
      tcp.setNoDelay(true);
      tcp.setKeepAlive(true);
      const addr = tcp.remoteAddr;
      remote = `${addr.hostname}:${addr.port}`;
    }
    // Idle members give back the buffers of their last burst, once a
    // second (docs/performance.md, W3).
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(() => {
        for (const c of this.open) c.trim();
      }, TRIM_MS);
      Deno.unrefTimer(this.#sweeper);
    }
    // The connection joins `open` itself, first thing: the chat may refuse
    // and close it while it is being made (a full server).
    new StreamConnection(conn, this, remote);
  }

  /**
   * A connection's descriptor was not found, so it writes through Deno: it
   * works, slower. Logged the first time and each time the count doubles,
   * so a server that keeps missing says so without flooding its log.
   */
  unfound(): void {
    const n = ++this.unfoundCount;
    if ((n & (n - 1)) !== 0) return;
    this.#log?.({
      event: "libc_write_fallback",
      total: n,
      reason:
        "socket descriptor not found; this connection writes through Deno",
    });
  }

  /**
   * A connection is closed and reads no more.
   *
   * @param c The connection.
   */
  finished(c: StreamConnection): void {
    if (!this.open.delete(c)) return;
    this.#gate.close(this.transport);
    if (this.open.size > 0) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#idle?.();
  }

  /**
   * A connection the process has no descriptors for: told `SERVER_FULL` (as
   * the chat tells one over its connection limit), closed. Only a few are
   * written to at once; past that they are closed without a word.
   */
  #refuse(conn: Deno.Conn): void {
    const gate = this.#gate;
    if (!gate.startRefusal()) return closeQuietly(conn);
    conn.write(serverFull(gate.capacity)).catch(() => {}).finally(() => {
      gate.endRefusal();
      closeQuietly(conn);
    });
  }

  /** Resolves once every connection has finished. */
  drained(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#idle = () => {
        this.#idle = undefined;
        resolve();
      };
    });
  }
}

/** The fatal SERVER_FULL frame, encoded once per capacity. */
let refusal: { capacity: number; bytes: Uint8Array } | undefined;

function serverFull(capacity: number): Uint8Array {
  if (refusal?.capacity !== capacity) {
    refusal = {
      capacity,
      bytes: new Outgoing({
        type: "error",
        code: "SERVER_FULL",
        message:
          `Cannot connect: the server holds all the connections its ${capacity} file descriptors allow`,
        fatal: true,
      }).binary(),
    };
  }
  return refusal.bytes;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
