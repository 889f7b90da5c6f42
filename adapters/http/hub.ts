/**
 * The state of the HTTP adapter behind its routes: HTTP sessions by token
 * (and the members a token can bring back, {@link HttpHub.reclaim}),
 * the WebSockets it watches (adapters/http/ws_sockets.ts), the admin token,
 * and the clock that sends heartbeats. Its limits are in adapters/http/limits.ts. No Hono
 * here: the routes (adapters/http/*_routes.ts) call into it.
 *
 * @module
 */

import type { Chat, LogRecord } from "../../core/chat.ts";
import { nodeTag } from "../../core/backplane.ts";
import { tokensEqual } from "./admin_token.ts";
import type { IsolateLink } from "./isolate_link.ts";
import { type HttpLimits, resolveHttpLimits } from "./limits.ts";
import { parseHost, parseOrigin } from "./origin.ts";
import { Reclaim, type ReclaimOptions } from "./reclaim.ts";
import { HttpSession, type SessionHost } from "./session.ts";
import {
  locateToken,
  SessionTokens,
  type TokenPlace,
} from "./session_token.ts";
import { WsSockets } from "./ws_sockets.ts";

export type { ReclaimOptions } from "./reclaim.ts";

/** Options of an {@link HttpHub}. */
export interface HttpHubOptions {
  /** The admin token; without one, announcements are refused (403). */
  adminToken?: string | undefined;
  /** Limits to override. */
  limits?: Partial<HttpLimits>;
  /**
   * Web origins, besides the server's own, whose pages may open chat
   * sessions (`https://chat.example.com`; `*`: any). Requests without an
   * `Origin` header are always allowed. @default {[]}
   */
  allowOrigins?: readonly string[] | undefined;
  /**
   * Host names (`Host` header, without the port) the server answers to
   * besides loopback ones; undefined: any (adapters/http/origin.ts).
   * @default {undefined}
   */
  allowHosts?: readonly string[] | undefined;
  /** Receives one record per lifecycle event. */
  log?: ((record: LogRecord) => void) | undefined;
  /**
   * The other isolates serving the same chat (the isolates backplane):
   * session tokens are then signed, and requests and WebSockets for a
   * session another isolate holds go to it.
   */
  isolates?: IsolateLink | undefined;
}

/** What the admin check found. */
export type AdminCheck = "ok" | "missing" | "wrong";

/** HTTP sessions and timers over one chat. */
export class HttpHub {
  /** The chat. */
  readonly chat: Chat;
  /** Limits in force. */
  readonly limits: HttpLimits;
  /** Open SSE streams and WebSockets, for metrics. */
  readonly streams = { sse: 0, ws: 0 };
  /** Canonical origins allowed besides the server's own (`*`: any). */
  readonly allowOrigins: readonly string[];
  /** Host names allowed besides loopback ones; undefined: any. */
  readonly allowHosts: readonly string[] | undefined;
  /** The other isolates serving the chat, if any. */
  readonly isolates: IsolateLink | undefined;
  /** Signed session tokens, with other isolates. */
  readonly tokens: SessionTokens | undefined;
  /** WebSockets not yet in a session, and every open one. */
  readonly sockets: WsSockets = new WsSockets();
  readonly #adminToken: string | undefined;
  readonly #log: ((record: LogRecord) => void) | undefined;
  readonly #byToken = new Map<string, HttpSession>();
  readonly #sessions = new Set<HttpSession>();
  readonly #host: SessionHost;
  /** The members a token can bring back into a session. */
  readonly #reclaim: Reclaim;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastBeat = 0;
  #closed = false;

