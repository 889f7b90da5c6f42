/**
 * Flush rounds: the connections of the process that write in batches, with
 * something queued, are written together, one write each, once per
 * event-loop turn (docs/performance.md, change 6). TCP and Unix streams
 * share {@link streamRounds} ({@link syscallRounds} for those written by
 * libc, which never wait a timer tick); WebSockets and Server-Sent Events share
 * {@link httpRounds}, which also wait for a timer tick when rounds come
 * back to back (each WebSocket message read is a turn of its own).
 *
 * @module
 */

import { setImmediate } from "node:timers";

/** What a flush round writes: a connection with something queued. */
export interface Flushable {
  /** Write everything queued, in one write. */
  flush(): void;
}

/**
 * Flush rounds that take longer than this (in ms), on average over the last
 * few, mean the server is busy (a big room, many writes): the next round
 * waits: for the next turn of the event loop at first, for a timer tick
 * once the server has been busy for {@link SATURATED_MS}.
 */
const BUSY_ROUND_MS = 1;

/**
 * A server busy for this long (in ms) in a row (rounds over
 * {@link BUSY_ROUND_MS} on average all along, however far apart: at 1,000
 * members W1's rounds are 10-20 ms apart) is saturated: its rounds then wait
 * for a timer tick, which lets the reads of a few turns share a round
 * (fewer, fuller writes: W1's throughput at 1,000 members). A shorter spell
 * (a collection, the thread preempted) only waits for the next turn of the
 * event loop: a timer tick takes 2 ms in Deno (`setTimeout(f, 0)`), and
 * those ticks were most of W2's p99 (docs/performance.md, "A busy spell
 * waits a turn, a saturated server a tick").
 */
const SATURATED_MS = 20;

/**
 * The weight of the last round in that average: one slow round among quick
 * ones (the thread preempted, a collection) does not make the next wait.
 */
const ROUND_WEIGHT = 1 / 8;

/**
 * How the next round waits: `"microtask"`, right after the events that
 * queue it; `"turn"`, for the next turn of the event loop (the reads that
 * have arrived are handled first: `setImmediate`); `"tick"`, for a timer
 * tick.
 */
export type RoundWait = "microtask" | "turn" | "tick";

/** Options of {@link FlushRounds}. */
export interface FlushRoundsOptions {
  /**
   * Also wait for a timer tick when the previous round began sooner after
   * the one before it ended than it took itself: rounds then fill more of
   * the time than the gaps between them, and waiting lets the reads of the
   * next turns share a round. @default {false}
   */
  dense?: boolean;
  /**
   * Wait for a timer tick once busy for {@link SATURATED_MS}. Rounds whose
   * writes complete inside them (system calls, not Deno's write ops) gain
   * nothing by it: the reads of the turns it lets by are one turn late
   * either way (docs/performance.md, "No tick for writes through libc").
   * @default {true}
   */
  saturation?: boolean;
  /** The clock, in ms. @default {performance.now} */
  now?: () => number;
}

/**
 * Rounds that write every queued connection once. A round runs as a
 * microtask right after the events that queued it, unless the server is
 * busy: recent rounds took longer than {@link BUSY_ROUND_MS} on average.
 * Then it waits for the next turn of the event loop, so that the reads that
 * have arrived share it, and once busy for {@link SATURATED_MS} (or,
 * `dense`, when rounds come back to back) for a timer tick, so that the
 * reads arriving meanwhile share it too. Under load that makes fewer,
 * fuller writes (at 1,000 members it doubled W1 throughput over TCP; over
 * WebSockets, `dense` tripled it at 100: docs/performance.md); a server
 * that is not busy writes at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FlushRounds } from "./flush_rounds.ts";
 * const rounds = new FlushRounds();
 * const flushed: string[] = [];
 * rounds.schedule({ flush: () => flushed.push("a") });
 * await rounds.settled();
 * assert.deepEqual(flushed, ["a"]);
 * ```
 */
