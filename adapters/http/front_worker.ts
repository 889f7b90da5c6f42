/**
 * The Worker that runs the HTTP front (adapters/http/front.ts) off the
 * server's thread, started by adapters/http/front_thread.ts. It listens on
 * the HTTP port, accepts, counts descriptors in the shared gate and pipes
 * each connection to the server behind; it tells the server's thread which
 * client each loopback port carries, and cuts a connection when told.
 * The messages both ways are {@link ToFront} and {@link FromFront}.
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import { ConnectionGate, type GatedTransport } from "../connection_gate.ts";
import { messageOf } from "../errors.ts";
import { listenTcp } from "../tcp_listener.ts";
import { HttpFront } from "./front.ts";

/** What starts the front's Worker. */
export interface FrontStart {
  type: "start";
  /** Where to listen. */
  hostname: string;
  port: number;
  reusePort: boolean;
  /** The gate's counters, shared with the server's thread. */
  counters: Int32Array;
  /**
   * What this Worker holds in the gate ({@link HELD_SLOTS} slots), for the
   * server's thread to give back should the Worker die.
   */
  held: Int32Array;
  /** Where the server behind listens now. */
  upstream: Deno.ConnectOptions | undefined;
  requestTimeoutMs: number;
  keepAliveMs: number;
  heartbeatMs: number;
}

/** The server's thread to the front's Worker. */
export type ToFront =
  | FrontStart
  /** The server behind moved (it started again on another port). */
  | { type: "upstream"; upstream: Deno.ConnectOptions | undefined }
  /** Cut the client behind the loopback connection from `port`. */
  | { type: "abort"; port: number }
  /** Stop accepting; answered by `stopped`. */
  | { type: "stop" }
  /** Let connections end for `lingerMs`, cut the rest; answered by `closed`. */
  | { type: "close"; lingerMs: number };

/** The front's Worker to the server's thread. */
export type FromFront =
  | { type: "listening"; addr: Deno.NetAddr }
  /** `name`: the error's class, as in `Deno.errors` (`AddrInUse`). */
  | { type: "failed"; error: string; name?: string }
  | { type: "registered"; port: number; remote: string }
  | { type: "unregistered"; port: number }
  | { type: "unreachable"; target: Deno.ConnectOptions }
  | { type: "log"; record: LogRecord }
  | { type: "stopped" }
  | { type: "closed" };

/** Slot of `held`: HTTP connections this Worker let in and has not closed. */
export const HELD_OPEN = 0;
/** Slot of `held`: refusals (which linger) under way. */
export const HELD_REFUSING = 1;
/** Slots of `held`. */
export const HELD_SLOTS = 2;
/**
 * Set in every slot of `held` by the server's thread when this Worker died:
 * from then on the server's thread has given back what the slot counted, and
 * this Worker (which may still run for a moment) must not give it back too.
 */
export const HELD_DEAD = 1 << 30;

/**
 * A gate that also counts, in `held`, what this Worker holds in it. Each
 * count moves with a compare-and-swap that fails once the slot is marked
 * {@link HELD_DEAD}: a descriptor is given back either by this Worker or by
 * the server's thread, never by both.
 */
class HeldGate extends ConnectionGate {
  readonly #held: Int32Array;

  constructor(counters: Int32Array, held: Int32Array) {
    super({ counters });
    this.#held = held;
  }

  /** Move a slot by `by`; false once the slot is marked dead. */
  #move(slot: number, by: number): boolean {
    for (;;) {
      const v = Atomics.load(this.#held, slot);
      if (v & HELD_DEAD) return false;
      if (Atomics.compareExchange(this.#held, slot, v, v + by) === v) {
        return true;
      }
    }
  }

  override open(transport: GatedTransport): boolean {
    if (!super.open(transport)) return false;
    if (!this.#move(HELD_OPEN, 1)) super.close(transport); // dying
    return true;
  }

  override close(transport: GatedTransport): void {
    if (this.#move(HELD_OPEN, -1)) super.close(transport);
  }

  override startRefusal(lingers = false): boolean {
    if (!super.startRefusal(lingers)) return false;
    if (!this.#move(HELD_REFUSING, 1)) super.endRefusal(lingers);
    return true;
  }

  override endRefusal(lingers = false): void {
    if (this.#move(HELD_REFUSING, -1)) super.endRefusal(lingers);
  }
}

// deno-lint-ignore no-explicit-any
const scope = self as any as {
  postMessage(m: FromFront): void;
  onmessage: ((e: MessageEvent<ToFront>) => void) | null;
  close(): void;
};

const post = (m: FromFront): void => scope.postMessage(m);

let front: HttpFront | undefined;
let upstream: Deno.ConnectOptions | undefined;

scope.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case "start":
      return start(m);
    case "upstream":
      upstream = m.upstream;
      return;
    case "abort":
      return front?.abort(m.port);
    case "stop":
      (front?.stopAccepting() ?? Promise.resolve())
        .then(() => post({ type: "stopped" }));
      return;
    case "close":
      (front?.close(m.lingerMs) ?? Promise.resolve())
        .then(() => post({ type: "closed" }));
      return;
  }
};

function start(m: FrontStart): void {
  upstream = m.upstream;
  let listener: Deno.TcpListener;
  try {
    listener = listenTcp(m.hostname, m.port, m.reusePort);
  } catch (e) {
    // The cause's class (AddrInUse...), for the server's thread to rebuild.
    const cause = (e as Error).cause;
    const name = cause instanceof Error ? cause.name : undefined;
    return post({
      type: "failed",
      error: messageOf(cause),
      ...(name ? { name } : {}),
    });
  }
  front = new HttpFront(listener, {
    gate: new HeldGate(m.counters, m.held),
    upstream: () => upstream,
    unreachable: (target) => post({ type: "unreachable", target }),
    requestTimeoutMs: m.requestTimeoutMs,
    keepAliveMs: m.keepAliveMs,
    heartbeatMs: m.heartbeatMs,
    log: (record) => post({ type: "log", record }),
    registered: (port, remote) => post({ type: "registered", port, remote }),
    unregistered: (port) => post({ type: "unregistered", port }),
  });
  post({ type: "listening", addr: front.addr });
}
