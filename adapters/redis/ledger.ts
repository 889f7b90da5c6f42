/**
 * What a Redis node knows without Redis: the names its members hold, which
 * of their joins the cluster has heard, and the leaves it has not. After an
 * outage the node re-claims from here (see lease.ts).
 *
 * @module
 */

import type { RoomInfo } from "../../core/backplane.ts";
import type { LeaveReason, RoomEvent } from "../../core/events.ts";

/** A name this node holds for one of its members. */
export interface Claim {
  /** Canonical room. */
  readonly room: string;
  /** Folded name key. */
  readonly key: string;
  /** Display name. */
  readonly name: string;
  /** True once the cluster was sent this member's `joined`. */
  announced: boolean;
}

/** A leave of an announced member that the cluster may not have heard. */
export interface Leaving {
  /** Canonical room. */
  readonly room: string;
  /** Folded name key. */
  readonly key: string;
  /** Display name. */
  readonly name: string;
  /** Why it left. */
  reason: LeaveReason;
}

/**
 * This node's claims by room and key, and its unheard leaves.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ledger = new Ledger();
 * const bob = ledger.add("lobby", "bob", "Bob");
 * assert.ok(bob);
 * assert.equal(ledger.add("lobby", "bob", "BOB"), undefined);
 * assert.deepEqual(ledger.names("lobby"), ["Bob"]);
 * ```
 */
export class Ledger {
  readonly #rooms = new Map<string, Map<string, Claim>>();
  readonly #leaving = new Map<string, Leaving>();
  #size = 0;

  /** Claims held. */
  get size(): number {
    return this.#size;
  }

  /** Add a claim; undefined when this node already holds the key. */
  add(room: string, key: string, name: string): Claim | undefined {
    let keys = this.#rooms.get(room);
    if (keys === undefined) {
      keys = new Map();
      this.#rooms.set(room, keys);
    }
    if (keys.has(key)) return undefined;
    const claim: Claim = { room, key, name, announced: false };
    keys.set(key, claim);
    this.#size++;
    // A new holder of the key: an older unheard leave is no longer news.
    this.#leaving.delete(`${room}\n${key}`);
    return claim;
  }

  /** True while this very claim is held. */
  holds(claim: Claim): boolean {
    return this.#rooms.get(claim.room)?.get(claim.key) === claim;
  }

  /** Remove this very claim, if still held; true when removed. */
  remove(claim: Claim): boolean {
    const keys = this.#rooms.get(claim.room);
    if (keys?.get(claim.key) !== claim) return false;
    keys.delete(claim.key);
    if (keys.size === 0) this.#rooms.delete(claim.room);
    this.#size--;
    return true;
  }

  /**
   * Drop the claim on a key without a leave to send: the name went to
   * another node with its member (a hand-over).
   */
  forget(room: string, key: string): void {
    const claim = this.#rooms.get(room)?.get(key);
    if (claim !== undefined) this.remove(claim);
  }

  /**
   * Give up the claim on a key. An announced member's leave is remembered
   * (as a disconnect until its `left` event says why) until it is sent.
   */
  release(room: string, key: string): Claim | undefined {
    const claim = this.#rooms.get(room)?.get(key);
    if (claim === undefined) return undefined;
    this.remove(claim);
    if (claim.announced) {
      this.#leaving.set(`${room}\n${key}`, {
        room,
        key,
        name: claim.name,
        reason: "disconnect",
      });
    }
    return claim;
  }

  /** The claim is held in Redis and its join was announced. */
  confirm(claim: Claim): void {
    claim.announced = true;
  }

  /**
   * A `joined` or `left` event of this node was sent (`sent`) or could not
   * be (Redis away).
   */
  published(key: string, event: RoomEvent, sent: boolean): void {
    if (event.type === "joined") {
      const claim = this.#rooms.get(event.room)?.get(key);
      if (claim) claim.announced = sent;
    } else if (event.type === "left") {
      const leaving = this.#leaving.get(`${event.room}\n${key}`);
      if (leaving) leaving.reason = event.reason;
    }
  }

  /** A `left` event reached Redis: the cluster heard it. */
  delivered(key: string, event: RoomEvent): void {
    if (event.type === "left") this.#leaving.delete(`${event.room}\n${key}`);
  }

  /** Every claim, for re-claiming. */
  entries(): Claim[] {
    const all: Claim[] = [];
    for (const keys of this.#rooms.values()) all.push(...keys.values());
    return all;
  }

  /** Take the unheard leaves, to send them. */
  takeLeaving(): Leaving[] {
    const all = [...this.#leaving.values()];
    this.#leaving.clear();
    return all;
  }

  /** Put back leaves that could not be sent after all. */
  restoreLeaving(list: readonly Leaving[]): void {
    for (const l of list) {
      const id = `${l.room}\n${l.key}`;
      if (!this.#leaving.has(id) && !this.#rooms.get(l.room)?.has(l.key)) {
        this.#leaving.set(id, l);
      }
    }
  }

  /** Display names held in a room. */
  names(room: string): string[] {
    const keys = this.#rooms.get(room);
    return keys ? [...keys.values()].map((c) => c.name) : [];
  }

  /** Rooms with claims, and their counts. */
  rooms(): RoomInfo[] {
    return [...this.#rooms]
      .map(([room, keys]) => ({ room, members: keys.size }))
      .sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
  }
}
