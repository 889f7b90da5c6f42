/**
 * One HTTP member: the {@link Peer} behind a core session whose events go
 * to whichever stream is attached (Server-Sent Events or a WebSocket), or
 * wait for one. Room events a member misses while no stream is attached are
 * not queued per member: they are replayed from the shared per-room
 * {@link ReplayBuffer} when a stream attaches again.
 *
 * @module
 */

import type { Command } from "../../core/codec/mod.ts";
import type { ErrorEvent, WelcomeEvent } from "../../core/events.ts";
import { checkRoom } from "../../core/names.ts";
import type { Outgoing, Peer } from "../../core/peer.ts";
import type { Session } from "../../core/session.ts";
import type { ReplayBuffer } from "./replay_buffer.ts";

/** One event for a stream, with its id when it is a numbered room event. */
export interface SinkItem {
  /** The event, shared with the other recipients. */
  readonly out: Outgoing;
  /** Its id, for `Last-Event-ID`. */
  readonly id: number | undefined;
}

/** Where an attached stream takes events. */
export interface EventSink {
  /** Which kind of stream. */
  readonly kind: "sse" | "ws";
  /** Bytes written and not yet taken by the client (about). */
  readonly buffered: number;
  /** Write events, in order, as one batch. */
  write(items: readonly SinkItem[]): void;
  /** Tell the client that events after `after` up to `lostUpTo` are gone. */
  gap?(after: number, lostUpTo: number): void;
  /** Keep an idle stream alive. */
  heartbeat?(): void;
  /** End the stream: after what is queued (`flush`), or at once. */
  close(flush: boolean): void;
}

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

const ROOM_EVENTS = new Set(["joined", "left", "message", "announcement"]);

/** A member over HTTP: SSE, WebSocket, or plain requests. */
export class HttpSession implements Peer {
  /** The session token, for sessions made by `POST .../sessions`. */
  readonly token: string | undefined;
  /** The last room event id this member has been given. */
  cursor: number;
  /** When the last stream went away (chat clock), while none is attached. */
  detachedAt: number | undefined;
  readonly #host: SessionHost;
  #core: Session | undefined;
  #sink: EventSink | undefined;
  #queue: Outgoing[] = [];
  #queueBytes = 0;
  #scheduled = false;
  #pending: Outgoing[] = [];
  #pendingBytes = 0;
  #rooms = new Set<string>();
  /** Cursor when the member entered its room: nothing older is replayed. */
  #floor: number;
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
    this.cursor = this.#floor = host.replay.lastId;
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
    return this.#sink;
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
    const old = this.#sink;
    this.#sink = sink;
    this.detachedAt = undefined;
    old?.close(true);
    this.#flush();
    const items: SinkItem[] = this.#pending.map((out) => ({
      out,
      id: undefined,
    }));
    this.#pending = [];
    this.#pendingBytes = 0;
    const room = this.#core?.room;
    if (this.token !== undefined && room !== undefined) {
      const from = Math.max(
        this.#floor,
        Math.min(after ?? this.cursor, this.#host.replay.lastId),
      );
      const slice = this.#host.replay.since(room, from);
      if (slice.lostUpTo !== undefined) sink.gap?.(from, slice.lostUpTo);
      const name = this.core.name;
      for (const e of slice.entries) {
        if (!isOwn(e.out, name)) items.push(e);
        this.cursor = Math.max(this.cursor, e.id);
      }
    }
    if (items.length > 0) sink.write(items);
  }

  /** The stream went away: start the grace period, or end a socket session. */
  detach(sink: EventSink): void {
    if (this.#sink !== sink) return;
    this.#flush();
    this.#sink = undefined;
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
      this.cursor = this.#floor = this.#host.replay.lastId;
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
    const size = out.json().length + 32;
    if (this.#sink === undefined) {
      // Room events are replayed from the room's history on attach.
      if (this.token !== undefined && ROOM_EVENTS.has(event.type)) return true;
      if (this.#pendingBytes + size > this.#host.outboundBytes) return false;
      this.#pending.push(out);
      this.#pendingBytes += size;
      return true;
    }
    if (
      this.#queueBytes + size + this.#sink.buffered > this.#host.outboundBytes
    ) {
      return false;
    }
    this.#queue.push(out);
    this.#queueBytes += size;
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flush);
    }
    return true;
  }

  /** Peer: the core ended the session. */
  close(flush: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    if (flush) this.#flush();
    this.#queue = [];
    this.#pending = [];
    for (const room of this.#rooms) this.#host.replay.release(room);
    this.#rooms.clear();
    this.#resolveJoin(this.#failure ?? shutdownError());
    const sink = this.#sink;
    this.#sink = undefined;
    sink?.close(flush);
    this.#host.ended(this);
  }

  #flush = (): void => {
    this.#scheduled = false;
    const queue = this.#queue;
    if (queue.length === 0 || this.#sink === undefined) return;
    this.#queue = [];
    this.#queueBytes = 0;
    const replay = this.#host.replay;
    const items = queue.map((out) => {
      const id = replay.idOf(out.event);
      if (id !== undefined && id > this.cursor) this.cursor = id;
      return { out, id };
    });
    this.#sink.write(items);
  };

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

/** Events about the member itself, which it was never sent live. */
function isOwn(out: Outgoing, name: string): boolean {
  const e = out.event;
  return (e.type === "message" && e.from === name) ||
    ((e.type === "joined" || e.type === "left") && e.name === name);
}

function shutdownError(): ErrorEvent {
  return {
    type: "error",
    code: "SHUTTING_DOWN",
    message: "Cannot join: the session ended",
    fatal: true,
  };
}
