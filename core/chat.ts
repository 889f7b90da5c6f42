/**
 * The chat: rooms, sessions, naming and fan-out, over a {@link Backplane}.
 * Sans-IO: the clock is passed in and time moves only when the host calls
 * {@link Chat.tick}.
 *
 * @module
 */

import {
  type Backplane,
  MemoryBackplane,
  type RoomInfo,
  type Roster,
} from "./backplane.ts";
import type { Refusal } from "./errors.ts";
import type { ChatEvent, LeaveReason, RoomEvent } from "./events.ts";
import { type Limits, resolveLimits } from "./limits.ts";
import { checkName, checkRoom } from "./names.ts";
import { Outgoing, type Peer } from "./peer.ts";
import { Room } from "./room.ts";
import { type ConnectOptions, Session } from "./session.ts";

/** One log record: an event name and its fields. */
export interface LogRecord {
  /** What happened, such as `join` or `leave`. */
  readonly event: string;
  /** Fields of the event. */
  readonly [field: string]: unknown;
}

/**
 * Most member names listed in a WELCOME or MEMBERS answer when the backplane
 * can cut the list short ({@link Backplane.roster}); `total` still counts
 * every member.
 */
export const ROSTER_MAX = 1000;

/** Options of a {@link Chat}. */
export interface ChatOptions {
  /** The clock, in milliseconds. */
  now: () => number;
  /** Where rooms are shared with other nodes. @default {new MemoryBackplane()} */
  backplane?: Backplane;
  /** Limits to override. */
  limits?: Partial<Limits>;
  /** Receives one record per lifecycle event. */
  log?: (record: LogRecord) => void;
}

/** A member's place in a room. */
export interface Membership {
  /** Canonical room name. */
  readonly room: string;
  /** Display name. */
  readonly name: string;
  /** Folded name key. */
  readonly key: string;
}

/** What an announcement reached on this node. */
export type AnnounceResult =
  | { readonly ok: true; readonly rooms: number; readonly delivered: number }
  | ({ readonly ok: false } & Refusal);

/** Running totals, for metrics. */
export interface ChatStats {
  /** Open connections by transport. */
  readonly connections: Map<string, number>;
  /** Messages accepted from members. */
  messagesIn: number;
  /** Message events queued to members (one per recipient). */
  messagesOut: number;
  /** Commands refused with a non-fatal error (names, rate, size, ...). */
  refused: number;
  /** Events queued to members. */
  deliveries: number;
  /** Fan-out events that could not be queued because a member's buffer was full. */
  dropped: number;
  /** Members cut off as slow consumers. */
  slowConsumers: number;
  /** Announcements made on this node. */
  announcements: number;
}

/** @internal What a session needs of its chat. */
export interface ChatInternals {
  readonly limits: Limits;
  now(): number;
  log(record: LogRecord): void;
  join(
    session: Session,
    room: string,
    name: string,
  ): Membership | Refusal | Promise<Membership | Refusal>;
  enter(session: Session, m: Membership): void;
  welcome(session: Session, m: Membership): void;
  leave(session: Session, m: Membership, reason: LeaveReason): void;
  say(session: Session, m: Membership, text: string): void;
  who(session: Session, room: string): void;
  forget(
    session: Session,
    m: Membership | undefined,
    reason: LeaveReason,
  ): void;
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
  readonly stats: ChatStats = {
    connections: new Map(),
    messagesIn: 0,
    messagesOut: 0,
    refused: 0,
    deliveries: 0,
    dropped: 0,
    slowConsumers: 0,
    announcements: 0,
  };
  /** The chat's clock, in milliseconds. */
  readonly now: () => number;
  readonly #log: ((record: LogRecord) => void) | undefined;
  readonly #rooms = new Map<string, Room<Session>>();
  /** Members removed because the cluster gave their name to another node. */
  readonly #orphans = new WeakSet<Session>();
  readonly #sessions = new Set<Session>();
  readonly #unjoined = new Set<Session>();
  readonly #idle = new Set<Session>();
  readonly #observers = new Set<(event: RoomEvent) => void>();
  readonly #internals: ChatInternals;
  #nextId = 1;
  #closing = false;

