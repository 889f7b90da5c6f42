/**
 * Flush rounds shared by every connection of the process that writes in
 * batches (TCP and Unix streams, WebSockets, Server-Sent Events): the
 * connections with something queued are written together, one write each,
 * once per event-loop turn (docs/performance.md, change 6).
 *
 * @module
 */

/** What a flush round writes: a connection with something queued. */
export interface Flushable {
  /** Write everything queued, in one write. */
  flush(): void;
}

/**
 * A flush round that took longer than this (in ms) means the server is busy
 * (a big room, many writes): the next round waits for a timer tick.
 */
const BUSY_ROUND_MS = 1;
// Two lists of the connections with something queued, swapped each round
// and kept (not reallocated): at 1,000 members a new list per round was
// garbage the young generation had to collect (docs/performance.md).
let due: (Flushable | undefined)[] = [];
let dueCount = 0;
let spare: (Flushable | undefined)[] = [];
let roundArmed = false;
let busy = false;
let settledWaiters: (() => void)[] = [];

/**
 * Queue a connection's flush for the next round. Rounds write every
 * connection with something queued, one write each. A round runs as a
 * microtask right after the events that queued it, unless the previous
 * round took longer than {@link BUSY_ROUND_MS}: then it waits for a timer
 * tick, so that the reads arriving meanwhile share it. Under load that
 * makes fewer, fuller writes (at 1,000 members it doubled W1 throughput:
 * docs/performance.md); a server that is not busy writes at once.
 *
 * @param c The connection; queue it once until its flush runs.
 */
export function scheduleFlush(c: Flushable): void {
  due[dueCount++] = c;
  if (roundArmed) return;
  roundArmed = true;
  if (busy) setTimeout(flushRound, 0);
  else queueMicrotask(flushRound);
}

/**
 * Settles once no flush round is armed: what was queued before the call has
 * been handed to the sockets. A server's shutdown waits for it, so that the
 * goodbyes queued by `Chat.shutdown` are written before the listeners close,
 * even when the round waits for a timer tick (a busy server).
 *
 * @returns A promise that settles after the armed round, or at once.
 * @example
 * ```ts
 * import { scheduleFlush, settled } from "./flush_rounds.ts";
 * let flushed = false;
 * scheduleFlush({ flush: () => { flushed = true; } });
 * await settled();
 * if (!flushed) throw new Error("not flushed");
 * ```
 */
export function settled(): Promise<void> {
  if (!roundArmed) return Promise.resolve();
  return new Promise((resolve) => settledWaiters.push(resolve));
}

function flushRound(): void {
  roundArmed = false;
  const start = performance.now();
  const list = due;
  const n = dueCount;
  due = spare;
  dueCount = 0;
  for (let i = 0; i < n; i++) list[i]!.flush();
  for (let i = 0; i < n; i++) list[i] = undefined; // fill() allocates
  spare = list;
  busy = performance.now() - start > BUSY_ROUND_MS;
  if (settledWaiters.length > 0 && !roundArmed) {
    const waiters = settledWaiters;
    settledWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
