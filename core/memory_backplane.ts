/**
 * The in-memory {@link Backplane}: claims in a map, events handed
 * synchronously to the other nodes of the same {@link MemoryBus} in this
 * process. The chat's default (one node), and how tests run several nodes
 * without a network.
 *
 * @module
 */

import type {
  Backplane,
  LostHandler,
  Reach,
  Receiver,
  RoomInfo,
} from "./backplane.ts";
import type { RoomEvent } from "./events.ts";
import {
  type HandOff,
  type HandOffHandler,
  type HandOverRequest,
  nodeTag,
  tokenTag,
} from "./hand_off.ts";
import { MemoryHistory } from "./history.ts";
import type { Outgoing } from "./peer.ts";

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
