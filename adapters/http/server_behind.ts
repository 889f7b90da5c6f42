/**
 * `Deno.serve` behind the HTTP front (adapters/http/front.ts), on a loopback
 * port only the front connects to. Should it stop (its accept loop ends on
 * an accept error, such as running out of file descriptors), the error is
 * logged as `http_error` instead of ending the process, and a new one is
 * started on a new port after a short wait; connections already open are
 * still served by the old one until they end.
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import { messageOf } from "../errors.ts";
import { HttpProblem } from "./problem.ts";

/** Wait before starting the server again after it stopped on an error. */
const RESTART_MS = 100;

/** A `Deno.serve` that starts again when it stops on an error. */
export class ServerBehind {
  readonly #handler: Deno.ServeHandler<Deno.NetAddr>;
  readonly #log: ((record: LogRecord) => void) | undefined;
  readonly #moved: (() => void) | undefined;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  readonly #old = new Set<Deno.HttpServer<Deno.NetAddr>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  /**
   * Start serving on a loopback port.
   *
   * @param handler Answers each request.
   * @param log Receives `http_error` records.
   * @param moved Called when {@link ServerBehind.address} changes (it
   *   stopped, or started again), not for the first start.
   * @throws {Error} When no loopback port can be had at all.
   */
  constructor(
    handler: Deno.ServeHandler<Deno.NetAddr>,
    log: ((record: LogRecord) => void) | undefined,
    moved?: () => void,
  ) {
    this.#handler = handler;
    this.#log = log;
    this.#start();
    this.#moved = moved;
  }

  /** Where it listens now; undefined while it is starting again. */
  get address(): Deno.ConnectOptions | undefined {
    const s = this.#server;
    return s && { hostname: s.addr.hostname, port: s.addr.port };
  }

  #start(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    let server: Deno.HttpServer<Deno.NetAddr>;
    try {
      server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: () => {},
        onError: () =>
          new HttpProblem(500, "INTERNAL", "Cannot answer: internal error")
            .toResponse(),
      }, this.#handler);
    } catch (e) {
      this.#failed(e);
      return;
    }
    this.#server = server;
    this.#moved?.();
    server.finished.catch((e) => {
      // Its accept loop ended, and every connection it had has ended too.
      if (this.#server === server) this.#failed(e);
      this.#old.delete(server);
    });
  }

  /**
   * A connection to `target` was refused: if that is where the server
   * listens now, its accept loop has ended (its `finished` settles only
   * once its last connection ends): start another.
   *
   * @param target Where the connection was tried.
   */
  unreachable(target: Deno.ConnectOptions): void {
    const s = this.#server;
    if (s === undefined || s.addr.port !== target.port) return;
    this.#failed(new Error(`connection to port ${target.port} refused`));
  }

  #failed(e: unknown): void {
    if (this.#server) this.#old.add(this.#server);
    this.#server = undefined;
    this.#moved?.();
    this.#log?.({
      event: "http_error",
      error: messageOf(e),
      retryMs: RESTART_MS,
    });
    if (!this.#stopped) {
      this.#timer = setTimeout(() => this.#start(), RESTART_MS);
    }
  }

  /** Stop: no new connections; waits for the open ones to end. */
  async shutdown(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const all = [this.#server, ...this.#old].filter((s) => s !== undefined);
    await Promise.all(all.map((s) => s.shutdown().catch(() => {})));
  }
}
