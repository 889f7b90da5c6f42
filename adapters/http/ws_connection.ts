/**
 * One WebSocket chat session, from open to close (adapters/http/ws.ts
 * upgrades the request): JSON commands or, in the binary subprotocol,
 * binary frames in; events out through its {@link WsSink}; a session made
 * by `POST .../sessions`, or a member in its grace period, taken over by
 * its token; with several isolates, a socket whose `auth` names another
 * isolate's session handed over there. What it is told outside a session
 * (refusals, a fatal error) goes through adapters/http/ws_refusals.ts.
 *
 * @module
 */

import type { Command } from "../../core/codec/mod.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import { FrameMode } from "../../core/frame_mode.ts";
import type { HttpHub } from "./hub.ts";
import { parseClientMessage } from "./schemas.ts";
import type { HttpSession } from "./session.ts";
import { badToken } from "./session_token.ts";
import type { WsEncoding } from "./ws_protocol.ts";
import { WsRefusals } from "./ws_refusals.ts";
import type { RelayedOpen } from "./ws_relay.ts";
import { WsSink } from "./ws_sink.ts";
import type { PendingSocket } from "./ws_sockets.ts";

/** What a {@link WsConnection} is made with. */
export interface WsConnectionOptions {
  readonly hub: HttpHub;
  readonly socket: WebSocket;
  /** A token given as a subprotocol. */
  readonly token: string | undefined;
  readonly remote: string | undefined;
  /** Cuts the client's connection at once (through the HTTP front). */
  readonly abort?: (() => void) | undefined;
  readonly encoding: WsEncoding;
  /**
   * With several isolates: relay this socket to the isolate that holds the
   * session its `auth` names, starting with that message.
   */
  readonly handOver?: (home: string, open: RelayedOpen) => void;
}

/** One WebSocket, from open to close. */
export class WsConnection implements PendingSocket {
  readonly openedAt: number;
  readonly #hub: HttpHub;
  readonly #sink: WsSink;
  readonly #remote: string | undefined;
  readonly #handOver: WsConnectionOptions["handOver"];
  #session: HttpSession | undefined;
  readonly #refusals: WsRefusals;
  #frames: FrameMode | undefined;
  #opened = false;
  /** Messages that came while a token was being looked up. */
  #waiting: unknown[] | undefined;

  constructor(o: WsConnectionOptions) {
    const { hub, socket, token } = o;
    this.#hub = hub;
    this.#sink = new WsSink(socket, {
      hub,
      encoding: o.encoding,
      abort: o.abort,
    });
    this.#remote = o.remote;
    this.#handOver = o.handOver;
    this.openedAt = hub.chat.now();
    this.#refusals = new WsRefusals(this, { hub, sink: this.#sink });
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
        hub.sockets.pendingCount + hub.chat.connections +
            // The other isolates', where they share the limit.
            (hub.chat.backplane.shareConnections?.(hub.chat.connections) ??
              0) >= hub.chat.limits.maxConnections
      ) {
        // Refused at once, as on TCP; a session's own token (subprotocol)
        // is still let in, since it adds no connection.
        this.#fatal(
          "SERVER_FULL",
          `Cannot connect: the server has ${hub.chat.limits.maxConnections} connections`,
        );
      } else hub.sockets.addPending(this);
    };
    socket.onmessage = (e) => this.#message(e.data);
    let closed!: () => void;
    hub.sockets.track(new Promise<void>((resolve) => closed = resolve));
    socket.onclose = () => {
      this.#refusals.closed();
      this.#sink.closed();
      closed();
      if (this.#opened) hub.streams.ws--;
      this.#opened = false;
      hub.sockets.removePending(this);
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
    if (this.#refusals.cut) return; // told why it is cut; closing
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
      this.#hub.sockets.removePending(this);
      // With several isolates the token may be another one's, or forged.
      const place = this.#hub.locate(parsed.auth);
      if (typeof place === "object" && this.#handOver) {
        this.#relay(place.home, data);
      } else if (place === "forged" || place === "expired") {
        this.#fatal("BAD_TOKEN", badToken(place).message);
      } else this.#auth(parsed.auth, parsed.seen);
      return;
    }
    this.#command(parsed.command);
  }

  /** A command for the session, made by the first one if need be. */
  #command(command: Command): void {
    let session = this.#session;
    if (session === undefined) {
      this.#hub.sockets.removePending(this);
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
   * The `auth` names a session another isolate holds (by its node tag):
   * relay this socket there, starting with that message.
   */
  #relay(tag: string, first: string): void {
    if (this.#opened) this.#hub.streams.ws--;
    this.#opened = false;
    this.#handOver!(tag, {
      token: undefined,
      first,
      remote: this.#remote,
      encoding: this.#sink.encoding,
    });
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
    this.#refusals.refuse(code, message); // before a session: its own budget
  }

  #fatal(code: ErrorCodeName, message: string): void {
    this.#refusals.fatal(code, message);
  }
}
