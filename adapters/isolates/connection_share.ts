/**
 * One connection limit for every isolate of an instance
 * (`--max-connections` counts the whole process): each isolate tells the
 * others its own count over the bus when it changes (at most one message
 * per event-loop turn, after that turn's events), and admits a connection
 * only while its own count plus the others' last counts stay within the
 * limit. The counts travel like the events, in well under a millisecond
 * between Workers, so the limit can only be passed by connections that
 * reach two isolates at the very same moment, each before hearing of the
 * other's.
 *
 * @module
 */

import type { IsolateBus } from "./bus.ts";

/** The message's name on the bus. */
const OP = "conns";

/** This isolate's connection count, and the others'. */
export class ConnectionShare {
  readonly #bus: IsolateBus;
  readonly #others = new Map<string, number>();
  #elsewhere = 0;
  #own = 0;
  #sent = 0;
  #scheduled = false;

  /** @param bus The bus the counts travel on. */
  constructor(bus: IsolateBus) {
    this.#bus = bus;
    bus.on(OP, (n, from) => this.heard(from, n as number));
  }

  /**
   * This isolate's count now; the others' total, as last heard. A change
   * goes out at the end of the turn.
   */
  share(own: number): number {
    if (own !== this.#own) {
      this.#own = own;
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(this.#send);
      }
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

  /** This isolate leaves: its count goes to 0 everywhere, now. */
  close(): void {
    this.#own = 0;
    this.#send();
  }

  #send = (): void => {
    this.#scheduled = false;
    if (this.#own === this.#sent) return;
    this.#sent = this.#own;
    this.#bus.send("*", OP, this.#own);
  };

  #sum(): void {
    let total = 0;
    for (const n of this.#others.values()) total += n;
    this.#elsewhere = total;
  }
}
