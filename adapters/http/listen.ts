/**
 * Serving the HTTP app on a port next to the other transports
 * ({@link listenHttpWith}, behind `listenHttp` in adapters/http/app.ts).
 * Takes the app factory as a parameter so that this file does not depend on
 * the app (adapters/http/standalone.ts serves it under `deno serve`).
 *
 * @module
 */

import { isLoopbackHost } from "../../core/loopback.ts";
import type { Chat, LogRecord } from "../../core/chat.ts";
import { loadAdminToken } from "./admin_token.ts";
import { HttpHub } from "./hub.ts";
import type { IsolateLink } from "./isolate_link.ts";
import type { HttpLimits } from "./limits.ts";
import { HttpProblem } from "./problem.ts";
import { ConnectionGate } from "../connection_gate.ts";
import { listenTcp } from "../tcp_listener.ts";
import { within } from "../within.ts";
import { type Front, HttpFront } from "./front.ts";
import { FrontThread } from "./front_thread.ts";
import { ServerBehind } from "./server_behind.ts";
import { serveUpgrade } from "./ws_handshake.ts";
import { maxWsMessageBytes } from "./ws_native.ts";

/** Something with a fetch handler: the Hono app. */
export interface FetchApp {
  /** Answer one request. */
  fetch(
    request: Request,
    info: Deno.ServeHandlerInfo,
  ): Response | Promise<Response>;
}

/** Options of `listenHttp`. */
export interface HttpOptions {
  /** Host to bind. @default {"127.0.0.1"} */
  hostname?: string;
  /** Port; 0 picks a free one. @default {8787} */
  port?: number;
  /**
   * Share the port with other servers that set it too (`SO_REUSEPORT`,
   * Linux): the kernel spreads connections over them (`serve --workers`).
   */
  reusePort?: boolean | undefined;
  /** The admin token. @default {the CHAT_ADMIN_TOKEN environment variable} */
  adminToken?: string | undefined;
  /** A file holding the admin token (`--admin-token-file`). */
  adminTokenFile?: string | undefined;
  /** Where a generated admin token is written. @default {defaultAdminTokenPath()} */
  adminTokenPath?: string | undefined;
  /** Limits to override. */
  limits?: Partial<HttpLimits>;
  /**
   * Web origins, besides the server's own, whose pages may open chat
   * sessions (`GET /api/ws`, `POST .../sessions`), such as
   * `https://chat.example.com`; `*` allows any. Requests without an
   * `Origin` header (programs) are always allowed. @default {[]}
   */
  allowOrigins?: readonly string[] | undefined;
  /**
   * Host names (the `Host` header, without the port) the server answers
   * to, besides loopback names. Without this, a server bound to a loopback
   * address answers only to loopback names (a page cannot reach it by DNS
   * rebinding) and one bound elsewhere to any. @default {undefined}
   */
  allowHosts?: readonly string[] | undefined;
  /** Receives one record per lifecycle event. */
  log?: ((record: LogRecord) => void) | undefined;
  /**
   * The descriptors all transports share (adapters/connection_gate.ts): an
   * HTTP connection over its capacity is answered 503 `SERVER_FULL`.
   * @default {a gate without limit}
   */
  gate?: ConnectionGate | undefined;
  /**
   * The other isolates serving the same chat (`serve --workers`): a
   * session's requests go to the isolate that holds it.
   */
  isolates?: IsolateLink | undefined;
  /**
   * Run the HTTP front (timeouts, the descriptor gate, the pipe to Deno's
   * server) in a Worker of its own, for one more thread and about 15 MB of
   * resident memory (docs/reliability.md §3). Its pipe's reads and writes
   * then run on another core; but WebSockets then go through Deno's server
   * behind it, where the front in the server's thread serves them on the
   * client's socket itself (adapters/http/ws_native.ts), several times
   * faster (docs/performance.md). For servers of many event streams.
   * @default {false}
   */
  frontWorker?: boolean | undefined;
}

/** A running HTTP listener. */
export interface HttpListener {
  /** Always `"http"`. */
  readonly transport: "http";
  /** `http://HOST:PORT`. */
  readonly url: string;
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /**
   * Stop serving and end HTTP sessions still open. Waits up to the linger
   * time for streams still writing; each call waits again for WebSockets
   * that have not finished closing.
   */
  close(): Promise<void>;
}

/**
 * Serve an app made by `makeApp` for a chat.
 *
 * @param makeApp Builds the app over the hub.
 * @param chat The chat.
 * @param options Address, admin token, limits and log.
 * @returns The running listener.
 * @throws {ListenError} When the address is in use.
 * @throws {Error} When the admin token cannot be read or written.
 * @throws {TypeError} When an allowed origin is not an http(s) origin.
 */
