/**
 * The state of a chat node that its parts share: limits, clock, backplane and
 * running totals, and the sessions and rooms on this node. core/chat.ts makes
 * it; the membership rules (core/membership.ts), the fan-out
 * (core/fanout.ts) and announcements (core/announce.ts) work on it.
 *
 * @module
 */

import { type Backplane, nodeTag } from "./backplane.ts";
import type { LogRecord } from "./chat_internals.ts";
import type { RoomEvent } from "./events.ts";
import {
  type HistoryBounds,
  type HistoryStore,
  MemoryHistory,
} from "./history.ts";
import type { Limits } from "./limits.ts";
import type { Room } from "./room.ts";
import type { Session } from "./session.ts";

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

/** @internal The state of a chat node, shared by reference between its parts. */
export interface ChatState {
  /** The limits in force. */
  readonly limits: Limits;
  /** The chat's clock, in milliseconds. */
  readonly now: () => number;
  /** The time of day, in ms since the Unix epoch (history entries). */
  readonly wallClock: () => number;
  /** Fill an array with cryptographically strong random bytes (tokens). */
  readonly random: (bytes: Uint8Array) => void;
  /** The backplane. */
  readonly backplane: Backplane;
  /** Where rooms' histories are kept. */
  readonly history: HistoryStore;
  /**
   * True when {@link ChatState.history} is this node's own (the backplane
   * has none): events from other nodes are kept too, and a room's history
   * goes when its last local member does.
   */
  readonly localHistory: boolean;
  /** The history bounds, from the limits. */
  readonly historyBounds: HistoryBounds;
  /** The first part of this node's resume tokens. */
  readonly tag: string;
  /** Resumable members by resume token. */
  readonly tokens: Map<string, Session>;
  /** Members whose connection is gone, in their grace period. */
  readonly detached: Set<Session>;
  /** Running totals. */
  readonly stats: ChatStats;
  /** Rooms with members on this node. */
  readonly rooms: Map<string, Room<Session>>;
  /** Members removed because the cluster gave their name to another node. */
  readonly orphans: WeakSet<Session>;
  /**
   * Releases of names being written to the shared store: a shutdown waits
   * for them, so that their members are told before connections close.
   */
  readonly releasing: Set<Promise<void>>;
  /** Open sessions. */
  readonly sessions: Set<Session>;
  /** Sessions that have not joined yet (the join timeout applies). */
  readonly unjoined: Set<Session>;
  /** Sessions with an idle timeout. */
  readonly idle: Set<Session>;
  /**
   * Connections a transport holds without a session, counted against the
   * limit (`Chat.holdConnection`).
   */
  held: number;
  /** Who watches every room event on this node. */
  readonly observers: Set<(event: RoomEvent) => void>;
  /** True once the chat shuts down. */
  closing: boolean;
  /** Write one record to the chat's log, if it has one. */
  log(record: LogRecord): void;
}

/** What {@link makeState} starts from. */
export interface StateOptions {
  /** The limits in force. */
  readonly limits: Limits;
  /** The chat's clock, in milliseconds. */
  readonly now: () => number;
  /** The time of day, in ms since the Unix epoch. */
  readonly wallClock: () => number;
  /** Cryptographically strong random bytes. */
  readonly random: (bytes: Uint8Array) => void;
  /** The backplane. */
  readonly backplane: Backplane;
  /** Receives one record per lifecycle event. */
  readonly log: ((record: LogRecord) => void) | undefined;
}

/**
 * @internal A new chat's state: no rooms, no sessions, totals at zero, and
 * the rooms' histories in the backplane's store (or this node's own).
 *
 * @param o Limits, clocks, randomness, backplane and log.
 * @returns The state.
 */
export function makeState(o: StateOptions): ChatState {
  const rooms = new Map<string, Room<Session>>();
  const bp = o.backplane;
  const log = o.log;
  const historyBounds: HistoryBounds = {
    length: o.limits.historyLength,
    bytes: o.limits.historyBytes,
  };
  bp.history?.configure?.(historyBounds);
  return {
    limits: o.limits,
    now: o.now,
    wallClock: o.wallClock,
    random: o.random,
    backplane: bp,
    history: bp.history ?? new MemoryHistory({ rooms: () => rooms.keys() }),
    localHistory: bp.history === undefined,
    historyBounds,
    tag: nodeTag(bp.nodeId),
    tokens: new Map(),
    detached: new Set(),
    stats: {
      connections: new Map(),
      messagesIn: 0,
      messagesOut: 0,
      refused: 0,
      deliveries: 0,
      dropped: 0,
      slowConsumers: 0,
      announcements: 0,
    },
    rooms,
    orphans: new WeakSet(),
    releasing: new Set(),
    sessions: new Set(),
    unjoined: new Set(),
    idle: new Set(),
    held: 0,
    observers: new Set(),
    closing: false,
    log: (record) => log?.(record),
  };
}

/**
 * @internal This node's connections: open sessions (members in their grace
 * period included) and held sockets. The backplane is told the count, where
 * it shares the limit with other nodes ({@link Backplane.shareConnections}).
 *
 * @param state The chat's state.
 * @returns This node's count, and the other nodes' total (0 when the
 *   limit is this node's own).
 */
export function countConnections(
  state: ChatState,
): { own: number; elsewhere: number } {
  const own = state.sessions.size + state.held;
  return { own, elsewhere: state.backplane.shareConnections?.(own) ?? 0 };
}
