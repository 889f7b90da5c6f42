/**
 * Counting what an announcement reached on every isolate: the announcing
 * isolate numbers it as it goes out (adapters/isolates/bus.ts carries the
 * number beside the frame), each other isolate answers with the members
 * it gave it to, and the count settles once every isolate alive has
 * answered, or after a bound.
 *
 * @module
 */

import type { Reach } from "../../core/backplane.ts";
import type { RoomEvent } from "../../core/events.ts";

/** What {@link Tallies} works with. */
export interface TalliesOptions {
  /** Longest wait for the other isolates' answers, in ms. */
  timeoutMs: number;
  /** Rooms with members: one room's (0 or 1), or every room's (`null`). */
  rooms: (room: string | null) => Promise<number>;
}

interface Tally {
  readonly expected: Set<string>;
  delivered: number;
  readonly settled: Promise<void>;
  settle: () => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Open counts of announcements, by number. */
export class Tallies {
  readonly #o: TalliesOptions;
  readonly #byId = new Map<number, Tally>();
  readonly #byEvent = new WeakMap<RoomEvent, Tally>();
  #next = 1;

  /** @param options The bound, and where room counts come from. */
  constructor(options: TalliesOptions) {
    this.#o = options;
  }

  /**
   * Start counting an announcement going out to `peers`.
   *
   * @returns The number the other isolates answer to.
   */
  open(event: RoomEvent, peers: readonly string[]): number {
    const id = this.#next++;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => settle = resolve);
    const tally: Tally = {
      expected: new Set(peers),
      delivered: 0,
      settled,
      settle: () => {
        clearTimeout(tally.timer);
        this.#byId.delete(id);
        settle();
      },
      timer: setTimeout(() => tally.settle(), this.#o.timeoutMs),
    };
    this.#byId.set(id, tally);
    this.#byEvent.set(event, tally);
    if (tally.expected.size === 0) tally.settle();
    return id;
  }

  /** An isolate's answer: the members it gave announcement `id` to. */
  answer(id: number, from: string, delivered: number): void {
    const tally = this.#byId.get(id);
    if (tally === undefined) return;
    tally.delivered += delivered;
    tally.expected.delete(from);
    if (tally.expected.size === 0) tally.settle();
  }

  /**
   * What an announcement reached elsewhere: rooms everywhere, members on
   * the other isolates that answered in time.
   */
  async result(event: RoomEvent): Promise<Reach> {
    const tally = this.#byEvent.get(event);
    if (tally) await tally.settled;
    const room = event.type === "announcement" ? event.room : null;
    let rooms = 0;
    try {
      rooms = await this.#o.rooms(room);
    } catch { /* counted by the announcing isolate alone */ }
    return { rooms, delivered: tally?.delivered ?? 0 };
  }

  /** Settle every open count now. */
  close(): void {
    for (const tally of [...this.#byId.values()]) tally.settle();
  }
}
