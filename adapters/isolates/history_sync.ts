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
import type { IsolateBus } from "./bus.ts";
import type { HistorySnapshot, IsolateHistory } from "./history.ts";
import type { IsolateRequests } from "./requests.ts";

/** The request's name on the bus. */
const OP = "history";

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
  #synced = false;

  /** @param options Copy, bus, requests and log. */
  constructor(options: HistorySyncOptions) {
    this.#o = options;
    options.history.hold();
    options.requests.handle(OP, () => this.#copy());
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
    history.install(snapshot);
    this.#synced = true;
  }

  /** This isolate's copy, for one that starts; null while it has none. */
  #copy(): HistorySnapshot | null {
    if (!this.#synced) return null;
    return this.#o.history.snapshot(this.#o.bus.positions());
  }
}
