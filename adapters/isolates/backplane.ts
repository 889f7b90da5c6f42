/**
 * The isolates backplane: the isolates of one server instance (the Workers
 * of `serve --workers N`, the isolates of `deno serve --parallel`, or a
 * program's own Workers) act as one chat with no external service. Names
 * and presence live in a Deno KV store that every isolate opens
 * (adapters/isolates/claims.ts), held by a lease per isolate (lease.ts);
 * events cross over a BroadcastChannel as their binary frames, one message
 * per event-loop turn (bus.ts). It gives the guarantees of the Redis
 * backplane (docs/scaling.md): a name is held once per room across every
 * isolate, every event reaches every member once, a dead isolate's members
 * leave with reason `node_lost` within the lease, every isolate has the same
 * history of a room (history.ts), a member resumes on any isolate
 * (hand_over.ts), and the connection limit is the process's
 * (connection_share.ts). parts.ts wires the parts together.
 *
 * @module
 */

import type {
  Backplane,
  HandOff,
  HandOffHandler,
  HandOverRequest,
  LostHandler,
  Reach,
  Receiver,
  RoomInfo,
  Roster,
} from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { encodeFrame } from "../../core/codec/mod.ts";
import type { LeftEvent, RoomEvent } from "../../core/events.ts";
import type { HistoryStore } from "../../core/history.ts";
import type { Outgoing } from "../../core/peer.ts";
import {
  DEFAULT_ISOLATE_LEASE_MS,
  type IsolateBackplaneOptions,
  openStore,
  randomIsolateId,
} from "./backplane_options.ts";
import { makeParts, type Parts, text } from "./parts.ts";
import type { IsolatePeers } from "./peers.ts";
import type { IsolateStore } from "./store_dir.ts";
import { MAX_HOLD_MS } from "./turn_hold.ts";
import { within } from "../within.ts";

export {
  DEFAULT_ISOLATE_LEASE_MS,
  type IsolateBackplaneOptions,
} from "./backplane_options.ts";

/** Longest wait, at start, for another isolate's copy of the histories, in ms. */
const HISTORY_COPY_MS = 2000;

/**
 * Deno KV and a BroadcastChannel as the {@link Backplane} of isolates in
 * one process. Needs `--unstable-kv`.
 *
 * @example
 * ```ts ignore
 * import { serve } from "../../mod.ts";
 * // In each Worker of the program (the same default store: one per process):
 * const backplane = await IsolateBackplane.connect();
 * const server = await serve({ backplane, transports: ["tcp"] });
 * ```
 */
export class IsolateBackplane implements Backplane {
  /** This isolate's id. */
  readonly nodeId: string;
  /** The lease, in ms. */
  readonly leaseMs: number;
  /** The KV file (undefined with a store given open). */
  readonly path: string | undefined;
  /**
   * The other isolates, for what lies beside the rooms (the HTTP adapter's
   * `isolates` option: a session's requests, metrics of every isolate).
   */
  readonly link: IsolatePeers;
  readonly #kv: Deno.Kv;
  readonly #ownsKv: boolean;
  readonly #store: IsolateStore | undefined;
  readonly #holdStore: boolean;
  readonly #p: Parts;
  readonly #log: (record: LogRecord) => void;
  #closed = false;

