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
 * leave with reason `node_lost` within the lease.
 *
 * @module
 */

import type {
  Backplane,
  LostHandler,
  Reach,
  Receiver,
  RoomInfo,
  Roster,
} from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { encodeFrame } from "../../core/codec/mod.ts";
import type { RoomEvent } from "../../core/events.ts";
import type { Outgoing } from "../../core/peer.ts";
import { IsolateBus } from "./bus.ts";
import { KvClaims } from "./claims.ts";
import { StoreKeys } from "./keys.ts";
import { retrying } from "./kv_retry.ts";
import { IsolateLease } from "./lease.ts";
import { IsolatePeers } from "./peers.ts";
import { RemoteEvents } from "./remote_events.ts";
import { IsolateRequests } from "./requests.ts";
import { type IsolateStore, openIsolateStore } from "./store_dir.ts";
import { Tallies } from "./tallies.ts";

/** Options of {@link IsolateBackplane.connect}. */
export interface IsolateBackplaneOptions {
  /**
   * The Deno KV file every isolate opens. @default {a file of this process,
   * adapters/isolates/store_dir.ts}
   */
  path?: string;
  /** The BroadcastChannel's name. @default {one per store} */
  channel?: string;
  /**
   * Ports to the other isolates, one each, instead of the BroadcastChannel:
   * a parent that starts the isolates as Workers can hand each pair the two
   * ends of a `MessageChannel` (cheaper, and nothing is ever dropped).
   * Isolates that start later are added with
   * {@link IsolateBackplane.addPort}.
   */
  ports?: readonly MessagePort[];
  /** An open store to use instead of `path` (the host's own KV). */
  kv?: Deno.Kv;
  /** Prefix of every key. @default {["roomcast"]} */
  prefix?: Deno.KvKey;
  /** This isolate's id. @default {12 random hex digits} */
  id?: string;
  /**
   * An isolate whose lease is not renewed for this long is declared lost,
   * in ms. @default {10000}
   */
  leaseMs?: number;
  /** How long an announcement waits for the other isolates' counts, in ms. @default {1000} */
  tallyMs?: number;
  /**
   * Keep holding the store after {@link IsolateBackplane.close}, until
   * {@link IsolateBackplane.releaseStore} (a process that exits once all
   * its isolates have finished). @default {false}
   */
  holdStore?: boolean;
  /** Receives one record per event of the group (start, lost isolates). */
  log?: (record: LogRecord) => void;
}