  /**
   * A hub over a chat; {@link HttpHub.start} starts its clock.
   *
   * @param chat The chat.
   * @param options Admin token, limits, allowed origins and log.
   * @throws {TypeError} When an allowed origin is not an http(s) origin.
   */
  constructor(chat: Chat, options: HttpHubOptions = {}) {
    this.chat = chat;
    this.limits = resolveHttpLimits(options.limits);
    this.#adminToken = options.adminToken;
    this.allowOrigins = (options.allowOrigins ?? []).map(parseOrigin);
    this.allowHosts = options.allowHosts?.map(parseHost);
    this.#log = options.log;
    this.isolates = options.isolates;
    // Tokens start with the chat's node tag, as resume tokens do.
    this.tokens = options.isolates && options.adminToken !== undefined
      ? new SessionTokens({
        adminToken: options.adminToken,
        home: nodeTag(chat.backplane.nodeId),
      })
      : undefined;
    this.#host = {
      outboundBytes: chat.limits.outboundBytes,
      ended: (session, cursor) => {
        this.#sessions.delete(session);
        const token = session.token;
        if (token === undefined || this.#byToken.get(token) !== session) {
          return;
        }
        this.#byToken.delete(token);
        this.#reclaim.ended(token, cursor);
      },
    };
    this.#reclaim = new Reclaim(this);
  }

  /** Open HTTP sessions (with or without a stream). */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** Start the clock: heartbeats, WebSocket join timeouts. */
  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const every = Math.max(
      10,
      Math.min(1000, this.chat.limits.joinTimeoutMs) / 2,
    );
    this.#timer = setInterval(() => this.sweep(), every);
  }

  /**
   * Apply time once: heartbeats on idle streams, keep sessions with a
   * stream from idling out, and close WebSockets that did not say who they
   * are within the join timeout.
   */
  sweep(): void {
    const now = this.chat.now();
    const beat = now - this.#lastBeat >= this.limits.heartbeatMs;
    if (beat) this.#lastBeat = now;
    for (const s of [...this.#sessions]) {
      const sink = s.sink;
      if (sink !== undefined) {
        if (!s.closed) s.core.lastSeen = now;
        if (beat) sink.heartbeat?.();
      }
    }
    this.sockets.expire(now, this.chat.limits.joinTimeoutMs);
  }

  /**
   * A new session with a token, not yet in a room (`POST .../sessions`).
   *
   * @param remote Remote address for logs.
   */
  createSession(remote?: string, token?: string): HttpSession {
    const session = new HttpSession(
      this.#host,
      token ?? this.tokens?.mint() ?? this.chat.newToken(),
    );
    this.#track(session, {
      transport: "http",
      idleTimeoutMs: this.limits.idleTimeoutMs,
      resumable: true,
      token: session.token!,
      ...(remote ? { remote } : {}),
    });
    return session;
  }

  /**
   * A session that lives and dies with one WebSocket.
   *
   * @param remote Remote address for logs.
   */
  createSocketSession(remote?: string): HttpSession {
    const session = new HttpSession(this.#host, undefined);
    this.#track(session, {
      transport: "ws",
      ...(remote ? { remote } : {}),
    });
    return session;
  }

  /**
   * The open session of a token.
   *
   * @param token A session token.
   */
  find(token: string): HttpSession | undefined {
    const s = this.#byToken.get(token);
    return s === undefined || s.closed ? undefined : s;
  }

  /**
   * Whether a token may name a member: an open session, a member of this
   * node (connected or in its grace period), or, for a token of another
   * node, maybe one there.
   *
   * @param token A session or resume token.
   */
  known(token: string): boolean {
    return this.find(token) !== undefined || this.#reclaim.known(token);
  }

  /**
   * The open session of a token, or a new one that resumes the member
   * holding it: one whose connection is gone (in its grace period, here
   * or on another node), or, with `steal`, any.
   *
   * @param token A session or resume token.
   * @param options Whether to take a connected member, and the client's
   *   last event number.
   * @param remote Remote address for logs.
   * @returns The session, or undefined when no member has the token.
   */
  reclaim(
    token: string,
    options: ReclaimOptions,
    remote?: string,
  ): Promise<HttpSession | undefined> {
    return this.#reclaim.session(token, options, remote);
  }

  /**
   * Where a token's session is. With one isolate every token is looked up
   * here; with several, a token is checked first (signature, expiry).
   *
   * @param token A session token.
   */
  locate(token: string): TokenPlace {
    return locateToken(this.tokens, token);
  }

  /**
   * Check an `Authorization` header against the admin token, in constant
   * time.
   *
   * @param header The header, if any.
   */
  async checkAdmin(header: string | undefined): Promise<AdminCheck> {
    const presented = bearer(header);
    if (presented === undefined) return "missing";
    if (this.#adminToken === undefined) return "wrong";
    return await tokensEqual(presented, this.#adminToken) ? "ok" : "wrong";
  }

  /** Log a record. */
  log(record: LogRecord): void {
    this.#log?.(record);
  }

  /**
   * Stop the clock and detach from the chat. Sessions still open are ended
   * by the chat's shutdown; any left (chat still running) leave now.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.sockets.expireAll();
    for (const s of [...this.#sessions]) s.disconnect();
  }

  #track(
    session: HttpSession,
    options: Parameters<Chat["connect"]>[1],
  ): void {
    this.#sessions.add(session);
    if (session.token !== undefined) this.#byToken.set(session.token, session);
    // connect may fail the session at once (server full, shutting down):
    // it is then closed already, with its failure kept.
    session.core = this.chat.connect(session, options);
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header.
 *
 * @param header The header value.
 * @returns The token, or undefined.
 */
export function bearer(header: string | undefined | null): string | undefined {
  const m = header?.match(/^Bearer[ \t]+(\S+)[ \t]*$/i);
  return m?.[1];
}
