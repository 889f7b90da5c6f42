/**
 * An isolate's lease in the shared store, as a Redis node has one
 * (adapters/redis/lease.ts): renewed every quarter lease for three
 * quarters of one, so an isolate that stalls for half a lease is not yet
 * lost. On each renewal an isolate that has been up for a lease also looks
 * for leases that ran out and reaps each: one atomic commit deletes the
 * lease (only the first reaper's commit succeeds), then each claim the
 * dead isolate still held is freed and its member's leave is reported
 * (reason `node_lost`), once. An isolate that finds its own lease gone was
 * declared lost while alive (a long stall): it registers again and its
 * backplane claims its names again.
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import type { ClaimValue, LeaseValue, StoreKeys } from "./keys.ts";
import { MINUS_ONE } from "./keys.ts";
import { retrying } from "./kv_retry.ts";

/** How long the mark of a reaped isolate is kept, in ms. */
const LOST_MARK_MS = 24 * 3600_000;

/** A member of a reaped isolate. */
export interface LostMember {
  /** Canonical room. */
  readonly room: string;
  /** Display name. */
  readonly name: string;
}

/** What an {@link IsolateLease} works with. */
export interface IsolateLeaseOptions {
  /** The shared store. */
  kv: Deno.Kv;
  /** Its keys. */
  keys: StoreKeys;
  /** This isolate's id. */
  id: string;
  /** The lease, in ms. */
  leaseMs: number;
  /** Log sink. */
  log: (record: LogRecord) => void;
  /** An isolate was reaped by this one: its members, now gone. */
  reaped: (dead: string, members: LostMember[]) => void;
  /** This isolate was declared lost and has registered again. */
  declaredLost: () => void;
}

/** This isolate's lease, and what it knows of the others'. */
export class IsolateLease {
  readonly #o: IsolateLeaseOptions;
  /** Lease expiry by isolate, from the last scan (and hellos). */
  readonly #expires = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #since = 0;
  #busy = false;
  #stopped = false;

  /** @param options Store, keys, id, lease, log and what to tell. */
  constructor(options: IsolateLeaseOptions) {
    this.#o = options;
  }

