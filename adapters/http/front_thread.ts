/**
 * The HTTP front (adapters/http/front.ts) in a Worker of its own
 * (adapters/http/front_worker.ts), seen from the server's thread. Every
 * WebSocket message and event-stream write crosses the front: a read and a
 * write of its own per message, besides the server's. In the server's
 * thread those ops queued behind the fan-out and made latency over
 * WebSockets ten times TCP's at 1,000 messages/s (docs/performance.md); in a
 * Worker they run on another core. The descriptor gate's counters are
 * shared with the Worker; which client each loopback port carries comes
 * back as messages, sent before the connection's first byte.
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import { ListenError } from "../errors.ts";
import type { FromFront, ToFront } from "./front_worker.ts";

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

/** Options of {@link FrontThread.start}. */
export interface FrontThreadOptions {
  hostname: string;
  port: number;
  reusePort: boolean;
  /** The gate's counters, on a `SharedArrayBuffer`. */
  counters: Int32Array;
  /** Where the server behind listens now. */
  upstream: Deno.ConnectOptions | undefined;
  /** The server behind refused a connection at `target`. */
  unreachable: (target: Deno.ConnectOptions) => void;
  requestTimeoutMs: number;
  keepAliveMs: number;
  heartbeatMs: number;
  log?: ((record: LogRecord) => void) | undefined;
}

/** Longest wait for the Worker to listen, or to answer a stop. */
const ANSWER_MS = 10_000;
/** Longest wait for a loopback port's client (sent before its first byte). */
const REMOTE_WAIT_MS = 1000;

/** The front's Worker, from the server's thread. */
export class FrontThread implements Front {
  readonly #worker: Worker;
  readonly #remotes = new Map<number, string>();
  readonly #waiting = new Map<
    number,
    ((remote: string | undefined) => void)[]
  >();
  readonly #answers = new Map<string, () => void>();
  readonly #options: FrontThreadOptions;
  #addr: Deno.NetAddr | undefined;
  #ended = false;

  private constructor(worker: Worker, options: FrontThreadOptions) {
    this.#worker = worker;
    this.#options = options;
  }

  /**
   * Whether the front's Worker can start here: it loads its module, which
   * needs read access to it (a server run without `--allow-read` keeps the
   * front in its own thread).
   *
   * @returns True when the Worker's module can be loaded.
   */
  static possible(): boolean {
    const url = new URL("./front_worker.ts", import.meta.url);
    if (url.protocol !== "file:") return true;
    try {
      const path = decodeURIComponent(url.pathname);
      return Deno.permissions.querySync({ name: "read", path }).state ===
        "granted";
    } catch {
      return false;
    }
  }

  /**
   * Start the Worker and wait until it listens.
   *
   * @param options Address, shared gate, server behind, timeouts and log.
   * @returns The running front.
   * @throws {ListenError} When the address cannot be bound.
   */
  static async start(options: FrontThreadOptions): Promise<FrontThread> {
    const worker = new Worker(new URL("./front_worker.ts", import.meta.url), {
      type: "module",
    });
    const front = new FrontThread(worker, options);
    const listening = new Promise<FromFront>((resolve) => {
      front.#answers.set(
        "listening",
        () => resolve({ type: "failed", error: "its Worker died" }),
      );
      worker.onmessage = (e: MessageEvent<FromFront>) => {
        const m = e.data;
        if (m.type === "listening" || m.type === "failed") {
          front.#answers.delete("listening");
          worker.onmessage = (e) => front.#receive(e.data);
          resolve(m);
        }
      };
    });
    worker.onerror = (e) => {
      e.preventDefault();
      front.#died(e.message);
    };
    const o = options;
    front.#post({
      type: "start",
      hostname: o.hostname,
      port: o.port,
      reusePort: o.reusePort,
      counters: o.counters,
      upstream: o.upstream,
      requestTimeoutMs: o.requestTimeoutMs,
      keepAliveMs: o.keepAliveMs,
      heartbeatMs: o.heartbeatMs,
    });
    const m = await within(listening, ANSWER_MS);
    if (m?.type === "listening") {
      front.#addr = m.addr;
      return front;
    }
    worker.terminate();
    front.#ended = true;
    const why = m?.type === "failed"
      ? m.error
      : `the HTTP front's Worker did not start within ${ANSWER_MS} ms`;
    // The error's class, for callers that tell "address in use" apart.
    const Class = m?.type === "failed" && m.name
      ? (Deno.errors as unknown as Record<
        string,
        (new (message: string) => Error) | undefined
      >)[m.name]
      : undefined;
    throw new ListenError(`Cannot listen on ${o.hostname}:${o.port}: ${why}`, {
      cause: Class ? new Class(why) : new Error(why),
    });
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.#addr!;
  }

  remoteOf(port: number): string | undefined {
    return this.#remotes.get(port);
  }

  async remoteSoon(port: number): Promise<string | undefined> {
    const known = this.#remotes.get(port);
    if (known !== undefined || this.#ended) return known;
    let resolve!: (remote: string | undefined) => void;
    const news = new Promise<string | undefined>((r) => resolve = r);
    const list = this.#waiting.get(port) ?? [];
    list.push(resolve);
    this.#waiting.set(port, list);
    const remote = await within(news, REMOTE_WAIT_MS);
    const left = this.#waiting.get(port)?.filter((r) => r !== resolve);
    if (left?.length) this.#waiting.set(port, left);
    else this.#waiting.delete(port);
    return remote;
  }

  abort(port: number): void {
    this.#post({ type: "abort", port });
  }

  /**
   * The server behind moved: connect new connections there.
   *
   * @param upstream Where it listens now, if it does.
   */
  moved(upstream: Deno.ConnectOptions | undefined): void {
    this.#post({ type: "upstream", upstream });
  }

  async stopAccepting(): Promise<void> {
    await this.#ask({ type: "stop" }, "stopped", ANSWER_MS);
  }

  async close(lingerMs = 0): Promise<void> {
    await this.#ask(
      { type: "close", lingerMs },
      "closed",
      lingerMs + ANSWER_MS,
    );
    this.#end();
  }

  #receive(m: FromFront): void {
    switch (m.type) {
      case "registered": {
        this.#remotes.set(m.port, m.remote);
        const waiting = this.#waiting.get(m.port);
        if (waiting) {
          this.#waiting.delete(m.port);
          for (const resolve of waiting) resolve(m.remote);
        }
        return;
      }
      case "unregistered":
        this.#remotes.delete(m.port);
        return;
      case "unreachable":
        return this.#options.unreachable(m.target);
      case "log":
        return this.#options.log?.(m.record);
      case "stopped":
      case "closed":
        this.#answers.get(m.type)?.();
        this.#answers.delete(m.type);
        return;
    }
  }

  async #ask(m: ToFront, answer: string, ms: number): Promise<void> {
    if (this.#ended) return;
    const answered = new Promise<void>((r) => this.#answers.set(answer, r));
    this.#post(m);
    await within(answered, ms);
  }

  #post(m: ToFront): void {
    if (!this.#ended) this.#worker.postMessage(m);
  }

  /** The Worker died (a bug): log it, and let every wait end. */
  #died(error: string): void {
    this.#options.log?.({ event: "http_error", error: `front: ${error}` });
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#worker.terminate();
    for (const done of this.#answers.values()) done();
    this.#answers.clear();
    for (const list of this.#waiting.values()) {
      for (const resolve of list) resolve(undefined);
    }
    this.#waiting.clear();
  }
}

/** A promise's value, or undefined after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