export async function listenHttpWith(
  makeApp: (hub: HttpHub) => FetchApp,
  chat: Chat,
  options: HttpOptions = {},
): Promise<HttpListener> {
  const admin = await loadAdminToken({
    token: options.adminToken ?? Deno.env.get("CHAT_ADMIN_TOKEN"),
    file: options.adminTokenFile,
    generatedPath: options.adminTokenPath,
  });
  const hostname = options.hostname ?? "127.0.0.1";
  const port = options.port ?? 8787;
  const hub = new HttpHub(chat, {
    adminToken: admin.token,
    limits: options.limits ?? {},
    allowOrigins: options.allowOrigins,
    allowHosts: options.allowHosts ??
      (isLoopbackHost(hostname) ? [] : undefined),
    log: options.log,
    isolates: options.isolates,
  });
  const app = makeApp(hub);
  const limits = hub.limits;
  const gate = options.gate ?? new ConnectionGate();
  // The front runs in a Worker of its own (adapters/http/front_thread.ts)
  // only when asked, and when the gate can be shared with a Worker and the
  // Worker's module can be read; in the server's thread it serves
  // WebSockets on the clients' sockets itself.
  const inWorker = options.frontWorker ?? false;
  const counters = inWorker && FrontThread.possible() ? gate.shared : undefined;
  let front: Front | undefined;
  const forbidden = () =>
    new HttpProblem(
      403,
      "FORBIDDEN",
      "Cannot answer: connect to the server's HTTP port",
    ).toResponse();
  const answer = (
    request: Request,
    port: number,
    remote: string | undefined,
    info: Deno.ServeHandlerInfo,
  ) => {
    if (remote === undefined) return forbidden();
    const [host, p] = splitHostPort(remote);
    const through: Deno.ServeHandlerInfo & { abort: () => void } = {
      remoteAddr: { transport: "tcp", hostname: host, port: p },
      abort: () => front?.abort(port),
      get completed() {
        return info.completed;
      },
    };
    return app.fetch(request, through);
  };
  // Deno.serve behind the front, on a loopback port of its own; each
  // request is told its real client (adapters/http/front.ts).
  const behind = new ServerBehind(
    (request, info) => {
      const port = (info.remoteAddr as Deno.NetAddr).port;
      const remote = front?.remoteOf(port);
      if (remote !== undefined || !front?.remoteSoon) {
        return answer(request, port, remote, info);
      }
      return front.remoteSoon(port).then((r) => answer(request, port, r, info));
    },
    options.log,
    () => {
      if (front instanceof FrontThread) front.moved(behind.address);
    },
  );
  const frontOptions = {
    unreachable: (target: Deno.ConnectOptions) => behind.unreachable(target),
    requestTimeoutMs: limits.requestTimeoutMs,
    keepAliveMs: limits.keepAliveMs,
    heartbeatMs: limits.heartbeatMs,
    wsIdleMs: limits.wsIdleMs,
    log: options.log,
  };
  try {
    if (counters) {
      front = await FrontThread.start({
        hostname,
        port,
        reusePort: options.reusePort ?? false,
        counters,
        upstream: behind.address,
        ...frontOptions,
      });
    }
    if (front === undefined) {
      const listener = listenTcp(hostname, port, options.reusePort ?? false);
      const maxMessage = maxWsMessageBytes(hub.chat.limits.maxFrameSize);
      front = new HttpFront(listener, {
        gate,
        upstream: () => behind.address,
        upgrade: (client, head, c) =>
          serveUpgrade(client, head, c, app.fetch, maxMessage),
        ...frontOptions,
      });
    }
  } catch (e) {
    hub.close();
    await behind.shutdown();
    throw e;
  }
  options.log?.({
    event: "admin_token",
    source: admin.source,
    ...(admin.path ? { file: admin.path } : {}),
  });
  hub.start();
  const addr = front.addr;
  const running = front;
  const host = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  let closing: Promise<void> | undefined;
  return {
    transport: "http",
    url: `http://${host}:${addr.port}`,
    addr,
    async close() {
      const linger = hub.limits.lingerMs;
      const deadline = performance.now() + linger;
      closing ??= (async () => {
        await running.stopAccepting();
        hub.close();
        await behind.shutdown();
      })();
      // Every call waits, at most the linger time, for what is still
      // closing: a WebSocket whose peer stopped reading ends only when the
      // peer reads or goes away, and the server's shutdown waits for it.
      await within(Promise.all([hub.sockets.closed(), closing]), linger);
      // What the server wrote is passed on, then what is left is cut.
      await running.close(Math.max(0, deadline - performance.now()));
      await within(closing, linger);
    },
  };
}

/** `HOST:PORT` (IPv6 hosts without brackets) into its parts. */
function splitHostPort(remote: string): [string, number] {
  const at = remote.lastIndexOf(":");
  return [remote.slice(0, at), Number(remote.slice(at + 1))];
}
