/**
 * One HTTP member: the {@link Peer} behind a core session. It reports join
 * and resume outcomes and refusals to the request that asked, and hands
 * every event to its {@link EventFeed}, which writes to whichever stream is
 * attached (Server-Sent Events or a WebSocket). A session with a token is
 * resumable: when its stream goes away, the core keeps the member for its
 * grace period, and the token brings it back (adapters/http/hub.ts).
 *
 * @module
 */

import type { Command } from "../../core/codec/mod.ts";
import type { ErrorEvent, WelcomeEvent } from "../../core/events.ts";
import type { Outgoing, Peer } from "../../core/peer.ts";
import type { Session } from "../../core/session.ts";
import { EventFeed } from "./event_feed.ts";
import type { EventSink } from "./event_sink.ts";

/** What a session needs of its hub. */
export interface SessionHost {
  /** Outbound bytes per member before it is cut off. */
  readonly outboundBytes: number;
  /**
   * The session ended (any reason), having given its streams the events up
   * to number `cursor`.
   */
  ended(session: HttpSession, cursor: number): void;
}

/** The outcome of a join (or resume) made over HTTP. */
export type JoinOutcome = WelcomeEvent | ErrorEvent;

/** A member over HTTP: SSE, WebSocket, or plain requests. */
export class HttpSession implements Peer {
  /** The session token (its resume token), for sessions made by `POST .../sessions`. */
  readonly token: string | undefined;
  readonly #host: SessionHost;
  readonly #feed: EventFeed;
  #core: Session | undefined;
  #capture: { error: ErrorEvent | undefined } | undefined;
  #joinWaiter: ((outcome: JoinOutcome) => void) | undefined;
  #failure: ErrorEvent | undefined;
  #closed = false;

  /**
   * @param host The hub.
   * @param token The session token, or undefined for a WebSocket session
   *   that lives and dies with its socket.
   */
  constructor(host: SessionHost, token: string | undefined) {
    this.#host = host;
    this.token = token;
    this.#feed = new EventFeed({ outboundBytes: host.outboundBytes });
  }

  /** The core session (set right after `chat.connect`). */
  get core(): Session {
    if (this.#core === undefined) {
      throw new Error("Cannot use session: not connected");
    }
    return this.#core;
  }
  set core(session: Session) {
    this.#core = session;
  }

  /** True once the core ended the session. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The fatal error that ended the session, if one did. */
  get failure(): ErrorEvent | undefined {
    return this.#failure;
  }

  /** The attached stream, if any. */
  get sink(): EventSink | undefined {
    return this.#feed.sink;
  }

  /** Handle a command from the member. */
  command(cmd: Command): void {
    if (this.#closed) return;
    this.core.handle(cmd);
  }

  /**
   * Run a command and return the error it caused, if any, instead of
   * sending that error to the member's stream.
   */
  capture(cmd: Command): ErrorEvent | undefined {
    const capture = { error: undefined as ErrorEvent | undefined };
    this.#capture = capture;
    try {
      this.command(cmd);
    } finally {
      this.#capture = undefined;
    }
    return capture.error;
  }

  /** Join a room and wait for the welcome or the refusal. */
  join(room: string, name: string): Promise<JoinOutcome> {
    return this.#ask({ type: "join", room, name });
  }

  /**
   * Take the place of the member holding `token` (detached, or connected
   * elsewhere) and wait for the welcome or the refusal. Streams attached
   * later get its events after their `Last-Event-ID`.
   *
   * @param token The resume token.
   * @param seen The number of the last event the client has, if it says.
   */
  resume(token: string, seen: number | undefined): Promise<JoinOutcome> {
    const answer = this.#ask({ type: "resume", token, seen: seen ?? 0 });
    return answer.then((outcome) => {
      // Without a number, a stream gets only what comes from now on.
      if (seen === undefined && outcome.type === "welcome") {
        this.#feed.cursor = this.#core?.seq ?? 0;
      }
      return outcome;
    });
  }

  #ask(cmd: Command): Promise<JoinOutcome> {
    const answer = new Promise<JoinOutcome>((resolve) => {
      this.#joinWaiter = resolve;
    });
    if (this.#closed) this.#resolveJoin(this.#failure ?? shutdownError());
    else this.command(cmd);
    return answer;
  }

  /**
   * Attach a stream: it gets the events waiting for it, the numbered ones
   * after `after` (default: the last one a stream was given), then live
   * events. A stream already attached is closed.
   */
  attach(sink: EventSink, after?: number): void {
    this.#feed.attach(sink, after, this.#core);
  }

  /**
   * The stream went away: the member's connection is gone. A session of a
   * token waits for its grace period (the core keeps it); a WebSocket's
   * own session too, if it said HELLO version 2 or resumed.
   */
  detach(sink: EventSink): void {
    if (!this.#feed.detach(sink)) return;
    this.disconnect();
  }

  /** The member's connection is gone: leave, or wait for a resume. */
  disconnect(): void {
    if (this.#closed) return;
    this.#core?.close();
    this.close(false);
  }

  /** Peer: queue an event for the member. */
  send(out: Outgoing, seq?: number): boolean {
    if (this.#closed) return true;
    const event = out.event;
    if (event.type === "error" && event.fatal) this.#failure ??= event;
    if (event.type === "error" && this.#capture !== undefined) {
      this.#capture.error ??= event;
      return true;
    }
    if (event.type === "welcome" || event.type === "error") {
      if (this.#joinWaiter !== undefined) {
        this.#resolveJoin(event);
        if (event.type === "error") return true;
      }
    }
    return this.#feed.push(out, seq);
  }

  /** Peer: the core ended the session, or let go of it (detached). */
  close(flush: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#feed.close(flush);
    this.#resolveJoin(this.#failure ?? shutdownError());
    this.#host.ended(this, this.#feed.cursor);
  }

  #resolveJoin(outcome: JoinOutcome): void {
    const waiter = this.#joinWaiter;
    this.#joinWaiter = undefined;
    waiter?.(outcome);
  }
}

function shutdownError(): ErrorEvent {
  return {
    type: "error",
    code: "SHUTTING_DOWN",
    message: "Cannot join: the session ended",
    fatal: true,
  };
}