  /** Register, then renew (and reap) every quarter lease. */
  async start(): Promise<void> {
    await this.#register();
    this.#since = Date.now();
    const every = Math.max(250, this.#o.leaseMs / 4);
    this.#timer = setInterval(() => this.#tick(), every);
  }

  /** Whether an isolate's lease is running, read from the store. */
  async alive(isolate: string): Promise<boolean> {
    const { kv, keys } = this.#o;
    const lease = await kv.get<LeaseValue>(keys.lease(isolate));
    const expires = lease.value?.expires;
    if (expires === undefined) {
      this.#expires.delete(isolate);
      return false;
    }
    this.#expires.set(isolate, expires);
    return expires > Date.now();
  }

  /**
   * The other isolates whose lease runs now, read from the store (and
   * counted alive from now on, as after a scan).
   */
  async others(): Promise<string[]> {
    const { kv, keys, id } = this.#o;
    return await retrying(async () => {
      const ids: string[] = [];
      for await (const e of kv.list<LeaseValue>({ prefix: keys.leases() })) {
        const isolate = String(e.key.at(-1));
        if (isolate === id || e.value.expires <= Date.now()) continue;
        this.#expires.set(isolate, e.value.expires);
        ids.push(isolate);
      }
      return ids;
    });
  }

  /** Whether the last scan found an isolate's lease run out. */
  gone(isolate: string): boolean {
    const expires = this.#expires.get(isolate);
    return expires !== undefined && expires <= Date.now();
  }

  /** The other isolates alive at the last scan (or heard from since). */
  peers(): string[] {
    const now = Date.now();
    return [...this.#expires].filter(([id, exp]) =>
      id !== this.#o.id && exp > now
    ).map(([id]) => id);
  }

  /** An isolate said hello: count it alive for a lease. */
  seen(isolate: string): void {
    const known = this.#expires.get(isolate) ?? 0;
    this.#expires.set(isolate, Math.max(known, Date.now() + this.#o.leaseMs));
  }

  /** Stop renewing and delete this isolate's lease. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    const { kv, keys, id } = this.#o;
    await retrying(() => kv.delete(keys.lease(id)));
  }

  async #register(): Promise<void> {
    const { kv, keys, id, leaseMs } = this.#o;
    const expires = Date.now() + Math.round(leaseMs * 3 / 4);
    await retrying(() =>
      kv.atomic().set(keys.lease(id), { expires } satisfies LeaseValue)
        .delete(keys.lost(id)).commit()
    );
    this.#expires.set(id, expires);
  }

  async #tick(): Promise<void> {
    if (this.#busy || this.#stopped) return;
    this.#busy = true;
    try {
      await this.#renew();
      if (!this.#stopped && Date.now() - this.#since >= this.#o.leaseMs) {
        await this.#reap();
      }
    } catch (e) {
      this.#o.log({
        event: "isolates",
        state: "store_error",
        error: e instanceof Error ? e.message : String(e),
      });
    } finally {
      this.#busy = false;
    }
  }

  /** Push the lease ahead; notice when it was taken away. */
  async #renew(): Promise<void> {
    const { kv, keys, id, leaseMs, log } = this.#o;
    const renewed = await retrying(async () => {
      const [lease, lost] = await kv.getMany<[LeaseValue, string]>([
        keys.lease(id),
        keys.lost(id),
      ]);
      if (lease.value === null || lost.value !== null) return false;
      const expires = Date.now() + Math.round(leaseMs * 3 / 4);
      const done = await kv.atomic().check(lease)
        .set(keys.lease(id), { expires } satisfies LeaseValue).commit();
      if (done.ok) this.#expires.set(id, expires);
      return done.ok;
    });
    if (renewed || this.#stopped) return;
    log({ event: "isolates", state: "declared_lost", isolate: id });
    await this.#register();
    this.#since = Date.now();
    this.#o.declaredLost();
  }

  /** Reap every isolate whose lease ran out. */
  async #reap(): Promise<void> {
    const { kv, keys, id, log } = this.#o;
    const expired: Deno.KvEntry<LeaseValue>[] = await retrying(async () => {
      const list: Deno.KvEntry<LeaseValue>[] = [];
      for await (const e of kv.list<LeaseValue>({ prefix: keys.leases() })) {
        const isolate = String(e.key.at(-1));
        this.#expires.set(isolate, e.value.expires);
        if (isolate !== id && e.value.expires <= Date.now()) list.push(e);
      }
      return list;
    });
    for (const lease of expired) {
      const dead = String(lease.key.at(-1));
      const won = await retrying(() =>
        kv.atomic().check(lease).delete(lease.key)
          .set(keys.lost(dead), id, { expireIn: LOST_MARK_MS }).commit()
      );
      this.#expires.delete(dead);
      if (!won.ok) continue; // another isolate was first
      const members = await this.#free(dead);
      log({
        event: "isolates",
        state: "node_lost",
        isolate: dead,
        members: members.length,
      });
      this.#o.reaped(dead, members);
    }
  }

  /** Free the names a dead isolate still held. */
  async #free(dead: string): Promise<LostMember[]> {
    const { kv, keys } = this.#o;
    const members: LostMember[] = [];
    const held = await retrying(async () => {
      const list: Deno.KvEntry<string>[] = [];
      for await (const e of kv.list<string>({ prefix: keys.heldBy(dead) })) {
        list.push(e);
      }
      return list;
    });
    for (const h of held) {
      const room = String(h.key.at(-2)), key = String(h.key.at(-1));
      const freed = await retrying(async () => {
        for (let round = 0; round < 100; round++) {
          const claim = await kv.get<ClaimValue>(keys.claim(room, key));
          if (claim.value?.isolate !== dead) break;
          const done = await kv.atomic().check(claim).delete(claim.key)
            .delete(h.key).sum(keys.count(room), MINUS_ONE).commit();
          if (done.ok) return true;
        }
        await kv.delete(h.key);
        return false;
      });
      if (freed) members.push({ room, name: h.value });
    }
    return members;
  }
}
