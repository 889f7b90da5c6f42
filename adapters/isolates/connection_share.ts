/**
 * One connection limit for every isolate of an instance
 * (`--max-connections` counts the whole process): each isolate tells the
 * others its own count when it changes, with that turn's events
 * (adapters/isolates/bus.ts), and admits a connection only while its own
 * count plus the others' last counts stay within the limit. A count travels
 * in the same message as the leave that freed a place, so an isolate knows
 * the place is free before any member can hear of the leave; the limit can
 * only be passed by connections that reach two isolates at the same
 * moment, each before the other's count arrives (well under a millisecond
 * between Workers).
 *
 * @module
 */

import type { IsolateBus } from "./bus.ts";

/** This isolate's connection count, and the others'. */
export class ConnectionShare {
  readonly #bus: IsolateBus;
  readonly #others = new Map<string, number>();
  #elsewhere = 0;
  #own = 0;

  /** @param bus The bus the counts travel on. */
  constructor(bus: IsolateBus) {
    this.#bus = bus;
    bus.onCount((n, from) => this.heard(from, n));
  }

  /**
   * This isolate's count now (a change goes out with this turn's events);
   * the others' total, as last heard.
   */
  share(own: number): number {
    if (own !== this.#own) {
      this.#own = own;
      this.#bus.count(own);
    }
    return this.#elsewhere;
  }

  /** This isolate's count, as last shared. */
  get own(): number {
    return this.#own;
  }

  /** An isolate's count. */
  heard(isolate: string, count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) return;
    this.#others.set(isolate, count);
    this.#sum();
  }

  /** An isolate is gone: its connections with it. */
  forget(isolate: string): void {
    if (this.#others.delete(isolate)) this.#sum();
  }

  /** This isolate leaves: its count goes to 0 everywhere. */
  close(): void {
    this.share(0);
  }

  #sum(): void {
    let total = 0;
    for (const n of this.#others.values()) total += n;
    this.#elsewhere = total;
  }
}
