/**
 * Names held in Deno KV for the isolates of one instance: a claim is one
 * atomic commit that checks the name's entry is unchanged since it was
 * read (`atomic().check()`), so of two isolates racing for a name exactly
 * one wins. A claim records its isolate; one whose isolate's lease ran out
 * (adapters/isolates/lease.ts) is free even before it is reaped. Each
 * room keeps a member count beside its claims. An isolate's own operations
 * on one name run one after the other.
 *
 * @module
 */

import type { RoomInfo, Roster } from "../../core/backplane.ts";
import { type ClaimValue, MINUS_ONE, type StoreKeys } from "./keys.ts";
import { ClaimBatch } from "./claim_batch.ts";
import { FreshReads } from "./fresh_reads.ts";
import { retrying } from "./kv_retry.ts";

/** Read-and-commit rounds of one claim before it gives up. */
const MAX_ROUNDS = 100;

/** A name this isolate holds. */
export interface Claim {
  /** Canonical room. */
  readonly room: string;
  /** Folded name key. */
  readonly key: string;
  /** Display name. */
  readonly name: string;
}

/** What {@link KvClaims} works with. */
export interface KvClaimsOptions {
  /** The shared store. */
  kv: Deno.Kv;
  /** Its keys. */
  keys: StoreKeys;
  /** This isolate's id. */
  id: string;
  /** Whether an isolate's lease is still running (read from the store). */
  alive: (isolate: string) => Promise<boolean>;
  /** Whether an isolate is known to be gone (from the last lease scan). */
  gone: (isolate: string) => boolean;
  /** Told when a release could not be written. */
  failed: (what: string, error: unknown) => void;
}

/** Claims on names, in the shared store, and this isolate's own. */
export class KvClaims {
  readonly #o: KvClaimsOptions;
  readonly #mine = new Map<string, Claim>();
  readonly #chains = new Map<string, Promise<unknown>>();
  // A room's roster, read once for the joins that ask at the same time.
  readonly #rosters = new FreshReads<Roster>();
  readonly #names = new FreshReads<readonly string[]>();
  readonly #free: ClaimBatch;

  /** @param options Store, keys, id and the lease's view of who is alive. */
  constructor(options: KvClaimsOptions) {
    this.#o = options;
    this.#free = new ClaimBatch(options.kv, options.keys, options.id);
  }

  /** Names this isolate holds. */
  get size(): number {
    return this.#mine.size;
  }

