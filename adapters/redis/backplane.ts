/**
 * The Redis backplane: several roomcast nodes act as one chat through one
 * Redis. Names are claimed atomically in Redis and held by a per-node lease;
 * events travel on one pub/sub channel, published once per event as a small
 * envelope around the binary frame. While Redis cannot be reached a node
 * serves its own members alone and reconciles when Redis is back.
 * docs/scaling.md describes the guarantees, keys and channels.
 *
 * @module
 */

import type { Buffer } from "node:buffer";
import type { Redis } from "ioredis";
import type {
  Backplane,
  LostHandler,
  Receiver,
  RoomInfo,
  Roster,
} from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { decodeFrame, encodeFrame } from "../../core/codec.ts";
import type { RoomEvent } from "../../core/events.ts";
import { nameKey } from "../../core/names.ts";
import { Outgoing } from "../../core/peer.ts";
import { NodeLease } from "./lease.ts";
import { Ledger } from "./ledger.ts";
import type { ScriptCommands } from "./scripts.ts";
import {
  createClients,
  defaultNodeId,
  envelopeHead,
  errorText,
  hangUp,
  open,
  redact,
  seal,
  withTimeout,
} from "./wire.ts";

/** Options of {@link RedisBackplane.connect}. */
export interface RedisBackplaneOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /**
   * A node whose lease is not renewed for this long is declared lost and
   * its members' names are freed, in ms. @default {10000}
   */
  leaseMs?: number;
  /** Prefix of every key and channel. @default {"roomcast:"} */
  prefix?: string;
  /** This node's id. @default {"HOST-PID-RANDOM"} */
  nodeId?: string;
  /** Start even when Redis cannot be reached (serve alone until it can). @default {false} */
  optional?: boolean;
  /** Receives one record per cluster event (outage, reconnect, lost node). */
  log?: (record: LogRecord) => void;
}

/** Default lease, in ms. */
export const DEFAULT_LEASE_MS = 10_000;
/** Shortest lease allowed, in ms. */
export const MIN_LEASE_MS = 1000;
/**
 * Most bytes of events waiting for Redis before messages stop going to the
 * cluster (see {@link RedisBackplane.publish}).
 */
export const MAX_PENDING_BYTES = 16 << 20;
/** Largest frame accepted from another node. */
const MAX_REMOTE_FRAME = 1 << 20;

/**
 * Redis as the {@link Backplane}: claims, leases, events between nodes.
 *
 * @example
 * ```ts ignore
 * import { serve } from "../../mod.ts";
 * import { RedisBackplane } from "./backplane.ts";
 * const backplane = await RedisBackplane.connect({ url: "redis://127.0.0.1:6379" });
 * const server = await serve({ backplane, port: 0, transports: ["tcp"] });
 * ```
 */
export class RedisBackplane implements Backplane {
  /** This node's id, unique in the cluster. */
  readonly nodeId: string;
  /** The lease, in ms. */
  readonly leaseMs: number;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #cmd: Redis & ScriptCommands;
  readonly #sub: Redis;
  readonly #log: (record: LogRecord) => void;
  readonly #head: Buffer;
  readonly #ledger = new Ledger();
  readonly #lease: NodeLease;
  readonly #url: string;
  #receiver: Receiver | undefined;
  #badMessages = 0;
  #closed = false;
  /** Bytes published and not yet acknowledged by Redis. */
  #pending = 0;
  #overflowing: ReturnType<typeof setInterval> | undefined;
  #dropped = 0;

