/**
 * Names held in Redis: a member's name is claimed atomically for the whole
 * cluster (a script over the room's claim hash), and the claims make the
 * cluster-wide lists of members, rosters and rooms. While Redis cannot be
 * reached, the node decides from its own {@link Ledger} alone and the
 * lease (adapters/redis/lease.ts) reconciles when Redis is back.
 *
 * @module
 */

import type { Redis } from "npm:ioredis@6";
import type { RoomInfo, Roster } from "../../core/backplane.ts";
import type { NodeLease } from "./lease.ts";
import type { Ledger } from "./ledger.ts";
import type { ScriptCommands } from "./scripts.ts";

/** What {@link NameClaims} works with. */
export interface NameClaimsOptions {
  /** The command connection. */
  cmd: Redis & ScriptCommands;
  /** Key prefix. */
  prefix: string;
  /** This node's id. */
  nodeId: string;
  /** This node's claims. */
  ledger: Ledger;
  /** Whether the node is online, and the re-sync of its names. */
  lease: NodeLease;
}

/**
 * Claims on names, and who holds which: cluster-wide when online, this
 * node's alone when not.
 */
export class NameClaims {
  readonly #cmd: Redis & ScriptCommands;
  readonly #prefix: string;
  readonly #nodeId: string;
  readonly #ledger: Ledger;
  readonly #lease: NodeLease;

  /** @param options Connection, prefix, node id, ledger and lease. */
  constructor(options: NameClaimsOptions) {
    this.#cmd = options.cmd;
    this.#prefix = options.prefix;
    this.#nodeId = options.nodeId;
    this.#ledger = options.ledger;
    this.#lease = options.lease;
  }

  /** Claim a name: in Redis when online, else locally until Redis is back. */
  claim(room: string, key: string, name: string): boolean | Promise<boolean> {
    const entry = this.#ledger.add(room, key, name);
    if (entry === undefined) return false;
    if (!this.#lease.online) return true;
    return this.#cmd.rcClaim(this.#prefix, this.#nodeId, room, key, name)
      .then(
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

  /** Give up a claim: settles once Redis has it (never rejects). */
  release(room: string, key: string): Promise<void> | undefined {
    const entry = this.#ledger.release(room, key);
    if (entry === undefined || !this.#lease.online) return undefined;
    return this.#cmd.rcRelease(this.#prefix, this.#nodeId, room, key).then(
      () => {},
      () => {},
    );
  }

  /** Member names of a room, cluster-wide (this node's alone while offline). */
  members(room: string): readonly string[] | Promise<readonly string[]> {
    if (!this.#lease.online) return this.#ledger.names(room);
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
    if (!this.#lease.online) return local();
    return this.#cmd.rcRoster(this.#prefix, this.#nodeId, room, max).then(
      ([total, values]) => ({ names: values.map(nameOf), total }),
      local,
    );
  }

  /** Rooms and member counts, cluster-wide (this node's alone while offline). */
  rooms(): readonly RoomInfo[] | Promise<readonly RoomInfo[]> {
    if (!this.#lease.online) return this.#ledger.rooms();
    return this.#cmd.hgetall(`${this.#prefix}rooms`).then(
      (all) =>
        Object.entries(all)
          .map(([room, n]) => ({ room, members: Number(n) }))
          .filter((r) => r.members > 0)
          .sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0)),
      () => this.#ledger.rooms(),
    );
  }
}

/** The display name in a claim value `NODE LF name`. */
function nameOf(value: string): string {
  return value.slice(value.indexOf("\n") + 1);
}