  /** Every name this isolate holds. */
  entries(): Claim[] {
    return [...this.#mine.values()];
  }

  /**
   * Claim a name for this isolate.
   *
   * @returns True when won; false when another live isolate holds it.
   * @throws When the store keeps failing (the join is then refused as
   *   UNAVAILABLE by the chat).
   */
  claim(room: string, key: string, name: string): boolean | Promise<boolean> {
    const id = `${room}\n${key}`;
    if (this.#mine.has(id)) return false;
    const claim: Claim = { room, key, name };
    this.#mine.set(id, claim);
    return this.#serial(id, async () => {
      let won = false;
      try {
        won = await retrying(() => this.#take(claim));
      } finally {
        if (!won && this.#mine.get(id) === claim) this.#mine.delete(id);
      }
      return won;
    });
  }

  /**
   * Claim again, after this isolate was declared lost: the name is kept
   * when free or still ours.
   *
   * @returns False when another isolate took it meanwhile.
   */
  reclaim(claim: Claim): Promise<boolean> {
    const id = `${claim.room}\n${claim.key}`;
    return this.#serial(id, () => retrying(() => this.#take(claim)));
  }

  /** Forget a name lost to another isolate, without touching the store. */
  drop(claim: Claim): void {
    const id = `${claim.room}\n${claim.key}`;
    if (this.#mine.get(id) === claim) this.#mine.delete(id);
  }

  /**
   * Move a name this isolate holds to isolate `to` (its member resumes
   * there): one commit sets the claim's holder and moves the index entry,
   * the count unchanged. This isolate no longer holds it.
   *
   * @returns False when this isolate does not hold it (any more).
   */
  handOver(room: string, key: string, to: string): Promise<boolean> {
    const id = `${room}\n${key}`;
    return this.#serial(id, () =>
      retrying(async () => {
        const claim = this.#mine.get(id);
        if (claim === undefined) return false;
        const moved = await this.#move(claim, to);
        if (moved && this.#mine.get(id) === claim) this.#mine.delete(id);
        return moved;
      }));
  }

  /** A name another isolate handed over to this one (its claim moved here). */
  adopt(claim: Claim): void {
    this.#mine.set(`${claim.room}\n${claim.key}`, claim);
  }

  /** Give a name back. */
  release(room: string, key: string): Promise<void> {
    const id = `${room}\n${key}`;
    if (!this.#mine.delete(id)) return Promise.resolve();
    return this.#serial(id, () => retrying(() => this.#give(room, key)))
      .catch((e) => this.#o.failed("release", e));
  }

  /** Wait for every operation started so far. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#chains.values()]);
  }

  /**
   * Member names of a room, on every isolate: read after the call (callers
   * at the same time share a read, {@link FreshReads}).
   */
  members(room: string): Promise<readonly string[]> {
    return this.#names.read(room, () => this.#members(room));
  }

  /**
   * At most `max` names of a room, and its count: read after the call
   * (the joins of a storm share reads, {@link FreshReads}).
   */
  roster(room: string, max: number): Promise<Roster> {
    return this.#rosters.read(`${max}\n${room}`, () => this.#roster(room, max));
  }

  async #members(room: string): Promise<string[]> {
    const { kv, keys, gone } = this.#o;
    return await retrying(async () => {
      const names: string[] = [];
      for await (
        const e of kv.list<ClaimValue>({ prefix: keys.claims(room) })
      ) {
        if (!gone(e.value.isolate)) names.push(e.value.name);
      }
      return names;
    });
  }

  async #roster(room: string, max: number): Promise<Roster> {
    const { kv, keys, gone } = this.#o;
    return await retrying(async () => {
      const names: string[] = [];
      const list = kv.list<ClaimValue>({ prefix: keys.claims(room) }, {
        limit: max,
      });
      for await (const e of list) {
        if (!gone(e.value.isolate)) names.push(e.value.name);
      }
      const count = await kv.get<Deno.KvU64>(keys.count(room));
      const total = Number(count.value?.value ?? 0n);
      return { names, total: Math.max(total, names.length) };
    });
  }

  /** Rooms with members, on every isolate, by name. */
  async rooms(): Promise<RoomInfo[]> {
    const { kv, keys } = this.#o;
    return await retrying(async () => {
      const rooms: RoomInfo[] = [];
      for await (const e of kv.list<Deno.KvU64>({ prefix: keys.counts() })) {
        const members = Number(e.value.value);
        if (members > 0 && members < 2 ** 53) {
          rooms.push({ room: String(e.key.at(-1)), members });
        }
      }
      return rooms;
    });
  }

  /** One attempt at a claim: read the name's entry, commit if unchanged. */
  async #take(claim: Claim): Promise<boolean> {
    const { kv, keys, id, alive } = this.#o;
    const { room, key, name } = claim;
    const at = keys.claim(room, key);
    const value: ClaimValue = { name, isolate: id };
    // Most names are free: a commit that checks the name has no entry,
    // without reading it first, shared with the claims of the same moment.
    if (await this.#free.absent(claim)) return true;
    for (let i = 0; i < MAX_ROUNDS; i++) {
      const current = await kv.get<ClaimValue>(at);
      let op = kv.atomic().check(current).set(at, value)
        .set(keys.held(id, room, key), name);
      const holder = current.value?.isolate;
      if (holder === undefined) op = op.sum(keys.count(room), 1n);
      else if (holder !== id) {
        if (await alive(holder)) return false;
        // Its isolate is gone and not yet reaped: the name is free.
        op = op.delete(keys.held(holder, room, key));
      }
      if ((await op.commit()).ok) return true;
    }
    throw new Error(
      `Cannot claim "${name}" in "${room}": the store kept changing`,
    );
  }

  /** One attempt at moving a claim of ours to another isolate. */
  async #move(claim: Claim, to: string): Promise<boolean> {
    const { kv, keys, id } = this.#o;
    const { room, key, name } = claim;
    const at = keys.claim(room, key);
    for (let i = 0; i < MAX_ROUNDS; i++) {
      const current = await kv.get<ClaimValue>(at);
      if (current.value?.isolate !== id) return false;
      const value: ClaimValue = { name: current.value.name, isolate: to };
      const done = await kv.atomic().check(current).set(at, value)
        .delete(keys.held(id, room, key)).set(keys.held(to, room, key), name)
        .commit();
      if (done.ok) return true;
    }
    throw new Error(
      `Cannot hand "${name}" in "${room}" over: the store kept changing`,
    );
  }

  /** Delete a claim of ours (not one another isolate has taken since). */
  async #give(room: string, key: string): Promise<void> {
    const { kv, keys, id } = this.#o;
    const at = keys.claim(room, key);
    for (let i = 0; i < MAX_ROUNDS; i++) {
      const current = await kv.get<ClaimValue>(at);
      if (current.value?.isolate !== id) {
        await kv.delete(keys.held(id, room, key));
        return;
      }
      const done = await kv.atomic().check(current).delete(at)
        .delete(keys.held(id, room, key)).sum(keys.count(room), MINUS_ONE)
        .commit();
      if (done.ok) return;
    }
    throw new Error(
      `Cannot release "${key}" in "${room}": the store kept changing`,
    );
  }

  /** Run `op` after the operations already started on the same name. */
  #serial<T>(id: string, op: () => Promise<T>): Promise<T> {
    const before = this.#chains.get(id) ?? Promise.resolve();
    const run = before.then(op, op);
    const tail = run.catch(() => {});
    this.#chains.set(id, tail);
    tail.then(() => {
      if (this.#chains.get(id) === tail) this.#chains.delete(id);
    });
    return run;
  }
}
