/**
 * `GET /api/ws`: a chat session over a WebSocket. Client messages are the
 * core's commands as JSON (`{"type":"join","room":"lobby","name":"bob"}`);
 * server messages are the events (`out.json()`, encoded once per fan-out).
 * A session made by `POST .../sessions` is picked up by its token, sent in
 * the first message (`{"type":"auth","token":"..."}`) or as the subprotocol
 * `roomcast.token.<token>`, never in the URL.
 *
 * @module
 */

import type { ErrorCodeName } from "../../core/errors.ts";
import type { EventSink, SinkItem } from "./event_sink.ts";
import type { HttpHub, PendingSocket } from "./hub.ts";
import { HttpProblem } from "./problem.ts";
import { parseClientMessage } from "./schemas.ts";
import type { HttpSession } from "./session.ts";

/** The subprotocol the server speaks. */
export const WS_PROTOCOL = "roomcast.v1";
/** Prefix of the subprotocol that carries a session token. */
export const WS_TOKEN_PREFIX = "roomcast.token.";

/**
 * Upgrade a request to a WebSocket chat session.
 *
 * @param hub The HTTP hub.
 * @param request The upgrade request.
 * @param remote Remote address for logs.
 * @returns The 101 response.
 * @throws {HttpProblem} 426 without an upgrade, 404 for an unknown token.
 */
export function upgradeToWebSocket(
  hub: HttpHub,
  request: Request,
  remote?: string,
): Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    throw new HttpProblem(
      426,
      "UPGRADE_REQUIRED",
      "Cannot open a chat session: this endpoint speaks WebSocket only",
      { upgrade: "websocket" },
    );
  }
  const offered = (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((p) => p.trim()).filter((p) => p !== "");
  const tokenProtocol = offered.find((p) => p.startsWith(WS_TOKEN_PREFIX));
  let token: string | undefined;
  if (tokenProtocol !== undefined) {
    token = tokenProtocol.slice(WS_TOKEN_PREFIX.length);
    if (!hub.known(token)) {
      throw new HttpProblem(
        404,
        "BAD_TOKEN",
        "Cannot find session: the token is unknown or the session ended",
      );
    }
  }
  const protocol = offered.includes(WS_PROTOCOL) ? WS_PROTOCOL : tokenProtocol;
  const { socket, response } = Deno.upgradeWebSocket(request, {
    ...(protocol ? { protocol } : {}),
    idleTimeout: 60,
  });
  new WsConnection(hub, socket, token, remote);
  return response;
}

