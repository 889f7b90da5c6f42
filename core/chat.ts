/**
 * The chat: a node's rooms and sessions over a {@link Backplane}. Sans-IO: the
 * clock is passed in and time moves only when the host calls
 * {@link Chat.tick}. Membership (core/membership.ts), fan-out
 * (core/fanout.ts), announcements (core/announce.ts) and the sessions' life
 * on this node (core/chat_life.ts) work on the state this class keeps
 * (core/chat_state.ts).
 *
 * @module
 */

import { announce, announceCounted, type AnnounceResult } from "./announce.ts";
import type { Backplane, Reach, RoomInfo } from "./backplane.ts";
import type { ChatInternals, LogRecord } from "./chat_internals.ts";
import { admit, applyTime, hold, loseName, shutDown } from "./chat_life.ts";
import { type ChatState, type ChatStats, makeState } from "./chat_state.ts";
import type { RoomEvent } from "./events.ts";
import { receiveRemote } from "./fanout.ts";
import type { HistoryEntry } from "./history.ts";
import { type Limits, resolveLimits } from "./limits.ts";
import { makeInternals } from "./membership.ts";
import { MemoryBackplane } from "./memory_backplane.ts";
import { checkRoom } from "./names.ts";
import type { Outgoing, Peer } from "./peer.ts";
import { handOffHandler, newToken } from "./resumption.ts";
import { type ConnectOptions, Session } from "./session.ts";
import { historyOf } from "./welcome.ts";

export type { AnnounceResult } from "./announce.ts";
export type { LogRecord, Membership } from "./chat_internals.ts";
export type { ChatStats } from "./chat_state.ts";
export { ROSTER_MAX } from "./welcome.ts";

/** Options of a {@link Chat}. */
export interface ChatOptions {
  /** The clock, in milliseconds. */
  now: () => number;
  /**
   * The time of day, in ms since the Unix epoch: the time of history
   * entries. @default {now}
   */
  wallClock?: () => number;
  /**
   * Fill an array with cryptographically strong random bytes (resume
   * tokens). @default {crypto.getRandomValues}
   */
  random?: (bytes: Uint8Array) => void;
  /** Where rooms are shared with other nodes. @default {new MemoryBackplane()} */
  backplane?: Backplane;
  /** Limits to override. */
  limits?: Partial<Limits>;
  /** Receives one record per lifecycle event. */
  log?: (record: LogRecord) => void;
}

/**
 * A chat node. Transports call {@link Chat.connect} for each connection and
 * feed the returned session; the host drives {@link Chat.tick}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outgoing } from "./peer.ts";
 * const chat = new Chat({ now: () => 0 });
 * const seen: string[] = [];
 * const peer = (who: string) => ({
 *   send: (out: Outgoing) => (seen.push(`${who} ${out.text("en")}`), true),
 *   close: () => {},
 * });
 * chat.connect(peer("amy"), { transport: "memory" }).handle({ type: "join", room: "lobby", name: "amy" });
 * const bob = chat.connect(peer("bob"), { transport: "memory" });
 * bob.handle({ type: "join", room: "lobby", name: "bob" });
 * bob.handle({ type: "say", text: "hi" });
 * assert.ok(seen.includes("amy bob entered the room"));
 * assert.ok(seen.includes("amy bob says: hi"));
 * ```
 */
export class Chat {
  /** The limits in force. */
  readonly limits: Limits;
  /** The backplane. */
  readonly backplane: Backplane;
  /** Running totals. */
  readonly stats: ChatStats;
  /** The chat's clock, in milliseconds. */
  readonly now: () => number;
  readonly #state: ChatState;
  readonly #internals: ChatInternals<Session>;
  #nextId = 1;

