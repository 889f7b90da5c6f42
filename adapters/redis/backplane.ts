/**
 * The Redis backplane: several roomcast nodes act as one chat through one
 * Redis. Names are claimed atomically in Redis (adapters/redis/name_claims.ts)
 * and held by a per-node lease (lease.ts); events travel on one pub/sub
 * channel, published once per event as a small envelope around the binary
 * frame (event_channel.ts); rooms' histories are Redis streams (history.ts)
 * and resumable members move between nodes on a second channel
 * (hand_over.ts). While Redis cannot be reached a node serves its own
 * members alone and reconciles when Redis is back. This file connects the
 * pieces and is the chat's {@link Backplane}. docs/scaling.md describes the
 * guarantees, keys and channels.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Redis } from "npm:ioredis@6";
import type {
  Backplane,
  HandOff,
  HandOffHandler,
  HandOverRequest,
  LostHandler,
  Receiver,
  RoomInfo,
  Roster,
} from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import type { RoomEvent } from "../../core/events.ts";
import type { HistoryStore } from "../../core/history.ts";
import type { Outgoing } from "../../core/peer.ts";
import { EventChannel } from "./event_channel.ts";
import { HandOvers } from "./hand_over.ts";
import { RedisHistory } from "./history.ts";
import { NodeLease } from "./lease.ts";
import { Ledger } from "./ledger.ts";
import { NameClaims } from "./name_claims.ts";
import type { ScriptCommands } from "./scripts.ts";
import {
  createClients,
  defaultNodeId,
  envelopeHead,
  errorText,
  hangUp,
  redact,
} from "./wire.ts";
import { within } from "../within.ts";

/** Longest a member that left waits to be told for its name's release, in ms. */
const RELEASE_WAIT_MS = 200;

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
  readonly #lease: NodeLease;
  readonly #claims: NameClaims;
  readonly #events: EventChannel;
  readonly #handOvers: HandOvers;
  readonly #resumeChannel: Buffer;
  readonly #url: string;
  /** The rooms' histories, as Redis streams (adapters/redis/history.ts). */
  readonly history: HistoryStore;
  #closed = false;

  private constructor(options: RedisBackplaneOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!(this.leaseMs >= MIN_LEASE_MS)) {
      throw new RangeError(
        `Cannot use a lease of ${this.leaseMs} ms: the shortest is ${MIN_LEASE_MS}`,
      );
    }
    this.nodeId = options.nodeId ?? defaultNodeId();
    const head = envelopeHead(this.nodeId);
    const prefix = this.#prefix = options.prefix ?? "roomcast:";
    this.#channel = `${prefix}events`;
    this.#log = options.log ?? (() => {});
    this.#url = redact(options.url);
    const { cmd, sub } = createClients(options.url, this.nodeId);
    this.#cmd = cmd;
    this.#sub = sub;
    const ledger = new Ledger();
    // The command connection decides whether this node is online; either
    // connection's trouble is logged once per outage.
    this.#lease = new NodeLease({
      cmd,
      prefix,
      nodeId: this.nodeId,
      leaseMs: this.leaseMs,
      ledger,
      url: this.#url,
      optional: options.optional ?? false,
      log: this.#log,
    });
    this.#claims = new NameClaims({
      cmd,
      prefix,
      nodeId: this.nodeId,
      ledger,
      lease: this.#lease,
    });
    this.#events = new EventChannel({
      cmd,
      channel: this.#channel,
      head,
      ledger,
      online: () => this.#lease.online,
      log: this.#log,
    });
    this.history = new RedisHistory({
      cmd,
      prefix,
      nodeId: this.nodeId,
      online: () => this.#lease.online,
    });
    this.#handOvers = new HandOvers({
      cmd,
      prefix,
      nodeId: this.nodeId,
      ledger,
      online: () => this.#lease.online,
      timeoutMs: Math.min(5000, this.leaseMs),
      publishLeft: (event) => this.#events.publish(event),
      log: this.#log,
    });
    this.#resumeChannel = Buffer.from(this.#handOvers.channel);
    sub.on("error", (e: Error) => this.#lease.warn(e));
    sub.on(
      "messageBuffer",
      (channel: Uint8Array, message: Uint8Array) => {
        if (this.#resumeChannel.equals(channel)) {
          this.#handOvers.receive(message);
        } else this.#events.receive(message);
      },
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
    const subscribed = bp.#sub.subscribe(
      bp.#channel,
      bp.#handOvers.channel,
    ).catch(() => {});
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
    return this.#claims.claim(room, key, name);
  }

  /**
   * Give up a claim. The member that left is told once Redis has the
   * release (at most {@link RELEASE_WAIT_MS} later), so that it can take
   * its name again at once on any node.
   */
  release(room: string, key: string): Promise<void> | undefined {
    const written = this.#claims.release(room, key);
    return written && within(written, RELEASE_WAIT_MS);
  }

  /**
   * Publish an event once, as an envelope around its binary frame. While
   * too much waits for Redis, messages and announcements reach this node's
   * members only (adapters/redis/event_channel.ts).
   */
  publish(event: RoomEvent, out?: Outgoing): void {
    this.#events.publish(event, out);
  }

  /** Register the chat's receiver, lost-name handler and hand-off side. */
  listen(
    receiver: Receiver,
    lost?: LostHandler,
    handOff?: HandOffHandler,
  ): void {
    this.#events.receiver = receiver;
    this.#lease.lost = lost;
    this.#handOvers.handler = handOff;
  }

  /**
   * Take over a resumable member of another node: ask it on the resume
   * channel; its claim moves here in Redis.
   */
  handOver(request: HandOverRequest): Promise<HandOff | undefined> {
    return this.#handOvers.ask(request);
  }

  /** Member names of a room, cluster-wide (this node's alone while offline). */
  members(room: string): readonly string[] | Promise<readonly string[]> {
    return this.#claims.members(room);
  }

  /** Up to `max` names of a room and its count, cluster-wide. */
  roster(room: string, max: number): Roster | Promise<Roster> {
    return this.#claims.roster(room, max);
  }

  /** Rooms and member counts, cluster-wide (this node's alone while offline). */
  rooms(): readonly RoomInfo[] | Promise<readonly RoomInfo[]> {
    return this.#claims.rooms();
  }

  /** Leave the cluster: free this node's names and close both connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const online = this.online;
    if (online) {
      this.#lease.stop();
      const leave = this.#cmd.rcLeave(this.#prefix, this.nodeId)
        .then(() => this.#cmd.quit());
      await within(leave.catch(() => {}), 2000);
    }
    await this.#hangUp();
    this.#log({ event: "cluster", state: "left", node: this.nodeId });
  }

  async #hangUp(): Promise<void> {
    this.#closed = true;
    this.#events.close();
    this.#handOvers.close();
    this.#lease.stop();
    await Promise.all([hangUp(this.#cmd), hangUp(this.#sub)]);
  }
}
