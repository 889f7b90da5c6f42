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
import { badToken } from "./session_token.ts";
import { type RelayedOpen, type RelayedSocket, WsRelay } from "./ws_relay.ts";

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
export async function upgradeToWebSocket(
  hub: HttpHub,
  request: Request,
  remote?: string,
): Promise<Response> {
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
  let session: HttpSession | undefined;
  let home: string | undefined;
  if (tokenProtocol !== undefined) {
    const token = tokenProtocol.slice(WS_TOKEN_PREFIX.length);
    home = await homeOf(hub, token);
    if (home === undefined) session = hub.find(token);
    if (home === undefined && session === undefined) {
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
  if (home !== undefined) {
    relayOf(hub)!.relay(socket, home, {
      token: tokenProtocol!.slice(WS_TOKEN_PREFIX.length),
      first: undefined,
      remote,
    });
  } else new WsConnection(hub, socket, session, remote);
  return response;
}

/**
 * The isolate that holds a token's session when it is another one; throws
 * 401 BAD_TOKEN for a forged or expired token and 404 when the home is gone.
 */
async function homeOf(
  hub: HttpHub,
  token: string,
): Promise<string | undefined> {
  const place = hub.locate(token);
  if (place === "here") return undefined;
  if (typeof place === "string") throw badToken(place);
  if (!(await hub.isolates!.alive(place.home))) {
    throw new HttpProblem(
      404,
      "BAD_TOKEN",
      "Cannot find session: the token is unknown or the session ended",
    );
  }
  return place.home;
}

const relays = new WeakMap<HttpHub, WsRelay>();

/**
 * The relay of WebSockets between this hub's isolate and the others (made
 * on first use; undefined with one isolate).
 *
 * @param hub The hub.
 * @returns The relay, or undefined.
 */
export function relayOf(hub: HttpHub): WsRelay | undefined {
  if (hub.isolates === undefined) return undefined;
  let relay = relays.get(hub);
  if (relay === undefined) {
    relay = new WsRelay(hub.isolates, (s, o) => acceptRelayed(hub, s, o));
    relays.set(hub, relay);
  }
  return relay;
}

/** On the home isolate: a session on a socket another isolate holds. */
function acceptRelayed(
  hub: HttpHub,
  socket: RelayedSocket,
  open: RelayedOpen,
): void {
  let session: HttpSession | undefined;
  if (open.token !== undefined) {
    session = hub.find(open.token);
    if (session === undefined) {
      socket.send(JSON.stringify({
        type: "error",
        code: "BAD_TOKEN",
        message:
          "Cannot find session: the token is unknown or the session ended",
        fatal: true,
      }));
      socket.close(1008, "BAD_TOKEN");
      return;
    }
  }
  new WsConnection(hub, socket as unknown as WebSocket, session, open.remote);
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

  constructor(
    hub: HttpHub,
    socket: WebSocket,
    session: HttpSession | undefined,
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
      if (session !== undefined) this.#resume(session);
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
      const session = this.#hub.find(parsed.auth);
      if (session === undefined) {
        const place = this.#hub.locate(parsed.auth);
        if (typeof place === "object") {
          this.#handOver(place.home, data);
          return;
        }
        this.#fatal(
          "BAD_TOKEN",
          place === "here"
            ? "Cannot find session: the token is unknown or the session ended"
            : badToken(place).message,
        );
        return;
      }
      this.#hub.removePending(this);
      this.#resume(session);
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
   * The `auth` names a session another isolate holds: relay this socket
   * there, starting with that message.
   */
  #handOver(home: string, first: string): void {
    this.#hub.removePending(this);
    if (this.#opened) this.#hub.streams.ws--;
    this.#opened = false;
    relayOf(this.#hub)!.relay(this.#socket, home, {
      token: undefined,
      first,
      remote: this.#remote,
    });
  }

  /** Take over a session made over HTTP: missed events, then a welcome. */
  #resume(session: HttpSession): void {
    this.#session = session;
    session.attach(this.#sink);
    const core = session.core;
    if (core.room !== undefined) {
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