  /**
   * Create a new instance.
   * @param options Clock, backplane, limits and log.
   */
  constructor(options: ChatOptions) {
    this.now = options.now;
    this.limits = resolveLimits(options.limits);
    this.backplane = options.backplane ?? new MemoryBackplane();
    this.#log = options.log;
    this.backplane.listen(
      (event, out) => this.#remote(event, out),
      (room, key) => this.#lost(room, key),
    );
    this.#internals = this.#makeInternals();
  }

  /** Open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** True once {@link Chat.shutdown} was called. */
  get closing(): boolean {
    return this.#closing;
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
    this.#sessions.add(session);
    this.#unjoined.add(session);
    if (session.idleTimeoutMs > 0) this.#idle.add(session);
    const count = this.stats.connections.get(session.transport) ?? 0;
    this.stats.connections.set(session.transport, count + 1);
    this.#emitLog({
      event: "connect",
      session: session.id,
      transport: session.transport,
      remote: session.remote,
    });
    if (this.#closing) {
      session.fail(
        "SHUTTING_DOWN",
        "Cannot connect: the server is shutting down",
      );
    } else if (this.#sessions.size > this.limits.maxConnections) {
      session.fail(
        "SERVER_FULL",
        `Cannot connect: the server has ${this.limits.maxConnections} connections`,
      );
    }
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
    if (text.trim() === "") {
      return {
        ok: false,
        code: "MESSAGE_EMPTY",
        message: "Cannot announce: text is empty",
      };
    }
    const bytes = new TextEncoder().encode(text).length;
    if (bytes > this.limits.maxMessageBytes) {
      return {
        ok: false,
        code: "MESSAGE_TOO_LONG",
        message:
          `Cannot announce: ${bytes} bytes exceeds the limit of ${this.limits.maxMessageBytes}`,
      };
    }
    let target: string | null = null;
    if (room !== undefined) {
      const r = checkRoom(room);
      if (!r.ok) return { ok: false, code: r.code, message: r.message };
      target = r.name;
    }
    const event: RoomEvent = { type: "announcement", room: target, text };
    this.stats.announcements++;
    const out = new Outgoing(event);
    this.backplane.publish(event, out);
    this.#emitLog({ event: "announce", room: target, text });
    const reached = this.#fanoutLocal(event, out);
    return { ok: true, ...reached };
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
    for (const room of this.#rooms.values()) members += room.size;
    return { rooms: this.#rooms.size, members };
  }

  /**
   * Watch every room event on this node (local and from other nodes).
   *
   * @param observer Called for each event.
   * @returns A function that stops watching.
   */
  observe(observer: (event: RoomEvent) => void): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /**
   * Apply time: close connections that did not join in time and remove
   * members silent for longer than their idle timeout. Call it about once a
   * second.
   */
  tick(): void {
    const now = this.now();
    for (const s of this.#unjoined) {
      if (now - s.waitingSince >= this.limits.joinTimeoutMs) {
        s.fail(
          "JOIN_TIMEOUT",
          `Cannot wait any longer: no JOIN within ${this.limits.joinTimeoutMs} ms`,
        );
      }
    }
    for (const s of this.#idle) {
      if (now - s.lastSeen >= s.idleTimeoutMs) s.drop("timeout");
    }
  }

  /**
   * Tell every member the server is shutting down (a `left` event with
   * reason `shutdown` for their own name), close every connection and leave
   * the cluster. New connections are refused from now on.
   */
  async shutdown(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#emitLog({ event: "shutdown", sessions: this.#sessions.size });
    for (const s of [...this.#sessions]) {
      const m = s.membership;
      s.shutdown();
      // Local members were each told above; other nodes hear it once here.
      if (m) {
        this.backplane.publish({
          type: "left",
          room: m.room,
          name: m.name,
          reason: "shutdown",
        });
      }
    }
    this.#rooms.clear();
    await this.backplane.close();
  }

  #fanoutLocal(
    event: RoomEvent,
    out: Outgoing = new Outgoing(event),
  ): { rooms: number; delivered: number } {
    let rooms = 0, delivered = 0;
    if (event.type === "announcement" && event.room === null) {
      for (const room of [...this.#rooms.values()]) {
        rooms++;
        delivered += this.#fanout(room, out);
      }
    } else {
      const room = this.#rooms.get(event.room ?? "");
      if (room) {
        rooms++;
        delivered += this.#fanout(room, out);
      }
    }
    this.#notify(event);
    return { rooms, delivered };
  }

  /** Fan out and count: deliveries, drops, and messages out. */
  #fanout(room: Room<Session>, out: Outgoing, except?: Session): number {
    const expected = room.size - (except === undefined ? 0 : 1);
    const delivered = room.fanout(out, except);
    this.stats.deliveries += delivered;
    this.stats.dropped += Math.max(0, expected - delivered);
    if (out.event.type === "message") this.stats.messagesOut += delivered;
    return delivered;
  }

  #remote(event: RoomEvent, out?: Outgoing): void {
    if (!this.#closing) this.#fanoutLocal(event, out);
  }

  /**
   * The cluster gave a name this node held to another node (found after an
   * outage): the local member is told why and removed. Its leave reaches
   * this node's members only; the cluster's holder of the name stays.
   */
  #lost(roomName: string, key: string): void {
    const session = this.#rooms.get(roomName)?.get(key);
    if (session === undefined || this.#closing) return;
    this.#emitLog({
      event: "name_lost",
      session: session.id,
      room: roomName,
      name: session.name,
    });
    session.error(
      "NAME_TAKEN",
      `Cannot keep name "${session.name}" in room "${roomName}": another member took it while this server was cut off from the cluster`,
    );
    this.#orphans.add(session);
    session.drop("node_lost");
  }

  /** At most {@link ROSTER_MAX} names of a room, and its member count. */
  #roster(room: string): Roster | Promise<Roster> {
    const bp = this.backplane;
    if (bp.roster) return bp.roster(room, ROSTER_MAX);
    const list = bp.members(room);
    const roster = (names: readonly string[]) => ({
      names,
      total: names.length,
    });
    return list instanceof Promise ? list.then(roster) : roster(list);
  }

  #notify(event: RoomEvent): void {
    for (const o of this.#observers) o(event);
  }

  #emitLog(record: LogRecord): void {
    this.#log?.(record);
  }

  #makeInternals(): ChatInternals {
    const rooms = this.#rooms;
    const backplane = this.backplane;
    const stats = this.stats;
    return {
      limits: this.limits,
      now: this.now,
      log: (record) => {
        if (record.event === "refused") {
          stats.refused++;
          if (record.quiet) return;
        }
        this.#emitLog(record);
      },
      join: (session, rawRoom, rawName) => {
        if (this.#closing) {
          return {
            code: "SHUTTING_DOWN",
            message: "Cannot join: the server is shutting down",
          };
        }
        const room = checkRoom(rawRoom);
        if (!room.ok) return room;
        const check = checkName(rawName, this.limits.maxNameLength);
        if (!check.ok && check.lookalike === undefined) return check;
        // A look-alike of a member is told the name is taken (see lookalike).
        const name = check.ok ? check : check.lookalike!;
        const current = session.membership;
        if (current?.room === room.name && current.key === name.key) {
          return current;
        }
        const m: Membership = {
          room: room.name,
          name: name.name,
          key: name.key,
        };
        const taken: Refusal = {
          code: "NAME_TAKEN",
          message:
            `Cannot join room "${room.name}": name "${name.name}" is taken`,
        };
        const decide = (won: boolean): Membership | Refusal => {
          if (won && !check.ok) backplane.release(room.name, name.key);
          return !won ? taken : check.ok ? m : check;
        };
        const claim = backplane.claim(room.name, name.key, name.name);
        if (claim instanceof Promise) return claim.then(decide);
        return decide(claim);
      },
      enter: (session, m) => {
        let room = rooms.get(m.room);
        if (room === undefined) {
          room = new Room(m.room);
          rooms.set(m.room, room);
        }
        room.add(m.key, session);
        this.#unjoined.delete(session);
        const event: RoomEvent = { type: "joined", room: m.room, name: m.name };
        this.#emitLog({
          event: "join",
          session: session.id,
          room: m.room,
          name: m.name,
        });
        const out = new Outgoing(event);
        this.#fanout(room, out, session);
        backplane.publish(event, out);
        this.#notify(event);
        this.#internals.welcome(session, m);
      },
      welcome: (session, m) => {
        const roster = this.#roster(m.room);
        const welcome = ({ names, total }: Roster): ChatEvent => ({
          type: "welcome",
          room: m.room,
          name: m.name,
          // A cut-short list still names the member itself.
          members: names.includes(m.name) ? names : [m.name, ...names],
          total: Math.max(total, 1),
        });
        if (roster instanceof Promise) {
          // Already in the room: what reaches it meanwhile waits for this.
          session.hold();
          roster.then(
            (r) => session.unhold(welcome(r)),
            () => session.unhold(welcome({ names: [m.name], total: 1 })),
          );
        } else session.send(welcome(roster));
      },
      leave: (session, m, reason) => {
        const room = rooms.get(m.room);
        if (room === undefined || !room.remove(m.key, session)) return;
        // An orphan's name belongs to another node now: its leave is local.
        const orphan = this.#orphans.has(session);
        if (!orphan) backplane.release(m.room, m.key);
        if (room.size === 0) rooms.delete(m.room);
        if (reason === "slow_consumer") stats.slowConsumers++;
        const event: RoomEvent = {
          type: "left",
          room: m.room,
          name: m.name,
          reason,
        };
        this.#emitLog({
          event: "leave",
          session: session.id,
          room: m.room,
          name: m.name,
          reason,
        });
        const out = new Outgoing(event);
        this.#fanout(room, out);
        if (!orphan) backplane.publish(event, out);
        this.#notify(event);
      },
      say: (session, m, text) => {
        const room = rooms.get(m.room);
        if (room === undefined) return;
        stats.messagesIn++;
        const event: RoomEvent = {
          type: "message",
          room: m.room,
          from: m.name,
          text,
        };
        const out = new Outgoing(event);
        this.#fanout(room, out, session);
        backplane.publish(event, out);
        if (this.#observers.size > 0) this.#notify(event);
      },
      who: (session, rawRoom) => {
        const r = checkRoom(rawRoom);
        if (!r.ok) {
          session.error(r.code, r.message);
          return;
        }
        const send = ({ names, total }: Roster) =>
          session.send({
            type: "members",
            room: r.name,
            members: names,
            total,
          });
        const roster = this.#roster(r.name);
        if (roster instanceof Promise) {
          roster.then(
            send,
            () =>
              session.error(
                "UNAVAILABLE",
                "Cannot list members: the cluster did not answer",
              ),
          );
        } else send(roster);
      },
      forget: (session, m, reason) => {
        // Released even for a session already forgotten: a JOIN claim can
        // be won after its connection closed.
        if (m) backplane.release(m.room, m.key);
        if (!this.#sessions.delete(session)) return;
        this.#unjoined.delete(session);
        this.#idle.delete(session);
        const count = (stats.connections.get(session.transport) ?? 1) - 1;
        stats.connections.set(session.transport, count);
        this.#emitLog({ event: "disconnect", session: session.id, reason });
      },
    };
  }
}
