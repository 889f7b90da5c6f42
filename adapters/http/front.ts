/**
 * The HTTP front: the server's own listener on the HTTP port, in front of
 * `Deno.serve`. Deno.serve accepts connections itself and offers no hook
 * per connection: no count, no timeout before a request arrives, and an
 * accept error (out of file descriptors) ends its accept loop and, unless
 * caught, the process (docs/reliability.md). So the front accepts (with
 * the backoff of adapters/accept_loop.ts), counts each connection in the
 * descriptor gate (adapters/connection_gate.ts), refuses one over the cap
 * with a 503 `SERVER_FULL`, pipes the others over loopback to `Deno.serve`
 * (which keeps doing HTTP, WebSockets and event streams), and closes a
 * connection whose request takes too long to arrive (`requestTimeoutMs`:
 * nothing sent, half a head, half a body) or that sits idle
 * (`keepAliveMs`). The server behind learns each request's real client
 * from the loopback port it comes from ({@link HttpFront.remoteOf}).
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import { acceptLoop } from "../accept_loop.ts";
import type { ConnectionGate } from "../connection_gate.ts";
import {
  FrontConnection,
  type FrontHost,
  type ServeUpgrade,
} from "./front_connection.ts";
import { HttpProblem } from "./problem.ts";

/** What the HTTP listener needs of its front, in a Worker or not. */
export interface Front {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** The client (`HOST:PORT`) behind a loopback port, if known now. */
  remoteOf(port: number): string | undefined;
  /** The client behind a loopback port, waiting a moment for the news. */
  remoteSoon?(port: number): Promise<string | undefined>;
  /** Cut the client behind a loopback port at once. */
  abort(port: number): void;
  /** Stop accepting. */
  stopAccepting(): Promise<void>;
  /** Let connections end for `lingerMs`, then cut the rest. */
  close(lingerMs?: number): Promise<void>;
}

/** Options of {@link HttpFront}. */
export interface HttpFrontOptions {
  /** The descriptors all transports share. */
  gate: ConnectionGate;
  /** Where the HTTP server behind listens now (it may restart). */
  upstream: () => Deno.ConnectOptions | undefined;
  /** The server behind refused a connection at `target`. */
  unreachable?: (target: Deno.ConnectOptions) => void;
  /** Request timeout, in ms (adapters/http/limits.ts). */
  requestTimeoutMs: number;
  /** Keep-alive timeout, in ms. */
  keepAliveMs: number;
  /** SSE heartbeat interval: an event stream is idle after three missed. */
  heartbeatMs: number;
  /** A silent WebSocket served here is closed after this, in ms. */
  wsIdleMs?: number | undefined;
  /** Receives `accept_error` and `http_timeout` records. */
  log?: ((record: LogRecord) => void) | undefined;
  /**
   * A loopback connection from `port` now carries the requests of `remote`
   * (the front in a Worker tells the server's thread).
   */
  registered?: ((port: number, remote: string) => void) | undefined;
  /** The loopback connection from `port` is gone. */
  unregistered?: ((port: number) => void) | undefined;
  /**
   * Serve WebSocket upgrades on the client's socket itself
   * (adapters/http/ws_handshake.ts): the front in the server's thread does.
   */
  upgrade?: ServeUpgrade | undefined;
}

/** The last refusal made, kept: a flood gets the same bytes each time. */
let lastRefusal: { detail: string; bytes: Uint8Array } | undefined;

/**
 * Bytes of a 503 answer, sent before the request is read.
 *
 * @param code `SERVER_FULL` (no descriptors left) or `UNAVAILABLE` (the
 *   server behind cannot be reached).
 * @param detail The problem's detail.
 */
function refusal(code: "SERVER_FULL" | "UNAVAILABLE", detail: string) {
  if (lastRefusal?.detail === detail) return lastRefusal.bytes;
  const body = JSON.stringify(new HttpProblem(503, code, detail).toJSON());
  const enc = new TextEncoder();
  const bytes = enc.encode(
    "HTTP/1.1 503 Service Unavailable\r\n" +
      "content-type: application/problem+json\r\n" +
      `content-length: ${enc.encode(body).length}\r\n` +
      "retry-after: 1\r\nconnection: close\r\n\r\n" + body,
  );
  lastRefusal = { detail, bytes };
  return bytes;
}

/** How long a refused connection is read from before it is closed. */
const REFUSAL_DRAIN_MS = 1000;

/** The HTTP port's listener and its connections. */
export class HttpFront implements FrontHost, Front {
  /** Open connections. */
  readonly open: Set<FrontConnection> = new Set();
  readonly #options: HttpFrontOptions;
  readonly #remotes = new Map<
    number,
    { remote: string; conn: FrontConnection }
  >();
  readonly #listener: Deno.TcpListener;
  readonly #loop;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #refusals = new Set<() => void>();
  #idle: (() => void) | undefined;
  /** Serves WebSocket upgrades itself, when the options say how. */
  readonly upgrade?: ServeUpgrade;