  /**
   * Create a new instance.
   * @param options Clock, backplane, limits and log.
   */
  constructor(options: ChatOptions) {
    this.now = options.now;
    this.limits = resolveLimits(options.limits);
    this.backplane = options.backplane ?? new MemoryBackplane();
    this.#state = makeState({
      limits: this.limits,
      now: this.now,
      wallClock: options.wallClock ?? this.now,
      random: options.random ?? ((b) => crypto.getRandomValues(b)),
      backplane: this.backplane,
      log: options.log,
    });
    this.stats = this.#state.stats;
    this.backplane.listen(
      (event, out) => this.#remote(event, out),
      (room, key) => loseName(this.#state, room, key),
      handOffHandler(this.#state),
    );
    this.#internals = makeInternals(this.#state);
  }

  /** Open sessions. */
  get size(): number {
    return this.#state.sessions.size;
  }

  /** Open sessions and connections held without one, against the limit. */
  get connections(): number {
    return this.#state.sessions.size + this.#state.held;
  }

  /**
   * Count a connection whose session ended but whose socket a transport
   * cannot close yet (a WebSocket cut off while its peer does not read)
   * against `maxConnections`, until the returned function is called.
   *
   * @returns Give the place back (once; later calls do nothing).
   */
  holdConnection(): () => void {
    return hold(this.#state);
  }

  /** True once {@link Chat.shutdown} was called. */
  get closing(): boolean {
    return this.#state.closing;
  }

  /**
   * Accept a connection. When the chat is full or shutting down, the session
   * is failed at once (the peer gets a fatal error and is closed).
   *
   * @param peer The transport's side of the connection.
   * @param options Transport name, address, HELLO and idle settings.
   * @returns The session to feed.
   */
  connect(peer: Peer, options: ConnectOptions): Session {
    const session = new Session(this.#internals, peer, this.#nextId++, options);
    admit(this.#state, session);
    return session;
  }

  /**
   * Speak as the administrator to one room or every room, on every node.
   *
   * @param text What to say.
   * @param room One room, or every room when omitted.
   * @returns Rooms and members reached on this node, or a refusal.
   */
  announce(text: string, room?: string): AnnounceResult {
    return announce(this.#state, text, room);
  }

  /**
   * Announce, and count what every node reached when the backplane can
   * tell ({@link Backplane.tally}, the isolates backplane): the rooms
   * cluster-wide and the members on every node that answered in time.
   * Otherwise the same as {@link Chat.announce}.
   *
   * @param text What to say.
   * @param room One room, or every room when omitted.
   * @returns Rooms and members reached, or a refusal.
   */
  announceCounted(text: string, room?: string): Promise<AnnounceResult> {
    return announceCounted(this.#state, text, room);
  }

  /**
   * Rooms with members, cluster-wide.
   *
   * @returns Room names and member counts.
   */
  rooms(): readonly RoomInfo[] | Promise<readonly RoomInfo[]> {
    return this.backplane.rooms();
  }

  /**
   * Members of a room, cluster-wide.
   *
   * @param room Room name (canonicalised).
   * @returns Display names.
   */
  members(room: string): readonly string[] | Promise<readonly string[]> {
    const r = checkRoom(room);
    return r.ok ? this.backplane.members(r.name) : [];
  }

  /**
   * Rooms and members on this node (not cluster-wide), for metrics.
   *
   * @returns Local room and member counts.
   */
  census(): { rooms: number; members: number } {
    let members = 0;
    for (const room of this.#state.rooms.values()) members += room.size;
    return { rooms: this.#state.rooms.size, members };
  }

  /** Members whose connection went away, in their grace period. */
  get detached(): number {
    return this.#state.detached.size;
  }

  /**
   * A new resume token of this node, for a transport that makes its
   * sessions' tokens itself (HTTP: the session's bearer token).
   *
   * @returns The token.
   */
  newToken(): string {
    return newToken(this.#state);
  }

  /**
   * Whether a resume token is a member's of this node now, and whether
   * that member's connection is there or gone (in its grace period).
   *
   * @param token A resume token.
   * @returns `"connected"`, `"detached"`, or undefined for no member here.
   */
  tokenState(token: string): "connected" | "detached" | undefined {
    const s = this.#state.tokens.get(token);
    if (s === undefined) return undefined;
    return s.detached ? "detached" : "connected";
  }

  /**
   * A room's history (its last messages and announcements), cluster-wide.
   *
   * @param room Room name (canonicalised).
   * @returns The entries, oldest first.
   */
  history(
    room: string,
  ): readonly HistoryEntry[] | Promise<readonly HistoryEntry[]> {
    const r = checkRoom(room);
    return r.ok ? historyOf(this.#state, r.name) : [];
  }

  /**
   * Watch every room event on this node (local and from other nodes).
   *
   * @param observer Called for each event.
   * @returns A function that stops watching.
   */
  observe(observer: (event: RoomEvent) => void): () => void {
    this.#state.observers.add(observer);
    return () => this.#state.observers.delete(observer);
  }

  /**
   * Apply time: close connections that did not join in time, remove
   * members silent for longer than their idle timeout, and end the grace
   * period of members whose connection went away. Call it about once a
   * second.
   */
  tick(): void {
    applyTime(this.#state);
  }

  /**
   * Tell every member the server is shutting down (a `left` event with
   * reason `shutdown` for their own name), close every connection and leave
   * the cluster. New connections are refused from now on.
   */
  shutdown(): Promise<void> {
    return shutDown(this.#state);
  }

  #remote(
    event: RoomEvent,
    out?: Outgoing,
  ): Reach {
    if (this.#state.closing) return { rooms: 0, delivered: 0 };
    return receiveRemote(this.#state, event, out);
  }
}
