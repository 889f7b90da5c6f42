/**
 * The seam through which chat nodes share rooms: name claims that are atomic
 * across nodes, and room events carried between them. {@link MemoryBackplane}
 * is the default, for one process; a Redis implementation lives in adapters/.
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
import {
  type HandOff,
  type HandOffHandler,
  type HandOverRequest,
  nodeTag,
  tokenTag,
} from "./hand_off.ts";
import { type HistoryStore, MemoryHistory } from "./history.ts";
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
  /** Give up a claim this node holds. */
  release(room: string, key: string): void;
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

/** Options of a {@link MemoryBackplane}. */
export interface MemoryBackplaneOptions {
  /** Share claims and events with other backplanes on the same bus. */
  bus?: MemoryBus;
  /** This node's id. @default {"node-<n>"} */
  nodeId?: string;
}

/**
 * Shared state for several in-process nodes, so that multi-node behaviour can
 * be tested without a network.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bus = new MemoryBus();
 * const a = new MemoryBackplane({ bus }), b = new MemoryBackplane({ bus });
 * assert.equal(a.claim("lobby", "bob", "Bob"), true);
 * assert.equal(b.claim("lobby", "bob", "bob"), false);
 * ```
 */
export class MemoryBus {
  /** room → name key → claim. */
  readonly claims: Map<string, Map<string, { name: string; node: string }>> =
    new Map();
  /** Receivers by node id. */
  readonly nodes: Map<string, Receiver> = new Map();
  /** Hand-off handlers by node tag. */
  readonly handOffs: Map<string, HandOffHandler> = new Map();
  /** Histories of the bus's rooms (those with claims). */
  readonly history: MemoryHistory = new MemoryHistory({
    rooms: () => this.claims.keys(),
  });
  #next = 1;

  /** A fresh node id. */
  nextId(): string {
    return `node-${this.#next++}`;
  }
}

/**
 * The in-memory backplane: claims in a map, events handed to the other nodes
 * on the same {@link MemoryBus} (none, by default).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bp = new MemoryBackplane();
 * assert.equal(bp.claim("lobby", "bob", "Bob"), true);
 * assert.deepEqual(bp.members("lobby"), ["Bob"]);
 * bp.release("lobby", "bob");
 * assert.deepEqual(bp.rooms(), []);
 * ```
 */
export class MemoryBackplane implements Backplane {
  /** This node's id. */
  readonly nodeId: string;
  readonly #bus: MemoryBus;
  readonly #reached = new WeakMap<RoomEvent, number>();
  readonly #tag: string;

  /**
   * Create a new instance.
   * @param options Bus to share and node id.
   */
  constructor(options: MemoryBackplaneOptions = {}) {
    this.#bus = options.bus ?? new MemoryBus();
    this.nodeId = options.nodeId ?? this.#bus.nextId();
    this.#tag = nodeTag(this.nodeId);
  }

  /** The histories of every room on the bus. */
  get history(): MemoryHistory {
    return this.#bus.history;
  }

  /** Claim `key` in `room`; false if any node holds it. */
  claim(room: string, key: string, name: string): boolean {
    let names = this.#bus.claims.get(room);
    if (names === undefined) {
      names = new Map();
      this.#bus.claims.set(room, names);
    }
    if (names.has(key)) return false;
    names.set(key, { name, node: this.nodeId });
    return true;
  }

  /** Release a claim held by this node. */
  release(room: string, key: string): void {
    const names = this.#bus.claims.get(room);
    if (names?.get(key)?.node !== this.nodeId) return;
    names.delete(key);
    if (names.size === 0) this.#dropRoom(room);
  }

  #dropRoom(room: string): void {
    this.#bus.claims.delete(room);
    this.#bus.history.drop(room);
  }

  /**
   * Hand the event to every other node on the bus, synchronously, with the
   * publisher's {@link Outgoing} so that each encoding is made once.
   */
  publish(event: RoomEvent, out?: Outgoing): void {
    let delivered = 0;
    for (const [id, receive] of this.#bus.nodes) {
      if (id !== this.nodeId) delivered += receive(event, out)?.delivered ?? 0;
    }
    if (event.type === "announcement") this.#reached.set(event, delivered);
  }

  /**
   * What an announcement this node published reached on the other nodes of
   * the bus (they answer at once, in memory).
   */
  tally(event: RoomEvent): Promise<Reach> {
    const room = event.type === "announcement" ? event.room : null;
    const rooms = room === null
      ? this.#bus.claims.size
      : this.#bus.claims.has(room)
      ? 1
      : 0;
    return Promise.resolve({
      rooms,
      delivered: this.#reached.get(event) ?? 0,
    });
  }

  /**
   * Register this node's receiver (names are never lost in memory) and its
   * side of hand-overs.
   */
  listen(
    receiver: Receiver,
    _lost?: LostHandler,
    handOff?: HandOffHandler,
  ): void {
    this.#bus.nodes.set(this.nodeId, receiver);
    if (handOff) this.#bus.handOffs.set(this.#tag, handOff);
  }

  /**
   * Take over a member of another node on the bus: its claim moves here,
   * then that node gives it up.
   */
  handOver(request: HandOverRequest): HandOff | undefined {
    const tag = tokenTag(request.token);
    const handler = tag === this.#tag ? undefined : this.#bus.handOffs.get(tag);
    const place = handler?.find(request.token);
    if (handler === undefined || place === undefined) return undefined;
    const claim = this.#bus.claims.get(place.room)?.get(place.key);
    if (claim !== undefined) claim.node = this.nodeId;
    return handler.take(request.token, request.seen);
  }

  /** Names claimed in a room, by any node. */
  members(room: string): string[] {
    const names = this.#bus.claims.get(room);
    return names ? [...names.values()].map((c) => c.name) : [];
  }

  /** Rooms with claims. */
  rooms(): RoomInfo[] {
    return [...this.#bus.claims].map(([room, names]) => ({
      room,
      members: names.size,
    }));
  }

  /** Release this node's claims and leave the bus. */
  close(): void {
    for (const [room, names] of this.#bus.claims) {
      for (const [key, claim] of names) {
        if (claim.node === this.nodeId) names.delete(key);
      }
      if (names.size === 0) this.#dropRoom(room);
    }
    this.#bus.nodes.delete(this.nodeId);
    if (this.#bus.handOffs.get(this.#tag) !== undefined) {
      this.#bus.handOffs.delete(this.#tag);
    }
  }
}