  /**
   * Start accepting on a listener.
   *
   * @param listener The bound HTTP port.
   * @param options Gate, server behind, timeouts and log.
   */
  constructor(listener: Deno.TcpListener, options: HttpFrontOptions) {
    this.#options = options;
    this.#listener = listener;
    if (options.upgrade) this.upgrade = options.upgrade;
    this.#loop = acceptLoop(listener, {
      transport: "http",
      onConn: (conn) => this.#accept(conn),
      log: options.log,
    });
    const every = Math.max(
      10,
      Math.min(1000, options.requestTimeoutMs, options.keepAliveMs) / 4,
    );
    this.#sweeper = setInterval(() => this.sweep(), every);
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /**
   * The client behind a loopback connection to the server.
   *
   * @param port The loopback connection's port (the request's remote port).
   * @returns The client's `HOST:PORT`, or undefined when it did not come
   *   through the front.
   */
  remoteOf(port: number): string | undefined {
    return this.#remotes.get(port)?.remote;
  }

  /**
   * Cut the client connection behind a loopback connection at once, both
   * sockets, dropping what is queued either way (a WebSocket cut as a slow
   * consumer: Deno's pending writes to it fail and free their bytes).
   *
   * @param port The loopback connection's port (the request's remote port).
   */
  abort(port: number): void {
    this.#remotes.get(port)?.conn.close();
  }

  /** Close connections whose request, or silence, has gone on too long. */
  sweep(): void {
    const now = performance.now();
    const o = this.#options;
    for (const c of this.open) {
      const state = c.state;
      let timeout: number;
      let since: number;
      if (state === "upgraded") {
        if (o.wsIdleMs !== undefined) c.native?.idle(now, o.wsIdleMs);
        continue;
      }
      if (state === "request") {
        timeout = o.requestTimeoutMs;
        since = c.pendingSince;
      } else {
        // An event stream sends a heartbeat every heartbeatMs (checked by
        // the hub's clock, up to a second late): three missed end it.
        timeout = state === "stream" ? 3 * o.heartbeatMs + 1000 : o.keepAliveMs;
        since = c.lastActive;
      }
      if (now - since < timeout) continue;
      o.log?.({
        event: "http_timeout",
        remote: c.remote,
        state,
        afterMs: Math.round(now - since),
      });
      c.close();
    }
  }

  /** Stop accepting; connections stay open until {@link HttpFront.close}. */
  async stopAccepting(): Promise<void> {
    await this.#loop.stop();
  }

  /**
   * Stop accepting, give connections up to `lingerMs` to end (the server
   * behind closing them: what it wrote is passed on first), then cut the
   * rest and wait for them to end.
   *
   * @param lingerMs Time to let connections end on their own, in ms.
   */
  async close(lingerMs = 0): Promise<void> {
    await this.#loop.stop();
    clearInterval(this.#sweeper);
    for (const end of [...this.#refusals]) end();
    if (this.open.size > 0 && lingerMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idle = resolve),
        new Promise((resolve) => timer = setTimeout(resolve, lingerMs)),
      ]);
      clearTimeout(timer);
    }
    for (const c of this.open) c.close();
    if (this.open.size > 0) {
      await new Promise<void>((resolve) => this.#idle = resolve);
    }
  }

  // FrontHost

  now(): number {
    return performance.now();
  }

  upstream(): Deno.ConnectOptions | undefined {
    return this.#options.upstream();
  }

  register(port: number, remote: string, conn: FrontConnection): void {
    this.#remotes.set(port, { remote, conn });
    this.#options.registered?.(port, remote);
  }

  unregister(port: number): void {
    this.#remotes.delete(port);
    this.#options.unregistered?.(port);
  }

  finished(c: FrontConnection): void {
    if (!this.open.delete(c)) return;
    this.#options.gate.close("http");
    if (this.open.size === 0) this.#idle?.();
  }

  unavailable(conn: Deno.Conn, target?: Deno.ConnectOptions): void {
    if (target) this.#options.unreachable?.(target);
    this.#refuse(
      conn,
      "UNAVAILABLE",
      "Cannot answer: the HTTP server cannot be reached now",
    );
  }

  #accept(conn: Deno.TcpConn): void {
    const gate = this.#options.gate;
    if (!gate.open("http")) {
      return this.#refuse(
        conn,
        "SERVER_FULL",
        `Cannot connect: the server holds all the connections its ${gate.capacity} file descriptors allow`,
      );
    }
    const addr = conn.remoteAddr;
    const remote = `${addr.hostname}:${addr.port}`;
    this.open.add(new FrontConnection(conn, this, remote));
  }

  /**
   * Answer 503 without reading the request, then read (and drop) what the
   * client sends for a moment before closing: closing with unread bytes
   * would reset the connection and lose the answer. Only a few at once.
   */
  #refuse(
    conn: Deno.Conn,
    code: "SERVER_FULL" | "UNAVAILABLE",
    detail: string,
  ): void {
    const gate = this.#options.gate;
    if (!gate.startRefusal(true)) return closeQuietly(conn);
    const buf = new Uint8Array(1024);
    const end = () => {
      if (!this.#refusals.delete(end)) return;
      clearTimeout(timer);
      gate.endRefusal(true);
      closeQuietly(conn);
    };
    this.#refusals.add(end);
    const timer = setTimeout(end, REFUSAL_DRAIN_MS);
    const drain = (n: number | null | Error): void => {
      if (typeof n === "number" && this.#refusals.has(end)) {
        conn.read(buf).then(drain, drain);
      } else end();
    };
    conn.write(refusal(code, detail))
      .then(() => conn.closeWrite())
      .then(() => conn.read(buf))
      .then(drain, end);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}
