/**
 * `GET /api/ws`: a chat session over a WebSocket. Client messages are the
 * core's commands as JSON text (`{"type":"join","room":"lobby","name":"bob"}`)
 * or, in the binary subprotocol, binary frames as on TCP (docs/protocol.md);
 * server messages are the events in the subprotocol's encoding
 * (adapters/http/ws_protocol.ts), sent by adapters/http/ws_sink.ts. A
 * session made by `POST .../sessions`, or a member in its grace period, is
 * picked up by its token, sent in the first message
 * (`{"type":"auth","token":"..."}`) or as the subprotocol
 * `roomcast.token.<token>`, never in the URL; a `resume` command takes any
 * member back, as on every transport.
 *
 * @module
 */

import type { Command } from "../../core/codec/mod.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import { RefusalBudget } from "../../core/refusal_budget.ts";
import type { ErrorEvent } from "../../core/events.ts";
import { FrameMode } from "../../core/frame_mode.ts";
import { Outgoing } from "../../core/peer.ts";
import type { HttpHub, PendingSocket } from "./hub.ts";
import { HttpProblem } from "./problem.ts";
import { parseClientMessage } from "./schemas.ts";
import type { HttpSession } from "./session.ts";
import {
  pickWsProtocol,
  WS_PROTOCOL,
  WS_TOKEN_PREFIX,
  type WsEncoding,
} from "./ws_protocol.ts";
import { WsSink } from "./ws_sink.ts";

export { WS_PROTOCOL, WS_TOKEN_PREFIX };

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
  // The server answers one of the protocols offered: the token's when the
  // client offered no other.
  const picked = pickWsProtocol(offered);
  const protocol = picked.protocol ?? tokenProtocol;
  const { socket, response } = Deno.upgradeWebSocket(request, {
    ...(protocol ? { protocol } : {}),
    idleTimeout: 60,
  });
  new WsConnection({ hub, socket, token, remote, encoding: picked.encoding });
  return response;
}

/** What a {@link WsConnection} is made with. */
interface WsConnectionOptions {
  readonly hub: HttpHub;
  readonly socket: WebSocket;
  /** A token given as a subprotocol. */
  readonly token: string | undefined;
  readonly remote: string | undefined;
  readonly encoding: WsEncoding;
}

/** One WebSocket, from open to close. */
class WsConnection implements PendingSocket {
  readonly openedAt: number;
  readonly #hub: HttpHub;
  readonly #sink: WsSink;
  readonly #remote: string | undefined;
  #session: HttpSession | undefined;
  #frames: FrameMode | undefined;
  #budget: RefusalBudget | undefined;
  #cut = false;
  #opened = false;
  /** Messages that came while a token was being looked up. */
  #waiting: unknown[] | undefined;

  constructor(o: WsConnectionOptions) {
    const { hub, socket, token } = o;
    this.#hub = hub;
    this.#sink = new WsSink(socket, { hub, encoding: o.encoding });
    this.#remote = o.remote;
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
        hub.chat.connections + hub.pendingCount >=
          hub.chat.limits.maxConnections
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
    if (this.#cut) return; // told why it is cut; closing
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
    if (typeof data === "string") {
      this.#text(data);
    } else if (this.#sink.encoding !== "binary") {
      this.#refuse(
        "UNKNOWN_TYPE",
        "Cannot accept a binary message: send JSON as text",
      );
    } else {
      // Binary frames, as on TCP: one byte stream across messages.
      this.#frames ??= new FrameMode(this.#frameHost(), {
        maxFrameSize: this.#hub.chat.limits.maxFrameSize,
      });
      this.#frames.feed(new Uint8Array(data as ArrayBuffer));
    }
  }

  /** One JSON command (every protocol takes them, `auth` included). */
  #text(data: string): void {
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
    this.#command(parsed.command);
  }

  /** A command for the session, made by the first one if need be. */
  #command(command: Command): void {
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
    session.command(command);
  }

  /**
   * What binary mode (core/frame_mode.ts) needs: the session's state (HELLO
   * is optional on a WebSocket), its commands, and its errors.
   */
  #frameHost(): ConstructorParameters<typeof FrameMode>[0] {
    // deno-lint-ignore no-this-alias
    const self = this;
    return {
      get state() {
        const s = self.#session;
        return s === undefined ? "ready" : s.closed ? "closed" : s.core.state;
      },
      handle: (command) => this.#command(command),
      error: (code, message) => this.#refuse(code, message),
      fail: (code, message) => {
        const s = this.#session;
        if (s !== undefined && !s.closed) s.core.fail(code, message);
        else this.#fatal(code, message);
      },
    };
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
        if (!this.#opened) {
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
    // Before a session, the socket's own budget (a session has its own).
    const budget = this.#budget ??= new RefusalBudget(
      this.#hub.chat.limits.maxRefusals,
      this.#hub.chat.limits.refusalWindowMs,
      this.openedAt,
    );
    if (!budget.take(this.#hub.chat.now())) {
      this.#hub.removePending(this);
      this.#fatal("TOO_MANY_ERRORS", budget.cutMessage(code));
      return;
    }
    this.#send({ type: "error", code, message, fatal: false });
  }

  #fatal(code: ErrorCodeName, message: string): void {
    if (this.#cut) return; // told once; closing
    this.#cut = true;
    this.#hub.log({ event: "error", transport: "ws", code, message });
    this.#send({ type: "error", code, message, fatal: true });
    // Close once the error is written: a close started behind messages Deno
    // has not written yet lost them (seen under load, with clients still
    // sending: the fuzz's WebSocket garbage rarely saw its error).
    const deadline = Date.now() + this.#hub.limits.lingerMs;
    const attempt = () => {
      if (this.#sink.unwritten === 0 || Date.now() >= deadline) {
        this.#sink.shut(1008, code);
      } else setTimeout(attempt, 20);
    };
    attempt();
  }

  #send(event: ErrorEvent): void {
    // Before it has a session a socket has no member buffer to bound it: a
    // client sending bad messages without reading the errors would make the
    // server keep every one. Past a member's outbound limit it is cut off.
    const limit = this.#hub.chat.limits.outboundBytes;
    if (!this.#sink.sendNow(new Outgoing(event), limit)) {
      this.#hub.removePending(this);
      this.#sink.close(false);
    }
  }
}
