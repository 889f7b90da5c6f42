/**
 * One HTTP member: the {@link Peer} behind a core session. It joins and
 * leaves rooms (keeping the room's history while it is there), reports
 * join outcomes and refusals to the request that asked, and hands every
 * event to its {@link EventFeed}, which writes to whichever stream is
 * attached (Server-Sent Events or a WebSocket) or replays it later.
 *
 * @module
 */

import type { Command } from "../../core/codec/mod.ts";
import type { ErrorEvent, WelcomeEvent } from "../../core/events.ts";
import { checkRoom } from "../../core/names.ts";
import type { Outgoing, Peer } from "../../core/peer.ts";
import type { Session } from "../../core/session.ts";
import { EventFeed } from "./event_feed.ts";
import type { EventSink } from "./event_sink.ts";
import type { ReplayBuffer } from "./replay_buffer.ts";

/** What a session needs of its hub. */
export interface SessionHost {
  /** Event ids and room history. */
  readonly replay: ReplayBuffer;
  /** Outbound bytes per member before it is cut off. */
  readonly outboundBytes: number;
  /** The chat clock. */
  now(): number;
  /** An event is being sent to HTTP members (its history shares it). */
  seen(out: Outgoing): void;
  /** The session ended (any reason). */
  ended(session: HttpSession): void;
}

/** The outcome of a join made over HTTP. */
export type JoinOutcome = WelcomeEvent | ErrorEvent;

/** A member over HTTP: SSE, WebSocket, or plain requests. */
export class HttpSession implements Peer {
  /** The session token, for sessions made by `POST .../sessions`. */
  readonly token: string | undefined;
  /** When the last stream went away (chat clock), while none is attached. */
  detachedAt: number | undefined;
  readonly #host: SessionHost;
  readonly #feed: EventFeed;
  #core: Session | undefined;
  #rooms = new Set<string>();
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
    this.#feed = new EventFeed({
      replay: host.replay,
      outboundBytes: host.outboundBytes,
      replays: token !== undefined,
    });
    this.detachedAt = undefined;
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

  /** Handle a command from the member, keeping room history where it goes. */
  command(cmd: Command): void {
    if (this.#closed) return;
    if (cmd.type === "join" && this.token !== undefined) {
      const room = checkRoom(cmd.room);
      if (room.ok && !this.#rooms.has(room.name)) {
        this.#rooms.add(room.name);
        this.#host.replay.retain(room.name);
      }
    }
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
    const answer = new Promise<JoinOutcome>((resolve) => {
      this.#joinWaiter = resolve;
    });
    if (this.#closed) this.#resolveJoin(this.#failure ?? shutdownError());
    else this.command({ type: "join", room, name });
    return answer;
  }

  /**
   * Attach a stream: it gets the events waiting for it, the room events
   * after `after` (default: the last one this member was given), then live
   * events. A stream already attached is closed.
   */
  attach(sink: EventSink, after?: number): void {
    this.detachedAt = undefined;
    this.#feed.attach(sink, after, this.#core);
  }

  /** The stream went away: start the grace period, or end a socket session. */
  detach(sink: EventSink): void {
    if (!this.#feed.detach(sink)) return;
    if (this.#closed) return;
    if (this.token === undefined) this.disconnect();
    else this.detachedAt = this.#host.now();
  }

  /** The member is gone for good: leave with reason `disconnect`. */
  disconnect(): void {
    if (this.#closed) return;
    this.#core?.close();
    this.close(false);
  }

  /** Peer: queue an event for the member. */
  send(out: Outgoing): boolean {
    if (this.#closed) return true;
    const event = out.event;
    this.#host.seen(out);
    if (event.type === "error" && event.fatal) this.#failure ??= event;
    if (event.type === "error" && this.#capture !== undefined) {
      this.#capture.error ??= event;
      return true;
    }
    if (event.type === "welcome") {
      this.#feed.restart();
      this.#syncRooms();
    } else if (event.type === "error" && this.#core?.state !== "joining") {
      this.#syncRooms();
    }
    if (event.type === "welcome" || event.type === "error") {
      if (this.#joinWaiter !== undefined) {
        this.#resolveJoin(event);
        if (event.type === "error") return true;
      }
    }
    return this.#feed.push(out);
  }

  /** Peer: the core ended the session. */
  close(flush: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#feed.close(flush);
    for (const room of this.#rooms) this.#host.replay.release(room);
    this.#rooms.clear();
    this.#resolveJoin(this.#failure ?? shutdownError());
    this.#host.ended(this);
  }

  #resolveJoin(outcome: JoinOutcome): void {
    const waiter = this.#joinWaiter;
    this.#joinWaiter = undefined;
    waiter?.(outcome);
  }

  /** Keep history only for the room the member is in now. */
  #syncRooms(): void {
    const now = this.#core?.room;
    for (const room of this.#rooms) {
      if (room !== now) {
        this.#rooms.delete(room);
        this.#host.replay.release(room);
      }
    }
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
