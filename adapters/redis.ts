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

import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import type {
  Backplane,
  LostHandler,
  Receiver,
  RoomInfo,
  Roster,
} from "../core/backplane.ts";
import type { LogRecord } from "../core/chat.ts";
import { decodeFrame, encodeFrame } from "../core/codec.ts";
import { LeaveReason, type RoomEvent } from "../core/events.ts";
import { foldName } from "../core/names.ts";
import { Outgoing } from "../core/peer.ts";
import { type Claim, Ledger } from "./redis_ledger.ts";
import {
  ENVELOPE_VERSION,
  type ScriptCommands,
  SCRIPTS,
  scriptSource,
} from "./redis_scripts.ts";

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
/** Names re-claimed per script call after an outage. */
const SYNC_BATCH = 500;
/**
 * After an outage, names taken while Redis was away are re-claimed this
 * long after the others, in ms (see `#sync`).
 */
export const LATE_CLAIM_MS = 1500;
/** How long ioredis waits for a socket to close after a disconnect, in ms. */
const DISCONNECT_MS = 100;
/** Largest frame accepted from another node. */
const MAX_REMOTE_FRAME = 1 << 20;

/**
 * Redis as the {@link Backplane}: claims, leases, events between nodes.
 *
 * @example
 * ```ts ignore
 * import { serve } from "../mod.ts";
 * import { RedisBackplane } from "./redis.ts";
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
  readonly #url: string;
  #receiver: Receiver | undefined;
  #lost: LostHandler | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lateTimer: ReturnType<typeof setTimeout> | undefined;
  #online = false;
  #onlineSince = 0;
  #warned = false;
  #everOnline = false;
  readonly #optional: boolean;
  #lastError: string | undefined;
  #syncing = false;
  #syncAgain = false;
  #badMessages = 0;
  #closed = false;

  private constructor(options: RedisBackplaneOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!(this.leaseMs >= MIN_LEASE_MS)) {
      throw new RangeError(
        `Cannot use a lease of ${this.leaseMs} ms: the shortest is ${MIN_LEASE_MS}`,
      );
    }
    this.nodeId = options.nodeId ?? defaultNodeId();
    const id = new TextEncoder().encode(this.nodeId);
    if (id.length === 0 || id.length > 255 || this.nodeId.includes("\n")) {
      throw new RangeError(
        `Cannot use node id "${this.nodeId}": 1 to 255 bytes, no line breaks`,
      );
    }
    this.#head = Buffer.concat([
      Buffer.from([ENVELOPE_VERSION, id.length]),
      id,
    ]);
    this.#prefix = options.prefix ?? "roomcast:";
    this.#channel = `${this.#prefix}events`;
    this.#log = options.log ?? (() => {});
    this.#optional = options.optional ?? false;
    this.#url = redact(options.url);
    const settings = {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectionName: `roomcast:${this.nodeId}`,
      disconnectTimeout: DISCONNECT_MS,
      retryStrategy: (times: number) =>
        Math.min(50 * 2 ** Math.min(times, 5), 1000) + Math.random() * 100,
    };
    this.#cmd = new Redis(options.url, settings) as Redis & ScriptCommands;
    // The subscriber queues SUBSCRIBE until it is connected; ioredis
    // subscribes again by itself after every reconnect.
    this.#sub = new Redis(options.url, {
      ...settings,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    for (const name of Object.keys(SCRIPTS) as (keyof typeof SCRIPTS)[]) {
      this.#cmd.defineCommand(name, {
        numberOfKeys: 0,
        lua: scriptSource(name),
      });
    }
    // The command connection decides whether this node is online; either
    // connection's trouble is logged once per outage.
    this.#cmd.on("error", (e: Error) => this.#outage(e));
    this.#sub.on("error", (e: Error) => this.#warn(e));
    this.#cmd.on("close", () => this.#outage());
    this.#cmd.on("ready", () => this.#sync());
    this.#sub.on(
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
        bp.#closed = true;
        await Promise.all([hangUp(bp.#cmd), hangUp(bp.#sub)]);
        throw new Error(
          `Cannot connect to Redis at ${bp.#url}: ${
            bp.#lastError ?? errorText(e)
          }`,
        );
      }
    }
    bp.#timer = setInterval(() => bp.#tick(), Math.max(250, bp.leaseMs / 4));
    bp.#log({
      event: "cluster",
      state: bp.#online ? "joined" : "alone",
      node: bp.nodeId,
      redis: bp.#url,
      lease_ms: bp.leaseMs,
    });
    return bp;
  }

  /** True while this node is connected to Redis and in the cluster. */
  get online(): boolean {
    return this.#online;
  }

  /** Claim a name: in Redis when online, else locally until Redis is back. */
  claim(room: string, key: string, name: string): boolean | Promise<boolean> {
    const entry = this.#ledger.add(room, key, name);
    if (entry === undefined) return false;
    if (!this.#online) return true;
    return this.#cmd.rcClaim(this.#prefix, this.nodeId, room, key, name).then(
      (result) => {
        if (result === 0) {
          this.#ledger.remove(entry);
          return false;
        }
        if (result === -1) queueMicrotask(() => this.#sync());
        return true;
      },
      // Redis went away mid-claim: decided locally, reconciled later.
      () => true,
    );
  }

  /** Give up a claim. */
  release(room: string, key: string): void {
    const entry = this.#ledger.release(room, key);
    if (entry === undefined || !this.#online) return;
    this.#cmd.rcRelease(this.#prefix, this.nodeId, room, key).catch(() => {});
  }

  /** Publish an event once, as an envelope around its binary frame. */
  publish(event: RoomEvent, out?: Outgoing): void {
    const key = event.type === "joined" || event.type === "left"
      ? foldName(event.name)
      : undefined;
    if (key !== undefined) this.#ledger.published(key, event, this.#online);
    if (!this.#online) return;
    const frame = out?.binary() ?? encodeFrame(event);
    const envelope = Buffer.allocUnsafe(this.#head.length + frame.length);
    envelope.set(this.#head, 0);
    envelope.set(frame, this.#head.length);
    const sent = this.#cmd.publish(this.#channel, envelope);
    if (key === undefined) sent.catch(() => {});
    else {
      sent.then(
        () => this.#ledger.delivered(key, event),
        () => this.#ledger.published(key, event, false),
      );
    }
  }

  /** Register the chat's receiver and lost-name handler. */
  listen(receiver: Receiver, lost?: LostHandler): void {
    this.#receiver = receiver;
    this.#lost = lost;
  }

  /** Member names of a room, cluster-wide (this node's alone while offline). */
  members(room: string): readonly string[] | Promise<readonly string[]> {
    if (!this.#online) return this.#ledger.names(room);
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
    if (!this.#online) return local();
    return this.#cmd.rcRoster(this.#prefix, this.nodeId, room, max).then(
      ([total, values]) => ({ names: values.map(nameOf), total }),
      local,
    );
  }

  /** Rooms and member counts, cluster-wide (this node's alone while offline). */
  rooms(): readonly RoomInfo[] | Promise<readonly RoomInfo[]> {
    if (!this.#online) return this.#ledger.rooms();
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
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#lateTimer);
    if (this.#online) {
      this.#online = false;
      const leave = this.#cmd.rcLeave(this.#prefix, this.nodeId)
        .then(() => this.#cmd.quit());
      await withTimeout(leave.catch(() => {}), 2000);
    }
    await Promise.all([hangUp(this.#cmd), hangUp(this.#sub)]);
    this.#log({ event: "cluster", state: "left", node: this.nodeId });
  }

  #outage(error?: Error): void {
    if (this.#closed) return;
    this.#online = false;
    this.#warn(error);
  }

  /** Log the first trouble of an outage (a failed start throws instead). */
  #warn(error?: Error): void {
    if (error) this.#lastError = errorText(error);
    if (this.#warned || this.#closed) return;
    if (!this.#everOnline && !this.#optional) return;
    this.#warned = true;
    this.#log({
      event: "cluster",
      state: "unreachable",
      redis: this.#url,
      error: error ? errorText(error) : "connection closed",
      detail: "serving this node's members alone; reconnecting",
    });
  }

  /**
   * Register and re-claim every name this node holds. Names the cluster
   * knew before the outage are re-claimed at once, in one burst of scripts
   * sent together: commands that follow on the connection run after it, so
   * the node is online again as soon as the burst is sent. Names taken
   * while Redis was away are claimed {@link LATE_CLAIM_MS} later, so that
   * after a Redis restart every node's older members win their names back
   * first. Then the claims this node no longer holds are freed.
   */
  #sync(): void {
    if (this.#closed || this.#cmd.status !== "ready") return;
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = true;
    const me = this.nodeId;
    const entries = this.#ledger.entries();
    const late = entries.filter((e) => !e.announced);
    const begin = this.#cmd.rcSyncBegin(this.#prefix, me, this.#ttl());
    const early = this.#reclaim(entries.filter((e) => e.announced));
    const wasWarned = this.#warned;
    this.#online = this.#everOnline = true;
    this.#onlineSince = performance.now();
    const rest = late.length === 0 ? this.#syncEnd([]) : new Promise(
      (resolve, reject) => {
        this.#lateTimer = setTimeout(() => {
          this.#lateTimer = undefined;
          if (this.#closed || !this.#online) reject(new Error("offline"));
          else {resolve(this.#syncEnd(late.filter((e) =>
              this.#ledger.holds(e)
            )));}
        }, LATE_CLAIM_MS);
      },
    );
    Promise.all([begin, early, rest]).then(([reaped]) => {
      this.#warned = false;
      if (wasWarned || reaped === 1) {
        this.#log({
          event: "cluster",
          state: "rejoined",
          node: me,
          members: entries.length,
          declared_lost: reaped === 1,
        });
      }
    }, () => {}).finally(() => {
      this.#syncing = false;
      if (this.#syncAgain) {
        this.#syncAgain = false;
        this.#sync();
      }
    });
  }

  /** Claim the late names, then free what this node no longer holds. */
  #syncEnd(late: Claim[]): Promise<unknown> {
    const claimed = this.#reclaim(late);
    const leaving = this.#ledger.takeLeaving();
    const args = leaving.flatMap((l) => [
      l.room,
      l.key,
      l.name,
      LeaveReason[l.reason],
    ]);
    const end = this.#cmd.rcSyncEnd(this.#prefix, this.nodeId, ...args)
      .catch((e) => {
        this.#ledger.restoreLeaving(leaving);
        throw e;
      });
    return Promise.all([claimed, end]);
  }

  /** Re-claim names in batches; a name another node holds is lost. */
  #reclaim(claims: Claim[]): Promise<unknown> {
    const batches: Promise<unknown>[] = [];
    for (let i = 0; i < claims.length; i += SYNC_BATCH) {
      const part = claims.slice(i, i + SYNC_BATCH);
      const args = part.flatMap((c) => [
        c.room,
        c.key,
        c.name,
        c.announced ? 1 : 0,
      ]);
      batches.push(
        this.#cmd.rcSyncClaims(this.#prefix, this.nodeId, ...args).then(
          (results) =>
            part.forEach((c, j) => {
              if (results[j] === 1) this.#ledger.confirm(c);
              else if (this.#ledger.remove(c)) this.#lost?.(c.room, c.key);
            }),
        ),
      );
    }
    return Promise.all(batches);
  }

  /** How long a renewal keeps this node alive: 3/4 of the lease. */
  #ttl(): number {
    return Math.round(this.leaseMs * 3 / 4);
  }

  /** Renew the lease; re-sync if this node was dropped; reap lost nodes. */
  #tick(): void {
    if (!this.#online) return;
    const p = this.#prefix, me = this.nodeId;
    this.#cmd.rcRenew(p, me, this.#ttl()).then(([live, expired]) => {
      if (live !== 1) return this.#sync();
      // Just back: give the other nodes a lease to come back too.
      if (performance.now() - this.#onlineSince < this.leaseMs) return;
      for (const dead of expired) {
        if (dead === me) continue;
        this.#cmd.rcReap(p, me, dead).then((n) => {
          if (n >= 0) {
            this.#log({
              event: "cluster",
              state: "node_lost",
              node: dead,
              members: n,
            });
          }
        }, () => {});
      }
    }, () => {});
  }

  #receive(message: Uint8Array): void {
    if (this.#closed || this.#receiver === undefined) return;
    const head = this.#head;
    if (message.length < 2 || message[0] !== ENVELOPE_VERSION) {
      return this.#bad("unknown envelope version");
    }
    const start = 2 + (message[1] ?? 0);
    if (start > message.length) return this.#bad("truncated envelope");
    if (
      start === head.length &&
      Buffer.compare(head, message.subarray(0, start)) === 0
    ) {
      return; // our own event, echoed
    }
    const frame = message.slice(start);
    let event;
    try {
      event = decodeFrame(frame, { maxFrameSize: MAX_REMOTE_FRAME });
    } catch (e) {
      return this.#bad(errorText(e));
    }
    switch (event.type) {
      case "joined":
      case "left":
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

function defaultNodeId(): string {
  let host = "node";
  try {
    host = Deno.hostname().replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64);
  } catch { /* no sys permission: keep "node" */ }
  const random = crypto.getRandomValues(new Uint8Array(3));
  const hex = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${host}-${Deno.pid}-${hex}`;
}

/** The URL without its password. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return url;
  }
}

function errorText(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  // ioredis reports a refused connection as "Connection is closed."
  return message.replace(/\.$/, "");
}

/**
 * Close a connection now. ioredis gives a socket it ends a grace timer that
 * a socket already dead never clears: wait it out, so nothing outlives the
 * backplane.
 */
async function hangUp(client: Redis): Promise<void> {
  if (client.status === "end") return;
  const alive = client.status === "ready" || client.status === "connect";
  client.disconnect();
  if (!alive) await new Promise((r) => setTimeout(r, DISCONNECT_MS + 20));
}

async function withTimeout(
  promise: Promise<unknown>,
  ms: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise,
    new Promise((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
