/**
 * The seam through which chat nodes share rooms: name claims that are atomic
 * across nodes, and room events carried between them. The in-memory one
 * (core/memory_backplane.ts) is the default, for one process; the Redis and
 * isolates ones live in adapters/.
 *
 * Two optional parts serve history and resume (docs/scaling.md): a
 * {@link HistoryStore} shared by the nodes ({@link Backplane.history}), and
 * the hand-over of a resumable member to the node where it comes back
 * ({@link Backplane.handOver}, answered through the {@link HandOffHandler}
 * given to {@link Backplane.listen}). A backplane without them still works:
 * the chat then keeps histories on each node, and resumes only members of
 * its own node.
 *
 * @module
 */

import type { RoomEvent } from "./events.ts";
import type { HandOff, HandOffHandler, HandOverRequest } from "./hand_off.ts";
import type { HistoryStore } from "./history.ts";
import type { Outgoing } from "./peer.ts";

export {
  type HandOff,
  type HandOffHandler,
  type HandOverRequest,
  nodeTag,
  tokenTag,
} from "./hand_off.ts";

/** Result of a claim: `true` won, `false` already taken. */
export type ClaimResult = boolean | Promise<boolean>;

/** One room and its member count, cluster-wide. */
export interface RoomInfo {
  /** Canonical room name. */
  readonly room: string;
  /** Members in the room, on every node. */
  readonly members: number;
}

/** Some member names of a room and how many it has, cluster-wide. */
export interface Roster {
  /** Member names, at most the number asked for. */
  readonly names: readonly string[];
  /** How many members the room has. */
  readonly total: number;
}

/** What one event reached on one node: rooms, and members given it. */
export interface Reach {
  /** Rooms reached. */
  readonly rooms: number;
  /** Members the event was queued to. */
  readonly delivered: number;
}

/**
 * Receives another node's event. `out`, when given, is the event ready to
 * fan out, with the encoding that carried it already cached (so a received
 * frame is not encoded again). Returns what the event reached on this node
 * (the chat's receiver does; a backplane may use it to count an
 * announcement's reach, {@link Backplane.tally}).
 */
export type Receiver = (event: RoomEvent, out?: Outgoing) => Reach | void;

/**
 * Told that this node no longer holds a name it claimed: after an outage,
 * the backplane found the name taken by another node. The chat removes the
 * local member holding it, without telling the cluster.
 */
export type LostHandler = (room: string, key: string) => void;

/**
 * What a chat node needs from the cluster. Claims are keyed by the room and
 * the folded name key; events carry joins, leaves, messages and
 * announcements. Implementations must deliver the events one node publishes
 * to every other node in publish order, and must not echo them back.
 */
export interface Backplane {
  /** This node's id, unique in the cluster. */
  readonly nodeId: string;
  /**
   * Atomically claim a name in a room for this node. May answer
   * synchronously (in memory) or with a promise (over the network).
   */
  claim(room: string, key: string, name: string): ClaimResult;
  /**
   * Give up a claim this node holds. A promise, where the release is a
   * write to a shared store, settles once it is written (or the node stops
   * waiting for it): the member that left is told `left` only then, so
   * that it can take its name again at once on any node. It must settle,
   * and soon (the isolates and Redis backplanes give up after 200 ms): the
   * member's connection and a shutdown wait for it. It never rejects.
   */
  release(room: string, key: string): void | Promise<void>;
  /**
   * Send a room event to every other node. `out` is the same event as the
   * chat fanned it out locally: reuse its cached encodings.
   */
  publish(event: RoomEvent, out?: Outgoing): void;
  /**
   * Register the receiver of other nodes' events, the handler of names
   * this node lost, and this node's side of hand-overs (called once by the
   * chat).
   */
  listen(
    receiver: Receiver,
    lost?: LostHandler,
    handOff?: HandOffHandler,
  ): void;
  /** Member names of a room, cluster-wide. */
  members(room: string): readonly string[] | Promise<readonly string[]>;
  /**
   * At most `max` member names of a room and its member count, for WELCOME
   * and WHO answers in large rooms. Optional: without it the chat lists
   * {@link Backplane.members}.
   */
  roster?(room: string, max: number): Roster | Promise<Roster>;
  /** Rooms with at least one member, cluster-wide. */
  rooms(): readonly RoomInfo[] | Promise<readonly RoomInfo[]>;
  /**
   * What an announcement this node has just published reached elsewhere:
   * `rooms` cluster-wide (every room with members, or the one room
   * announced to when it has any), `delivered` on the other nodes only.
   * Optional: without it an announcement counts this node's members alone.
   * Settles within the backplane's own bound, counting the nodes that
   * answered.
   */
  tally?(event: RoomEvent): Promise<Reach>;
  /**
   * Rooms' histories, shared by every node (optional). The store must drop
   * a room's history when the room's last claim is released. Without it
   * each node keeps the histories of its own rooms.
   */
  readonly history?: HistoryStore;
  /**
   * Take over a resumable member held by another node (optional): find the
   * node holding `token` (its first part is that node's {@link nodeTag}),
   * move the member's name claim to this node, and return what that node's
   * {@link HandOffHandler.take} gave, or undefined when no node holds it.
   * Without it a member resumes only on the node it was on.
   */
  handOver?(
    request: HandOverRequest,
  ): HandOff | undefined | Promise<HandOff | undefined>;
  /**
   * Share the connection limit with the other nodes (optional: the
   * isolates of one process are one server). The chat calls it whenever
   * its own count of connections changes, and before it admits one, with
   * that count; the answer is the other nodes' total, as last heard.
   * Without it the limit (`maxConnections`) is each node's own.
   */
  shareConnections?(own: number): number;
  /** Stop: release this node's claims and detach. */
  close(): void | Promise<void>;
}