/** The stream side of a WebSocket: events out as text messages. */
class WsSink implements EventSink {
  readonly kind = "ws";
  readonly #socket: WebSocket;
  readonly #hub: HttpHub;
  #closing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(socket: WebSocket, hub: HttpHub) {
    this.#socket = socket;
    this.#hub = hub;
  }

  get buffered(): number {
    return this.#socket.readyState === WebSocket.OPEN
      ? this.#socket.bufferedAmount
      : 0;
  }

  write(items: readonly SinkItem[]): void {
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    for (const item of items) this.#socket.send(item.out.json());
  }

  /**
   * Close once what was sent has been written: Deno's WebSocket cannot drop
   * its queue, and a close started behind data the peer never reads would
   * hang. Past the linger time the socket is left to end when the peer
   * goes away (or reads).
   */
  close(flush: boolean): void {
    if (this.#closing) return;
    this.#closing = true;
    const [code, reason] = !flush
      ? [1008, "slow consumer"]
      : this.#hub.chat.closing
      ? [1001, "server shutting down"]
      : [1000, ""];
    const deadline = Date.now() + this.#hub.limits.lingerMs;
    const attempt = () => {
      this.#timer = undefined;
      const s = this.#socket;
      if (s.readyState !== WebSocket.OPEN) return;
      if (s.bufferedAmount === 0) s.close(code, reason);
      else if (Date.now() < deadline) this.#timer = setTimeout(attempt, 20);
    };
    attempt();
  }

  /** The socket closed: stop waiting to close it. */
  closed(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** One WebSocket, from open to close. */
class WsConnection implements PendingSocket {
  readonly openedAt: number;
  readonly #hub: HttpHub;
  readonly #socket: WebSocket;
  readonly #sink: WsSink;
  readonly #remote: string | undefined;
  #session: HttpSession | undefined;
  #opened = false;
  /** Messages that came while a token was being looked up. */
  #waiting: unknown[] | undefined;

  constructor(
    hub: HttpHub,
    socket: WebSocket,
    token: string | undefined,
    remote: string | undefined,
  ) {
    this.#hub = hub;
    this.#socket = socket;
    this.#sink = new WsSink(socket, hub);
    this.#remote = remote;
    this.openedAt = hub.chat.now();
    socket.onopen = () => {
      this.#opened = true;
      hub.streams.ws++;
      if (token !== undefined) this.#auth(token, undefined);
      else if (hub.chat.closing) {
        this.#fatal(
          "SHUTTING_DOWN",
          "Cannot connect: the server is shutting down",
        );
      } else if (
        hub.chat.size + hub.pendingCount >= hub.chat.limits.maxConnections
      ) {
        // Refused at once, as on TCP; a session's own token (subprotocol)
        // is still let in, since it adds no connection.
        this.#fatal(
          "SERVER_FULL",
          `Cannot connect: the server has ${hub.chat.limits.maxConnections} connections`,
        );
      } else hub.addPending(this);
    };
    socket.onmessage = (e) => this.#message(e.data);
    let closed!: () => void;
    hub.trackSocket(new Promise<void>((resolve) => closed = resolve));
    socket.onclose = () => {
      this.#sink.closed();
      closed();
      if (this.#opened) hub.streams.ws--;
      this.#opened = false;
      hub.removePending(this);
      this.#session?.detach(this.#sink);
    };
    socket.onerror = () => {};
  }

  expire(shutdown: boolean): void {
    if (shutdown) {
      this.#fatal("SHUTTING_DOWN", "Cannot go on: the server is shutting down");
      return;
    }
    this.#fatal(
      "JOIN_TIMEOUT",
      `Cannot wait any longer: no join or auth within ${this.#hub.chat.limits.joinTimeoutMs} ms`,
    );
  }

  #message(data: unknown): void {
    if (this.#waiting !== undefined) {
      if (this.#waiting.length < this.#hub.chat.limits.pendingCommands) {
        this.#waiting.push(data);
      } else {
        this.#refuse(
          "JOIN_PENDING",
          "Cannot queue the message: the session is still being looked up",
        );
      }
      return;
    }
    if (typeof data !== "string") {
      this.#refuse(
        "UNKNOWN_TYPE",
        "Cannot accept a binary message: send JSON as text",
      );
      return;
    }
    const parsed = parseClientMessage(data, this.#hub.chat.limits.maxFrameSize);
    if (!parsed.ok) {
      this.#refuse(parsed.code, parsed.message);
      return;
    }
    if ("auth" in parsed) {
      if (this.#session !== undefined) {
        this.#refuse(
          "FRAME_MALFORMED",
          "Cannot accept auth: this socket already has a session",
        );
        return;
      }
      this.#hub.removePending(this);
      this.#auth(parsed.auth, parsed.seen);
      return;
    }
    let session = this.#session;
    if (session === undefined) {
      this.#hub.removePending(this);
      session = this.#session = this.#hub.createSocketSession(this.#remote);
      if (session.closed) {
        // Refused at connect (server full, shutting down).
        this.#fatal(
          session.failure?.code ?? "SHUTTING_DOWN",
          session.failure?.message ?? "Cannot connect",
        );
        return;
      }
      session.attach(this.#sink);
    }
    session.command(parsed.command);
  }

  /**
   * Take over the session of a token (made over HTTP, or a member in its
   * grace period): missed events, then a welcome.
   */
  #auth(token: string, seen: number | undefined): void {
    const open = this.#hub.find(token);
    if (open !== undefined) {
      this.#resume(open, seen, true);
      return;
    }
    this.#waiting = [];
    this.#hub.reclaim(token, { steal: true, seen }, this.#remote).then(
      (session) => {
        const waiting = this.#waiting ?? [];
        this.#waiting = undefined;
        if (this.#socket.readyState !== WebSocket.OPEN) {
          session?.disconnect();
          return;
        }
        if (session === undefined) {
          this.#fatal(
            "BAD_TOKEN",
            "Cannot find session: the token is unknown or the session ended",
          );
          return;
        }
        this.#resume(session, seen, false);
        for (const data of waiting) this.#message(data);
      },
    );
  }

  /**
   * Attach to a session: the events after `seen` (default: after the last
   * one a stream was given), then, for a session that was open (not just
   * resumed, whose welcome is waiting), a fresh welcome.
   */
  #resume(
    session: HttpSession,
    seen: number | undefined,
    welcomeAgain: boolean,
  ): void {
    this.#session = session;
    session.attach(this.#sink, seen);
    const core = session.core;
    if (welcomeAgain && core.room !== undefined) {
      session.command({ type: "join", room: core.room, name: core.name });
    }
  }

  #refuse(code: ErrorCodeName, message: string): void {
    const session = this.#session;
    if (session !== undefined && !session.closed) {
      session.core.error(code, message);
      return;
    }
    this.#send({ type: "error", code, message, fatal: false });
  }

  #fatal(code: ErrorCodeName, message: string): void {
    this.#hub.log({ event: "error", transport: "ws", code, message });
    this.#send({ type: "error", code, message, fatal: true });
    if (this.#socket.readyState === WebSocket.OPEN) {
      this.#socket.close(1008, code);
    }
  }

  #send(event: object): void {
    const s = this.#socket;
    if (s.readyState !== WebSocket.OPEN) return;
    // Before it has a session a socket has no member buffer to bound it: a
    // client sending bad messages without reading the errors would make the
    // server keep every one. Past a member's outbound limit it is cut off.
    if (s.bufferedAmount > this.#hub.chat.limits.outboundBytes) {
      this.#hub.removePending(this);
      s.close(1008, "slow consumer");
      return;
    }
    s.send(JSON.stringify(event));
  }
}
