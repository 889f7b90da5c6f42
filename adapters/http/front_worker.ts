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
import { ListenError, messageOf } from "../errors.ts";
import { listenTcp } from "../tcp_listener.ts";
import { HttpFront } from "./front.ts";
import { HeldGate } from "./front_held.ts";

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
   * What this Worker holds in the gate (adapters/http/front_held.ts), for
   * the server's thread to give back should the Worker die.
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
  /** `inUse`: the address is in use. */
  | { type: "failed"; error: string; inUse: boolean }
  | { type: "registered"; port: number; remote: string }
  | { type: "unregistered"; port: number }
  | { type: "unreachable"; target: Deno.ConnectOptions }
  | { type: "log"; record: LogRecord }
  | { type: "stopped" }
  | { type: "closed" };

// deno-lint-ignore no-explicit-any
const scope = self as any as {
  postMessage(m: FromFront): void;
  onmessage: ((e: MessageEvent<ToFront>) => void) | null;
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
    // The message without "Cannot listen on ...": the thread says that.
    const listen = e instanceof ListenError ? e : undefined;
    return post({
      type: "failed",
      error: messageOf(listen?.cause ?? e),
      inUse: listen?.addressInUse ?? false,
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