  private constructor(
    options: IsolateBackplaneOptions,
    kv: Deno.Kv,
    store: IsolateStore | undefined,
    channel: string,
  ) {
    this.nodeId = options.id ?? randomIsolateId();
    this.leaseMs = options.leaseMs ?? DEFAULT_ISOLATE_LEASE_MS;
    this.path = options.kv ? undefined : options.path ?? store?.path;
    this.#kv = kv;
    this.#ownsKv = options.kv === undefined;
    this.#store = store;
    this.#holdStore = options.holdStore ?? false;
    this.#log = options.log ?? (() => {});
    this.#p = makeParts({
      id: this.nodeId,
      kv,
      prefix: options.prefix ?? ["roomcast"],
      channel,
      ports: options.ports,
      leaseMs: this.leaseMs,
      tallyMs: options.tallyMs ?? 1000,
      log: this.#log,
      declaredLost: () => this.#rejoin(),
      left: (event) => this.#left(event),
    });
    this.link = this.#p.peers;
  }

  /**
   * Open the shared store, register this isolate, join the others and
   * take a copy of the rooms' histories from one of them.
   *
   * @param options Store, ids, lease and log.
   * @returns The backplane, registered.
   * @throws {Error} `Cannot share rooms between isolates: ...` without
   *   `--unstable-kv`, or when the store cannot be opened.
   */
  static async connect(
    options: IsolateBackplaneOptions = {},
  ): Promise<IsolateBackplane> {
    const { kv, store, channel } = await openStore(options);
    const bp = new IsolateBackplane(options, kv, store, channel);
    const p = bp.#p;
    await p.lease.start();
    p.bus.send("*", "hello", { c: 0 });
    const others = await p.lease.others().catch(() => []);
    await p.sync.run(others, HISTORY_COPY_MS);
    bp.#log({
      event: "isolates",
      state: "joined",
      isolate: bp.nodeId,
      ...(bp.path ? { store: bp.path } : {}),
      lease_ms: bp.leaseMs,
    });
    return bp;
  }

  /**
   * The rooms' histories: this isolate's copy, kept in step with every
   * other isolate's (adapters/isolates/history.ts), in memory.
   */
  get history(): HistoryStore {
    return this.#p.history;
  }

  /** Claim a name for this isolate, atomically across every isolate. */
  claim(room: string, key: string, name: string): boolean | Promise<boolean> {
    return this.#p.claims.claim(room, key, name);
  }

  /**
   * Give a name back. The events of this turn (the member's leave) go to the
   * other isolates once the release is written, so that the name is free
   * for whoever hears of the leave; the member that left is told once it is
   * written too (at most {@link MAX_HOLD_MS} later, as the events).
   */
  release(room: string, key: string): Promise<void> {
    const written = this.#p.claims.release(room, key);
    this.#p.bus.after(written);
    return within(written, MAX_HOLD_MS).then(() => {});
  }

  /** Send an event to every other isolate, as its frame, at the turn's end. */
  publish(event: RoomEvent, out?: Outgoing): void {
    if (this.#closed) return;
    const p = this.#p;
    const frame = out?.binary() ?? encodeFrame(event);
    const tally = event.type === "announcement"
      ? p.tallies.open(event, p.lease.peers())
      : undefined;
    p.bus.publish(frame, tally);
    if (event.type === "joined" || event.type === "left") {
      p.history.published(event);
    }
  }

  /** What an announcement just published reached on the other isolates. */
  tally(event: RoomEvent): Promise<Reach> {
    return this.#p.tallies.result(event);
  }

  /**
   * Register the chat's receiver, lost-name handler and side of
   * hand-overs.
   */
  listen(
    receiver: Receiver,
    lost?: LostHandler,
    handOff?: HandOffHandler,
  ): void {
    this.#p.remote.receiver = receiver;
    this.#p.lost = lost;
    this.#p.handOvers.handler = handOff;
  }

  /**
   * Take over a resumable member held by another isolate: its claim moves
   * here, and that isolate gives it up with the events it missed
   * (adapters/isolates/hand_over.ts).
   */
  handOver(request: HandOverRequest): Promise<HandOff | undefined> {
    return this.#p.handOvers.ask(request);
  }

  /**
   * This isolate's connections; the other isolates', as last heard: the
   * connection limit is the process's (adapters/isolates/connection_share.ts).
   */
  shareConnections(own: number): number {
    return this.#p.connections.share(own);
  }

  /** Member names of a room, on every isolate. */
  members(room: string): Promise<readonly string[]> {
    return this.#p.claims.members(room);
  }

  /** Up to `max` names of a room and its count, on every isolate. */
  roster(room: string, max: number): Promise<Roster> {
    return this.#p.claims.roster(room, max);
  }

  /** Rooms and member counts, on every isolate. */
  async rooms(): Promise<readonly RoomInfo[]> {
    const rooms = await this.#p.claims.rooms();
    return rooms.sort((a, b) => a.room < b.room ? -1 : +(a.room > b.room));
  }

  /**
   * Leave: give back every name this isolate holds, end its lease, close
   * the channel and the store (the last isolate out removes its directory).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const p = this.#p;
    this.#closed = p.remote.closed = true;
    p.handOvers.close();
    p.connections.close();
    const claims = p.claims;
    await within(claims.settled().catch(() => {}), 2000);
    await within(
      Promise.all(claims.entries().map((c) => claims.release(c.room, c.key)))
        .catch(() => {}),
      3000,
    );
    await within(p.lease.stop().catch(() => {}), 1000);
    p.tallies.close();
    p.requests.close();
    await p.bus.close();
    if (this.#ownsKv) this.#kv.close();
    if (!this.#holdStore) await this.#store?.release();
    this.#log({ event: "isolates", state: "left", isolate: this.nodeId });
  }

  /**
   * With `holdStore`, after {@link IsolateBackplane.close}: let go of the
   * store, then wait until every isolate of the process has (at most
   * `timeoutMs`). A process whose isolates all got SIGTERM exits after
   * this, once each has told its members.
   */
  async releaseStore(timeoutMs: number): Promise<void> {
    await this.#store?.release();
    await this.#store?.unheld(timeoutMs);
  }

  /** A member nobody holds any more: its leave, here and everywhere. */
  #left(event: LeftEvent): void {
    this.publish(event);
    this.#p.remote.receiver?.(event);
  }

  /** Declared lost while alive: claim every name again. */
  async #rejoin(): Promise<void> {
    const p = this.#p;
    for (const claim of p.claims.entries()) {
      let won = false;
      try {
        won = await p.claims.reclaim(claim);
      } catch (e) {
        this.#log({ event: "isolates", state: "store_error", error: text(e) });
      }
      if (won) {
        this.publish({ type: "joined", room: claim.room, name: claim.name });
      } else {
        p.claims.drop(claim);
        p.history.lost(claim.room, claim.name);
        p.lost?.(claim.room, claim.key);
      }
    }
  }
}
