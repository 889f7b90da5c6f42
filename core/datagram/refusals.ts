/**
 * Refusals of a `DatagramServer`, sans-IO: the rate limit of each source
 * address, one log record per refused address until it goes quiet, and
 * error answers (a bad token among them) never longer than the datagram
 * they answer, so that a forged source address cannot make the server an
 * amplifier. Internal to core/datagram/server.ts.
 *
 * @module
 */

import type { LogRecord } from "../chat.ts";
import type { ErrorCodeName } from "../errors.ts";
import type { DatagramAddress } from "./address.ts";
import type { Link } from "./members.ts";
import { boundedError } from "./pack.ts";
import { RateBucket } from "./rate_bucket.ts";

/** What the server knows of one source address. */
export interface AddressState {
  /** Datagrams per second from the address. */
  readonly rate: RateBucket;
  /** A refusal was logged since the address was last quiet. */
  logged: boolean;
}

/** Options of {@link Refusals}. */
export interface RefusalsOptions {
  /** The server's running totals: `badToken` counts each such refusal. */
  readonly stats: { badToken: number };
  /** Limits and the socket (the server's outbound side). */
  readonly link: Link;
  /** Transport name for logs. */
  readonly transport: string;
  /** Receives refusals (at most one per quiet period per address). */
  readonly log: ((record: LogRecord) => void) | undefined;
}

/** Source addresses of one datagram server, and what they are refused. */
export class Refusals {
  readonly #stats: { badToken: number };
  readonly #link: Link;
  readonly #transport: string;
  readonly #log: ((record: LogRecord) => void) | undefined;
  readonly #addresses = new Map<string, AddressState>();

  /** @param options Counters, link, transport name and log. */
  constructor(options: RefusalsOptions) {
    this.#stats = options.stats;
    this.#link = options.link;
    this.#transport = options.transport;
    this.#log = options.log;
  }

  /** The state of an address, made when it is first seen. */
  address(key: string, now: number): AddressState {
    let a = this.#addresses.get(key);
    if (a === undefined) {
      const rate = this.#link.limits.datagramsPerSecond;
      a = { rate: new RateBucket(rate, rate * 2, now), logged: false };
      this.#addresses.set(key, a);
    }
    return a;
  }

  /** Log a refusal, once per address until the address goes quiet. */
  refused(address: AddressState, key: string, code: ErrorCodeName): void {
    if (address.logged) return;
    address.logged = true;
    this.#log?.({
      event: "refused",
      transport: this.#transport,
      remote: key,
      code,
    });
  }

  /** A bare ERROR, never longer than what it answers. */
  reply(
    limit: number,
    to: DatagramAddress,
    code: ErrorCodeName,
    message: string,
    fatal: boolean,
  ): void {
    const bytes = boundedError(code, message, limit, fatal);
    if (bytes !== undefined) this.#link.send(bytes, to);
  }

  /**
   * Refuse a datagram with no session (a missing, unknown or forged token,
   * or a HELLO with more than padding beside it).
   */
  badToken(
    size: number,
    from: DatagramAddress,
    address: AddressState,
    key: string,
  ): void {
    this.#stats.badToken++;
    this.refused(address, key, "BAD_TOKEN");
    this.reply(
      size,
      from,
      "BAD_TOKEN",
      "Cannot accept datagram: no session has this token (send HELLO for a new one)",
      true,
    );
  }

  /** Forget addresses quiet long enough for their bucket to fill up again. */
  sweep(now: number): void {
    for (const [key, a] of this.#addresses) {
      if (a.rate.full(now)) this.#addresses.delete(key);
    }
  }
}
