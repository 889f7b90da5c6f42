// Test helpers for the core: an in-memory peer that records what it is sent,
// and a clock that moves only when told to.

import type { ChatEvent } from "../../core/events.ts";
import type { Outgoing, Peer } from "../../core/peer.ts";

/**
 * A peer that records every Outgoing it accepts and every close. Set
 * `refuse` to make `send` return false, as a transport does when the
 * connection's bounded outbound buffer is full.
 */
export class FakePeer implements Peer {
  /** Everything accepted, in order (the shared Outgoing instances). */
  readonly sent: Outgoing[] = [];
  /** The `flush` argument of every close call, in order. */
  readonly closes: boolean[] = [];
  /** When true, send refuses (returns false) and records nothing. */
  refuse = false;
  /** How many sends were refused. */
  refused = 0;

  send(out: Outgoing): boolean {
    if (this.refuse) {
      this.refused++;
      return false;
    }
    this.sent.push(out);
    return true;
  }

  close(flush: boolean): void {
    this.closes.push(flush);
  }

  /** The events accepted so far. */
  get events(): ChatEvent[] {
    return this.sent.map((out) => out.event);
  }

  /** The last event accepted. */
  get last(): ChatEvent | undefined {
    return this.sent.at(-1)?.event;
  }

  /** True once close was called. */
  get closed(): boolean {
    return this.closes.length > 0;
  }

  /** The events accepted since the last take, then forget them. */
  take(): ChatEvent[] {
    const events = this.events;
    this.sent.length = 0;
    return events;
  }

  /** The rendered English lines accepted so far. */
  lines(): string[] {
    return this.sent.map((out) => out.text("en"));
  }
}

/** A clock for `Chat` that moves only by {@link FakeClock.advance}. */
export class FakeClock {
  /** Current time in ms. */
  time: number;

  constructor(start = 1_000_000) {
    this.time = start;
  }

  /** The clock function to give a Chat. */
  readonly now = (): number => this.time;

  /** Move time forward. */
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Let every pending promise callback run (for async backplanes). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