export class FlushRounds {
  // Two lists of the connections with something queued, swapped each round
  // and kept (not reallocated): at 1,000 members a new list per round was
  // garbage the young generation had to collect (docs/performance.md).
  #due: (Flushable | undefined)[] = [];
  #dueCount = 0;
  #spare: (Flushable | undefined)[] = [];
  #armed = false;
  #wait: RoundWait = "microtask";
  #avgTook = 0;
  #busySince = Infinity;
  #lastEnd = -Infinity;
  #waiters: (() => void)[] = [];
  readonly #dense: boolean;
  readonly #saturatedMs: number;
  readonly #now: () => number;
  readonly #run = (): void => this.#round();

  /** @param options Whether rounds back to back count as busy; the clock. */
  constructor(options: FlushRoundsOptions = {}) {
    this.#dense = options.dense ?? false;
    this.#saturatedMs = options.saturation === false ? Infinity : SATURATED_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * Queue a connection's flush for the next round.
   *
   * @param c The connection; queue it once until its flush runs.
   */
  schedule(c: Flushable): void {
    this.#due[this.#dueCount++] = c;
    if (this.#armed) return;
    this.#armed = true;
    if (this.#wait === "microtask") queueMicrotask(this.#run);
    else if (this.#wait === "turn") setImmediate(this.#run);
    else setTimeout(this.#run, 0);
  }

  /** How the next round will wait, after the rounds so far. */
  get wait(): RoundWait {
    return this.#wait;
  }

  /**
   * Settles once no round is armed: what was queued before the call has
   * been handed to the sockets. A server's shutdown waits for it, so that
   * the goodbyes queued by `Chat.shutdown` are written before the listeners
   * close, even when the round waits (a busy server).
   *
   * @returns A promise that settles after the armed round, or at once.
   */
  settled(): Promise<void> {
    if (!this.#armed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #round(): void {
    this.#armed = false;
    const start = this.#now();
    const list = this.#due;
    const n = this.#dueCount;
    this.#due = this.#spare;
    this.#dueCount = 0;
    for (let i = 0; i < n; i++) list[i]!.flush();
    for (let i = 0; i < n; i++) list[i] = undefined; // fill() allocates
    this.#spare = list;
    const end = this.#now();
    const took = end - start;
    this.#avgTook += (took - this.#avgTook) * ROUND_WEIGHT;
    if (this.#avgTook <= BUSY_ROUND_MS) this.#busySince = Infinity;
    else if (this.#busySince === Infinity) this.#busySince = start;
    this.#wait = end - this.#busySince >= this.#saturatedMs ||
        (this.#dense && start - this.#lastEnd < took)
      ? "tick"
      : this.#busySince !== Infinity
      ? "turn"
      : "microtask";
    this.#lastEnd = end;
    if (this.#waiters.length > 0 && !this.#armed) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

/** The rounds of TCP and Unix stream connections that Deno writes. */
export const streamRounds: FlushRounds = new FlushRounds();

/**
 * The rounds of TCP connections written by libc's `send(2)`
 * (adapters/stream/socket_writes.ts): a write is done when the round ends,
 * so a busy server never waits a timer tick (`saturation` off).
 */
export const syscallRounds: FlushRounds = new FlushRounds({
  saturation: false,
});

/**
 * The rounds of WebSockets and Server-Sent Events: `dense`, since Deno
 * hands a WebSocket's messages over one per turn, so that without waiting
 * a member's batch holds the few events of one turn.
 */
export const httpRounds: FlushRounds = new FlushRounds({ dense: true });

/**
 * Settles once no round set (stream, libc, HTTP) is armed
 * ({@link FlushRounds.settled}).
 *
 * @returns A promise that settles once all have written what was queued.
 */
export async function settled(): Promise<void> {
  await Promise.all([
    streamRounds.settled(),
    syscallRounds.settled(),
    httpRounds.settled(),
  ]);
}
