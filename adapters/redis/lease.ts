/**
 * A node's place in a Redis cluster: whether it is online, its lease and
 * the renewals that keep it, the re-sync of its names after an outage, and
 * the reaping of nodes whose lease ran out. Used by backplane.ts.
 *
 * @module
 */

import type { Redis } from "npm:ioredis@6";
import type { LostHandler } from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import { LeaveReason } from "../../core/events.ts";
import type { Claim, Ledger } from "./ledger.ts";
import type { ScriptCommands } from "./scripts.ts";
import { errorText } from "./wire.ts";

/** Names re-claimed per script call after an outage. */
const SYNC_BATCH = 500;

/**
 * After an outage, names taken while Redis was away are re-claimed this
 * long after the others, in ms.
 */
export const LATE_CLAIM_MS = 1500;

/** What a {@link NodeLease} works with. */
export interface NodeLeaseOptions {
  /** The command connection. */
  cmd: Redis & ScriptCommands;
  /** Key prefix. */
  prefix: string;
  /** This node's id. */
  nodeId: string;
  /** The lease, in ms. */
  leaseMs: number;
  /** This node's claims. */
  ledger: Ledger;
  /** The Redis URL without password, for logs. */
  url: string;
  /** Log outages even before the node was ever online. */
  optional: boolean;
  /** Log sink. */
  log: (record: LogRecord) => void;
}

/**
 * Online when connected and registered. Renews every quarter lease for
 * three quarters of one (a node that stalls for half a lease is not yet
 * lost), and on each renewal reaps nodes whose lease ran out, once it has
 * itself been back for a lease (so that nodes reconnecting after an outage
 * are not reaped for it).
 */
export class NodeLease {
  /** Told about names lost to other nodes during re-syncs. */
  lost: LostHandler | undefined;
  readonly #o: NodeLeaseOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lateTimer: ReturnType<typeof setTimeout> | undefined;
  #online = false;
  #onlineSince = 0;
  #everOnline = false;
  #warned = false;
  #lastError: string | undefined;
  #syncing = false;
  #syncAgain = false;
  #stopped = false;

  /** @param options Connection, ids, lease, ledger and log. */
  constructor(options: NodeLeaseOptions) {
    this.#o = options;
    const cmd = options.cmd;
    cmd.on("error", (e: Error) => this.#outage(e));
    cmd.on("close", () => this.#outage());
    cmd.on("ready", () => this.sync());
  }

  /** True while connected to Redis and registered in the cluster. */
  get online(): boolean {
    return this.#online;
  }

  /** The last connection error, for a failed start. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Start renewing. */
  start(): void {
    const every = Math.max(250, this.#o.leaseMs / 4);
    this.#timer = setInterval(() => this.#tick(), every);
  }

  /** Stop renewing and re-syncing; the node is offline from now on. */
  stop(): void {
    this.#stopped = true;
    this.#online = false;
    clearInterval(this.#timer);
    clearTimeout(this.#lateTimer);
  }

  /** Log the first trouble of an outage (a failed start throws instead). */
  warn(error?: Error): void {
    if (error) this.#lastError = errorText(error);
    if (this.#warned || this.#stopped) return;
    if (!this.#everOnline && !this.#o.optional) return;
    this.#warned = true;
    this.#o.log({
      event: "cluster",
      state: "unreachable",
      redis: this.#o.url,
      error: error ? errorText(error) : "connection closed",
      detail: "serving this node's members alone; reconnecting",
    });
  }

  #outage(error?: Error): void {
    if (this.#stopped) return;
    this.#online = false;
    this.warn(error);
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
  sync(): void {
    const { cmd, prefix, nodeId, ledger } = this.#o;
    if (this.#stopped || cmd.status !== "ready") return;
    if (this.#syncing) {
      this.#syncAgain = true;
      return;
    }
    this.#syncing = true;
    const entries = ledger.entries();
    const late = entries.filter((e) => !e.announced);
    const begin = cmd.rcSyncBegin(prefix, nodeId, this.#ttl());
    const early = this.#reclaim(entries.filter((e) => e.announced));
    const wasWarned = this.#warned;
    this.#online = this.#everOnline = true;
    this.#onlineSince = performance.now();
    const rest = late.length === 0
      ? this.#finish([])
      : new Promise((resolve, reject) => {
        this.#lateTimer = setTimeout(() => {
          this.#lateTimer = undefined;
          if (!this.#online) return reject(new Error("offline"));
          resolve(this.#finish(late.filter((e) => ledger.holds(e))));
        }, LATE_CLAIM_MS);
      });
    Promise.all([begin, early, rest]).then(([reaped]) => {
      this.#warned = false;
      if (wasWarned || reaped === 1) {
        this.#o.log({
          event: "cluster",
          state: "rejoined",
          node: nodeId,
          members: entries.length,
          declared_lost: reaped === 1,
        });
      }
    }, () => {}).finally(() => {
      this.#syncing = false;
      if (this.#syncAgain) {
        this.#syncAgain = false;
        this.sync();
      }
    });
  }

  /** Claim the late names, then free what this node no longer holds. */
  #finish(late: Claim[]): Promise<unknown> {
    const { cmd, prefix, nodeId, ledger } = this.#o;
    const claimed = this.#reclaim(late);
    const leaving = ledger.takeLeaving();
    const args = leaving.flatMap((l) => [
      l.room,
      l.key,
      l.name,
      LeaveReason[l.reason],
    ]);
    const end = cmd.rcSyncEnd(prefix, nodeId, ...args).catch((e) => {
      ledger.restoreLeaving(leaving);
      throw e;
    });
    return Promise.all([claimed, end]);
  }

  /** Re-claim names in batches; a name another node holds is lost. */
  #reclaim(claims: Claim[]): Promise<unknown> {
    const { cmd, prefix, nodeId, ledger } = this.#o;
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
        cmd.rcSyncClaims(prefix, nodeId, ...args).then((results) =>
          part.forEach((c, j) => {
            if (results[j] === 1) ledger.confirm(c);
            else if (ledger.remove(c)) this.lost?.(c.room, c.key);
          })
        ),
      );
    }
    return Promise.all(batches);
  }

  /** How long a renewal keeps this node alive: 3/4 of the lease. */
  #ttl(): number {
    return Math.round(this.#o.leaseMs * 3 / 4);
  }

  /** Renew the lease; re-sync if this node was dropped; reap lost nodes. */
  #tick(): void {
    if (!this.#online) return;
    const { cmd, prefix, nodeId, leaseMs, log } = this.#o;
    cmd.rcRenew(prefix, nodeId, this.#ttl()).then(([live, expired]) => {
      if (live !== 1) return this.sync();
      if (performance.now() - this.#onlineSince < leaseMs) return;
      for (const dead of expired) {
        if (dead === nodeId) continue;
        cmd.rcReap(prefix, nodeId, dead).then((n) => {
          if (n < 0) return; // another node was first
          log({ event: "cluster", state: "node_lost", node: dead, members: n });
        }, () => {});
      }
    }, () => {});
  }
}