/** Default lease, in ms. */
export const DEFAULT_ISOLATE_LEASE_MS = 10_000;

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
  readonly #bus: IsolateBus;
  readonly #requests: IsolateRequests;
  readonly #lease: IsolateLease;
  readonly #claims: KvClaims;
  readonly #tallies: Tallies;
  readonly #remote: RemoteEvents;
  readonly #log: (record: LogRecord) => void;
  #lost: LostHandler | undefined;
  #closed = false;

  private constructor(
    options: IsolateBackplaneOptions,
    kv: Deno.Kv,
    store: IsolateStore | undefined,
    channel: string,
  ) {
    this.nodeId = options.id ?? randomId();
    this.leaseMs = options.leaseMs ?? DEFAULT_ISOLATE_LEASE_MS;
    this.path = options.kv ? undefined : options.path ?? store?.path;
    this.#kv = kv;
    this.#ownsKv = options.kv === undefined;
    this.#store = store;
    this.#holdStore = options.holdStore ?? false;
    const log = this.#log = options.log ?? (() => {});
    const keys = new StoreKeys(options.prefix ?? ["roomcast"]);
    const bus = this.#bus = new IsolateBus({
      channel,
      id: this.nodeId,
      log,
      ...(options.ports ? { ports: options.ports } : {}),
    });
    const requests = this.#requests = new IsolateRequests(bus);
    const lease = this.#lease = new IsolateLease({
      kv,
      keys,
      id: this.nodeId,
      leaseMs: this.leaseMs,
      log,
      reaped: (dead, members) => this.#remote.reaped(dead, members),
      declaredLost: () => this.#rejoin(),
    });
    const peers = this.link = new IsolatePeers({
      nodeId: this.nodeId,
      bus,
      requests,
      lease,
    });
    this.#remote = new RemoteEvents({ nodeId: this.nodeId, bus, peers, log });
    this.#claims = new KvClaims({
      kv,
      keys,
      id: this.nodeId,
      alive: (isolate) => this.#lease.alive(isolate),
      gone: (isolate) => this.#lease.gone(isolate),
      failed: (what, e) =>
        log({ event: "isolates", state: "store_error", what, error: text(e) }),
    });
    this.#tallies = new Tallies({
      timeoutMs: options.tallyMs ?? 1000,
      rooms: async (room) => {
        if (room === null) return (await this.#claims.rooms()).length;
        const roster = await this.#claims.roster(room, 1);
        return roster.total > 0 ? 1 : 0;
      },
    });
    bus.on("tally", (p, from) => {
      const { id, delivered } = p as { id: number; delivered: number };
      this.#tallies.answer(id, from, delivered);
    });
    bus.on("hello", (_, from) => {
      this.#lease.seen(from);
      bus.send(from, "hi", null);
    });
    bus.on("hi", (_, from) => this.#lease.seen(from));
  }

  /**
   * Open the shared store, register this isolate and join the others.
   *
   * @param options Store, ids, lease and log.
   * @returns The backplane, registered.
   * @throws {Error} `Cannot share rooms between isolates: ...` without
   *   `--unstable-kv`, or when the store cannot be opened.
   */
  static async connect(
    options: IsolateBackplaneOptions = {},
  ): Promise<IsolateBackplane> {
    if (options.kv === undefined && typeof Deno.openKv !== "function") {
      throw new Error(
        "Cannot share rooms between isolates: Deno KV needs the --unstable-kv flag",
      );
    }
    let store: IsolateStore | undefined;
    let kv = options.kv;
    try {
      if (kv === undefined && options.path === undefined) {
        store = await openIsolateStore();
      }
      const path = options.path ?? store?.path;
      kv ??= await retrying(() => Deno.openKv(path));
    } catch (e) {
      await store?.release();
      throw new Error(`Cannot share rooms between isolates: ${text(e)}`, {
        cause: e,
      });
    }
    const channel = options.channel ?? store?.channel ??
      `roomcast:isolates:${options.path ?? "kv"}`;
    const bp = new IsolateBackplane(options, kv, store, channel);
    await bp.#lease.start();
    bp.#bus.send("*", "hello", null);
    bp.#log({
      event: "isolates",
      state: "joined",
      isolate: bp.nodeId,
      ...(bp.path ? { store: bp.path } : {}),
      lease_ms: bp.leaseMs,
    });
    return bp;
  }

  /** Claim a name for this isolate, atomically across every isolate. */
  claim(room: string, key: string, name: string): boolean | Promise<boolean> {
    return this.#claims.claim(room, key, name);
  }

  /** Give a name back. */
  release(room: string, key: string): void {
    this.#claims.release(room, key);
  }

  /** Send an event to every other isolate, as its frame, at the turn's end. */
  publish(event: RoomEvent, out?: Outgoing): void {
    if (this.#closed) return;
    const frame = out?.binary() ?? encodeFrame(event);
    const tally = event.type === "announcement"
      ? this.#tallies.open(event, this.#lease.peers())
      : undefined;
    this.#bus.publish(frame, tally);
  }

  /** What an announcement just published reached on the other isolates. */
  tally(event: RoomEvent): Promise<Reach> {
    return this.#tallies.result(event);
  }

  /** Register the chat's receiver and lost-name handler. */
  listen(receiver: Receiver, lost?: LostHandler): void {
    this.#remote.receiver = receiver;
    this.#lost = lost;
  }

  /** Member names of a room, on every isolate. */
  members(room: string): Promise<readonly string[]> {
    return this.#claims.members(room);
  }

  /** Up to `max` names of a room and its count, on every isolate. */
  roster(room: string, max: number): Promise<Roster> {
    return this.#claims.roster(room, max);
  }

  /** Rooms and member counts, on every isolate. */
  async rooms(): Promise<readonly RoomInfo[]> {
    const rooms = await this.#claims.rooms();
    return rooms.sort((
      a,
      b,
    ) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
  }

  /**
   * Leave: give back every name this isolate holds, end its lease, close
   * the channel and the store (the last isolate out removes its directory).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = this.#remote.closed = true;
    const claims = this.#claims;
    await within(claims.settled(), 2000);
    await within(
      Promise.all(claims.entries().map((c) => claims.release(c.room, c.key))),
      3000,
    );
    await within(this.#lease.stop().catch(() => {}), 1000);
    this.#tallies.close();
    this.#requests.close();
    await this.#bus.close();
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

  /** Declared lost while alive: claim every name again. */
  async #rejoin(): Promise<void> {
    for (const claim of this.#claims.entries()) {
      let won = false;
      try {
        won = await this.#claims.reclaim(claim);
      } catch (e) {
        this.#log({ event: "isolates", state: "store_error", error: text(e) });
      }
      if (won) {
        this.publish({ type: "joined", room: claim.room, name: claim.name });
      } else {
        this.#claims.drop(claim);
        this.#lost?.(claim.room, claim.key);
      }
    }
  }
}

/** Twelve random hex digits. */
function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Wait for a promise, at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}
