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
import { ConnectionGate } from "../connection_gate.ts";
import { ListenError } from "../errors.ts";
import { within } from "../within.ts";
import { giveBackHeld, newHeld } from "./front_held.ts";
import type { Front } from "./front.ts";
import { FrontRemotes } from "./front_remotes.ts";
import type { FromFront, ToFront } from "./front_worker.ts";

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
/** First wait before starting a dead front's Worker again; doubles to 1 s. */
const RESPAWN_MS = 50;

/** The front's Worker, from the server's thread. */
export class FrontThread implements Front {
  #worker: Worker | undefined;
  readonly #remotes = new FrontRemotes();
  readonly #answers = new Map<string, (m?: FromFront) => void>();
  readonly #options: FrontThreadOptions;
  /** What the Worker holds in the gate, given back if it dies. */
  #held = newHeld();
  readonly #gate: ConnectionGate;
  #upstream: Deno.ConnectOptions | undefined;
  #addr: Deno.NetAddr | undefined;
  #ended = false;
  #respawning: ReturnType<typeof setTimeout> | undefined;
  #deathLogged = false;
  /** A dead Worker is being replaced. */
  #restarting = false;
  /** Stopped accepting, or closing: a dead Worker is not replaced. */
  #stopped = false;

  private constructor(options: FrontThreadOptions) {
    this.#options = options;
    this.#upstream = options.upstream;
    this.#gate = new ConnectionGate({ counters: options.counters });
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
   * @returns The running front, or undefined when the Worker cannot run
   *   here (it died or did not answer before listening, which is logged as
   *   `http_error`): the caller keeps the front in its own thread.
   * @throws {ListenError} When the address cannot be bound.
   */
  static async start(
    options: FrontThreadOptions,
  ): Promise<FrontThread | undefined> {
    const front = new FrontThread(options);
    const m = await front.#spawn(options.port);
    if (m?.type === "listening") {
      front.#addr = m.addr;
      return front;
    }
    front.#end();
    if (m?.type !== "failed") {
      if (m === undefined && !front.#deathLogged) {
        options.log?.({
          event: "http_error",
          error: `front: no answer from its Worker within ${ANSWER_MS} ms`,
        });
      }
      return undefined;
    }
    // "Address in use" stays recognisable (ListenError.addressInUse).
    const cause = m.inUse
      ? new Deno.errors.AddrInUse(m.error)
      : new Error(m.error);
    throw new ListenError(
      `Cannot listen on ${options.hostname}:${options.port}: ${m.error}`,
      { cause },
    );
  }

  /** Start a Worker listening on `port`; settles once it listens or fails. */
  #spawn(port: number): Promise<FromFront | undefined> {
    const worker = new Worker(new URL("./front_worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker = worker;
    worker.onmessage = (e: MessageEvent<FromFront>) => this.#receive(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      if (this.#worker === worker) this.#died(e.message);
    };
    const o = this.#options;
    const listening = this.#answer("listening", ANSWER_MS);
    this.#post({
      type: "start",
      hostname: o.hostname,
      port,
      reusePort: o.reusePort,
      counters: o.counters,
      held: this.#held,
      upstream: this.#upstream,
      requestTimeoutMs: o.requestTimeoutMs,
      keepAliveMs: o.keepAliveMs,
      heartbeatMs: o.heartbeatMs,
    });
    return listening;
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.#addr!;
  }

  remoteOf(port: number): string | undefined {
    return this.#remotes.get(port);
  }

  remoteSoon(port: number): Promise<string | undefined> {
    return this.#ended
      ? Promise.resolve(this.#remotes.get(port))
      : this.#remotes.soon(port);
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
    this.#upstream = upstream;
    this.#post({ type: "upstream", upstream });
  }

  async stopAccepting(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#respawning);
    if (this.#worker === undefined) return;
    const stopped = this.#answer("stopped", ANSWER_MS);
    this.#post({ type: "stop" });
    await stopped;
  }

  async close(lingerMs = 0): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#respawning);
    if (this.#worker !== undefined) {
      const closed = this.#answer("closed", lingerMs + ANSWER_MS);
      this.#post({ type: "close", lingerMs });
      await closed;
    }
    this.#end();
  }

  /**
   * End the Worker as a crash would (for tests): what it held in the gate
   * is given back and a new one starts on the same port.
   */
  crash(): void {
    this.#died("crashed on purpose");
  }

  #receive(m: FromFront): void {
    switch (m.type) {
      case "registered":
        return this.#remotes.set(m.port, m.remote);
      case "unregistered":
        return this.#remotes.delete(m.port);
      case "unreachable":
        return this.#options.unreachable(m.target);
      case "log":
        return this.#options.log?.(m.record);
      case "listening":
      case "failed":
        return this.#answered("listening", m);
      case "stopped":
      case "closed":
        return this.#answered(m.type, m);
    }
  }

  /** A promise of the answer `type`, or undefined after `ms` or a death. */
  #answer(type: string, ms: number): Promise<FromFront | undefined> {
    if (this.#ended) return Promise.resolve(undefined);
    return within(
      new Promise<FromFront | undefined>((r) => this.#answers.set(type, r)),
      ms,
    );
  }

  #answered(type: string, m: FromFront): void {
    this.#answers.get(type)?.(m);
    this.#answers.delete(type);
  }

  #post(m: ToFront): void {
    if (!this.#ended) this.#worker?.postMessage(m);
  }

  /**
   * The Worker died (a bug in it, or {@link FrontThread.crash}): its
   * connections are gone with it. Give back what it held in the gate, log
   * it, and start another on the same port, waiting longer each time it
   * fails to listen (the dead one's listener may take a moment to close).
   */
  #died(error: string): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#giveBack();
    this.#remotes.clear();
    for (const [type, done] of this.#answers) {
      if (type !== "listening") done(undefined);
    }
    const attempt = this.#answers.get("listening");
    if (this.#ended || this.#stopped || this.#addr === undefined) {
      // Before it ever listened: the caller keeps the front in its thread.
      if (this.#addr === undefined) {
        this.#options.log?.({ event: "http_error", error: `front: ${error}` });
        this.#deathLogged = true;
      }
      attempt?.(undefined);
      return;
    }
    // A Worker started again died before listening: the loop below tries
    // once more.
    if (this.#restarting) return attempt?.(undefined);
    this.#restarting = true;
    this.#options.log?.({
      event: "http_error",
      error: `front: ${error}`,
      retryMs: RESPAWN_MS,
    });
    this.#respawn(RESPAWN_MS);
  }

  /** Start a Worker on the same port after `delay`, until one listens. */
  #respawn(delay: number): void {
    this.#respawning = setTimeout(async () => {
      if (this.#ended || this.#stopped) return;
      const m = await this.#spawn(this.#addr!.port);
      if (this.#ended || this.#stopped) return;
      if (m?.type === "listening") {
        this.#restarting = false;
        return;
      }
      this.#worker?.terminate();
      this.#worker = undefined;
      this.#giveBack();
      this.#respawn(Math.min(1000, delay * 2));
    }, delay);
  }

  /** Give back what the dead Worker held; the next one counts anew. */
  #giveBack(): void {
    giveBackHeld(this.#held, this.#gate);
    this.#held = newHeld();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#respawning);
    this.#worker?.terminate();
    this.#worker = undefined;
    for (const done of this.#answers.values()) done(undefined);
    this.#answers.clear();
    this.#remotes.clear();
  }
}
