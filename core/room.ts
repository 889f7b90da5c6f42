/**
 * A room: the members of one node in it, and the fan-out of events to them.
 *
 * @module
 */

import type { LeaveReason } from "./events.ts";
import type { Outgoing } from "./peer.ts";

/** What a room needs of a member. */
export interface RoomMember {
  /** Display name. */
  readonly name: string;
  /** Queue an event; false when the member's buffer is full. */
  deliver(out: Outgoing): boolean;
  /** Remove the member from the chat (it could not keep up). */
  drop(reason: LeaveReason): void;
}

/**
 * The local members of a room, keyed by folded name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Outgoing } from "./peer.ts";
 * const got: string[] = [];
 * const member = (name: string) => ({
 *   name,
 *   deliver: (out: Outgoing) => (got.push(`${name}:${out.event.type}`), true),
 *   drop: () => {},
 * });
 * const room = new Room("lobby");
 * const bob = member("bob");
 * room.add("bob", bob);
 * room.add("amy", member("amy"));
 * const n = room.fanout(new Outgoing({ type: "message", room: "lobby", from: "bob", text: "hi" }), bob);
 * assert.equal(n, 1);
 * assert.deepEqual(got, ["amy:message"]);
 * ```
 */
export class Room<M extends RoomMember = RoomMember> {
  /** The canonical room name. */
  readonly name: string;
  readonly #members = new Map<string, M>();

  /**
   * Create an empty room.
   * @param name Canonical room name.
   */
  constructor(name: string) {
    this.name = name;
  }

  /** Local member count. */
  get size(): number {
    return this.#members.size;
  }

  /** Local member names. */
  names(): string[] {
    return [...this.#members.values()].map((m) => m.name);
  }

  /** The local members. */
  members(): IterableIterator<M> {
    return this.#members.values();
  }

  /** The member under a name key, if any. */
  get(key: string): M | undefined {
    return this.#members.get(key);
  }

  /** Add a member under its name key. */
  add(key: string, member: M): void {
    this.#members.set(key, member);
  }

  /** Remove the member under a key, if it is that member. */
  remove(key: string, member: M): boolean {
    if (this.#members.get(key) !== member) return false;
    return this.#members.delete(key);
  }

  /**
   * Give one shared event to every local member but `except`. Members whose
   * buffers are full are dropped as slow consumers after the loop, so one
   * slow reader never holds up the others.
   *
   * @returns How many members took the event.
   */
  fanout(out: Outgoing, except?: M): number {
    let delivered = 0;
    let slow: M[] | undefined;
    for (const m of this.#members.values()) {
      if (m === except) continue;
      if (m.deliver(out)) delivered++;
      else (slow ??= []).push(m);
    }
    if (slow) { for (const m of slow) m.drop("slow_consumer"); }
    return delivered;
  }
}