  private constructor(options: RedisBackplaneOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!(this.leaseMs >= MIN_LEASE_MS)) {
      throw new RangeError(
        `Cannot use a lease of ${this.leaseMs} ms: the shortest is ${MIN_LEASE_MS}`,
      );
    }
    this.nodeId = options.nodeId ?? defaultNodeId();
    this.#head = envelopeHead(this.nodeId);
    this.#prefix = options.prefix ?? "roomcast:";
    this.#channel = `${this.#prefix}events`;
    this.#log = options.log ?? (() => {});
    this.#url = redact(options.url);
    const { cmd, sub } = createClients(options.url, this.nodeId);
    this.#cmd = cmd;
    this.#sub = sub;
    // The command connection decides whether this node is online; either
    // connection's trouble is logged once per outage.
    this.#lease = new NodeLease({
      cmd,
      prefix: this.#prefix,
      nodeId: this.nodeId,
      leaseMs: this.leaseMs,
      ledger: this.#ledger,
      url: this.#url,
      optional: options.optional ?? false,
      log: this.#log,
    });
    sub.on("error", (e: Error) => this.#lease.warn(e));
    sub.on(
      "messageBuffer",
      (_channel: Uint8Array, message: Uint8Array) => this.#receive(message),
    );
  }

  /**
   * Connect to Redis and join the cluster.
   *
   * @param options URL, lease, prefix, node id, log.
   * @returns The backplane, registered in the cluster (or, with `optional`,
   *   serving alone until Redis answers).
   * @throws {Error} `Cannot connect to Redis at URL: detail` when Redis
   *   cannot be reached and `optional` is not set.
   */
  static async connect(
    options: RedisBackplaneOptions,
  ): Promise<RedisBackplane> {
    const bp = new RedisBackplane(options);
    const connected = Promise.all([bp.#cmd.connect(), bp.#sub.connect()]);
    // Queued until the subscriber is connected.
    const subscribed = bp.#sub.subscribe(bp.#channel).catch(() => {});
    try {
      await connected;
      await subscribed;
    } catch (e) {
      if (!options.optional) {
        await bp.#hangUp();
        throw new Error(
          `Cannot connect to Redis at ${bp.#url}: ${
            bp.#lease.lastError ?? errorText(e)
          }`,
        );
      }
    }
    bp.#lease.start();
    bp.#log({
      event: "cluster",
      state: bp.online ? "joined" : "alone",
      node: bp.nodeId,
      redis: bp.#url,
      lease_ms: bp.leaseMs,
    });
    return bp;
  }

  /** True while this node is connected to Redis and in the cluster. */
  get online(): boolean {
    return this.#lease.online;
  }
  /** Claim a name: in Redis when online, else locally until Redis is back. */
  claim(room: string, key: string, name: string): boolean | Promise<boolean> {
    const entry = this.#ledger.add(room, key, name);
    if (entry === undefined) return false;
    if (!this.online) return true;
    return this.#cmd.rcClaim(this.#prefix, this.nodeId, room, key, name).then(
      (result) => {
        if (result === 0) {
          this.#ledger.remove(entry);
          return false;
        }
        if (result === -1) queueMicrotask(() => this.#lease.sync());
        return true;
      },
      // Redis went away mid-claim: decided locally, reconciled later.
      () => true,
    );
  }

  /** Give up a claim. */
  release(room: string, key: string): void {
    const entry = this.#ledger.release(room, key);
    if (entry === undefined || !this.online) return;
    this.#cmd.rcRelease(this.#prefix, this.nodeId, room, key).catch(() => {});
  }

  /**
   * Publish an event once, as an envelope around its binary frame. While
   * more than {@link MAX_PENDING_BYTES} wait for Redis, messages and
   * announcements reach this node's members only (joins and leaves always
   * go out).
   */
  publish(event: RoomEvent, out?: Outgoing): void {
    const key = event.type === "joined" || event.type === "left"
      ? nameKey(event.name)
      : undefined;
    let send = this.online;
    if (send && key === undefined && this.#pending > MAX_PENDING_BYTES) {
      send = false;
      this.#overflow();
    }
    if (key !== undefined) this.#ledger.published(key, event, send);
    if (!send) return;
    const envelope = seal(this.#head, out?.binary() ?? encodeFrame(event));
    const size = envelope.length;
    this.#pending += size;
    this.#cmd.publish(this.#channel, envelope).then(() => {
      this.#pending -= size;
      if (key !== undefined) this.#ledger.delivered(key, event);
    }, () => {
      this.#pending -= size;
      if (key !== undefined) this.#ledger.published(key, event, false);
    });
  }

  /** Log the first event dropped for the cluster, once per backlog. */
  #overflow(): void {
    this.#dropped++;
    if (this.#overflowing !== undefined) return;
    this.#log({
      event: "cluster",
      state: "backlog_full",
      pending_bytes: this.#pending,
      detail: "messages reach this node's members only until Redis catches up",
    });
    this.#overflowing = setInterval(() => {
      if (this.#pending > MAX_PENDING_BYTES / 2) return;
      clearInterval(this.#overflowing);
      this.#overflowing = undefined;
      this.#log({
        event: "cluster",
        state: "backlog_drained",
        dropped: this.#dropped,
      });
      this.#dropped = 0;
    }, 100);
  }

  /** Register the chat's receiver and lost-name handler. */
  listen(receiver: Receiver, lost?: LostHandler): void {
    this.#receiver = receiver;
    this.#lease.lost = lost;
  }

  /** Member names of a room, cluster-wide (this node's alone while offline). */
  members(room: string): readonly string[] | Promise<readonly string[]> {
    if (!this.online) return this.#ledger.names(room);
    return this.#cmd.hvals(`${this.#prefix}claims:${room}`).then(
      (values) => values.map(nameOf),
      () => this.#ledger.names(room),
    );
  }

  /** Up to `max` names of a room and its count, cluster-wide. */
  roster(room: string, max: number): Roster | Promise<Roster> {
    const local = (): Roster => {
      const names = this.#ledger.names(room);
      return { names: names.slice(0, max), total: names.length };
    };
    if (!this.online) return local();
    return this.#cmd.rcRoster(this.#prefix, this.nodeId, room, max).then(
      ([total, values]) => ({ names: values.map(nameOf), total }),
      local,
    );
  }

  /** Rooms and member counts, cluster-wide (this node's alone while offline). */
  rooms(): readonly RoomInfo[] | Promise<readonly RoomInfo[]> {
    if (!this.online) return this.#ledger.rooms();
    return this.#cmd.hgetall(`${this.#prefix}rooms`).then(
      (all) =>
        Object.entries(all)
          .map(([room, n]) => ({ room, members: Number(n) }))
          .filter((r) => r.members > 0)
          .sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0)),
      () => this.#ledger.rooms(),
    );
  }

  /** Leave the cluster: free this node's names and close both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const online = this.online;
    if (online) {
      this.#lease.stop();
      const leave = this.#cmd.rcLeave(this.#prefix, this.nodeId)
        .then(() => this.#cmd.quit());
      await withTimeout(leave.catch(() => {}), 2000);
    }
    await this.#hangUp();
    this.#log({ event: "cluster", state: "left", node: this.nodeId });
  }

  async #hangUp(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#overflowing);
    this.#lease.stop();
    await Promise.all([hangUp(this.#cmd), hangUp(this.#sub)]);
  }

  #receive(message: Uint8Array): void {
    if (this.#closed || this.#receiver === undefined) return;
    const frame = open(message, this.#head);
    if (frame === null) return; // our own event, echoed
    if (typeof frame === "string") return this.#bad(frame);
    let event;
    try {
      event = decodeFrame(frame, { maxFrameSize: MAX_REMOTE_FRAME });
    } catch (e) {
      return this.#bad(errorText(e));
    }
    switch (event.type) {
      case "left":
        if (event.reason === "unknown") {
          // A newer node's reason: the member left all the same. Binary
          // members get the frame as it came; the rest read `disconnect`.
          const { reasonNumber: _, ...left } = event;
          const known = { ...left, reason: "disconnect" } as const;
          this.#receiver(known, new Outgoing(known, frame));
          return;
        }
        this.#receiver(event, new Outgoing(event, frame));
        return;
      case "joined":
      case "message":
      case "announcement":
        this.#receiver(event, new Outgoing(event, frame));
        return;
      default:
        this.#bad(`frame type ${event.type} is not a room event`);
    }
  }

  #bad(detail: string): void {
    if (this.#badMessages++ > 0) return;
    this.#log({
      event: "cluster",
      state: "bad_message",
      detail,
      channel: this.#channel,
    });
  }
}

/** The display name in a claim value `NODE LF name`. */
function nameOf(value: string): string {
  return value.slice(value.indexOf("\n") + 1);
}
