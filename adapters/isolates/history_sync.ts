/**
 * An isolate that starts while others run (a Worker started again, or one
 * that came up late) takes its copy of the rooms' histories
 * (adapters/isolates/history.ts) from one that has one. From the moment its
 * bus opens it holds the events it receives; it asks every isolate whose
 * lease runs; the first copy that comes back is installed, and then the
 * events held meanwhile that the copy had not seen (each copy says how far
 * it has read each isolate's numbered messages). An isolate still taking
 * its own copy answers that it has none; when nobody has one (isolates that
 * start together) the held events are applied as they are.
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import type { RoomEvent } from "../../core/events.ts";
import type { Outgoing } from "../../core/peer.ts";
import type { IsolateBus } from "./bus.ts";
import type { IsolateHistory, RoomSnapshot } from "./history.ts";
import type { IsolateRequests } from "./requests.ts";

/** The request's name on the bus. */
const OP = "history";

/** A copy of every room's history, as one isolate hands it to another. */
export interface HistorySnapshot {
  /** Each room with members. */
  readonly rooms: readonly RoomSnapshot[];
  /**
   * The number of the next message of each isolate that the copy has not
   * seen (adapters/isolates/bus.ts, `positions`).
   */
  readonly seen: readonly (readonly [isolate: string, next: number])[];
}

/** Another isolate's event, held while the copy is being taken. */
interface Held {
  readonly event: RoomEvent;
  readonly origin: string;
  readonly seq: number;
  readonly out: Outgoing | undefined;
  readonly time: number | undefined;
}

/** What a {@link HistorySync} works with. */
export interface HistorySyncOptions {
  /** This isolate's copy. */
  readonly history: IsolateHistory;
  /** The bus (what this isolate has read of each other's messages). */
  readonly bus: IsolateBus;
  /** Requests over the bus. */
  readonly requests: IsolateRequests;
  /** Log sink. */
  readonly log: (record: LogRecord) => void;
}

/** Taking a copy of the histories at start, and giving one to others. */
export class HistorySync {
  readonly #o: HistorySyncOptions;
  #held: Held[] | undefined = [];

  /** @param options Copy, bus, requests and log. */
  constructor(options: HistorySyncOptions) {
    this.#o = options;
    options.requests.handle(OP, () => this.#copy());
  }

  /**
   * Another isolate's event for the copy (held until the copy is taken).
   *
   * @param event The event.
   * @param origin The isolate where it was said.
   * @param seq The number of the message that carried it (Infinity: not
   *   numbered, kept anyway).
   * @param out The event with its frame, when at hand.
   * @param time When it was said, as its sender stamped it.
   */
  received(
    event: RoomEvent,
    origin: string,
    seq: number,
    out?: Outgoing,
    time?: number,
  ): void {
    if (this.#held === undefined) {
      this.#o.history.received(event, origin, out, time);
    } else this.#held.push({ event, origin, seq, out, time });
  }

  /**
   * Take a copy from one of `peers` (the isolates whose lease runs),
   * waiting at most `timeoutMs` for it.
   */
  async run(peers: readonly string[], timeoutMs: number): Promise<void> {
    const { history, requests, log } = this.#o;
    let snapshot: HistorySnapshot | undefined;
    if (peers.length > 0) {
      const asks = peers.map(async (peer) => {
        const copy = await requests.request(peer, OP, null, timeoutMs);
        if (copy === null) throw new Error(`${peer} has no copy yet`);
        return { peer, copy: copy as HistorySnapshot };
      });
      try {
        const first = await Promise.any(asks);
        snapshot = first.copy;
        log({
          event: "isolates",
          state: "history_copied",
          from: first.peer,
          rooms: snapshot.rooms.length,
        });
      } catch {
        // Nobody had one: isolates that start together, or no answer.
      }
    }
    const held = this.#held ?? [];
    this.#held = undefined;
    if (snapshot !== undefined) history.restore(snapshot.rooms);
    const seen = new Map(snapshot?.seen ?? []);
    for (const h of held) {
      if (h.seq >= (seen.get(h.origin) ?? -Infinity)) {
        history.received(h.event, h.origin, h.out, h.time);
      }
    }
  }

  /** This isolate's copy, for one that starts; null while it has none. */
  #copy(): HistorySnapshot | null {
    if (this.#held !== undefined) return null;
    const seen = this.#o.bus.positions();
    return { rooms: this.#o.history.snapshot(), seen };
  }
}
