/**
 * When WebSocket sinks (adapters/http/ws_sink.ts) that hold events back look
 * at their sockets again, and how many bytes all of them hand Deno in one
 * event-loop turn. Deno says nothing when it has written a socket's bytes
 * (only `bufferedAmount` tells), so a sink that holds events is looked at
 * again: at the next turn when it just sent, or when the turn's bytes ran
 * out (Deno writes between turns); in 1 ms while Deno drains its socket; in
 * 2 ms when its reader made no progress.
 *
 * @module
 */

/**
 * Bytes every WebSocket together hands Deno in one turn. Deno copies every
 * message and writes it only once the turn is over: a fan-out of 1,000
 * members times 100 KB would otherwise be 100 MB of copies at once, a peak
 * the allocator keeps as resident memory long after.
 */
export const TURN_BYTES = 4 * 1024 * 1024;

/** When to look again, in ms, by what a send left. */
const AGAIN_MS = { sent: 0, progress: 1, stalled: 2 } as const;

/**
 * What a send left: nothing held (`done`), or held, after sending some or
 * running out of the turn's bytes (`sent`), while Deno drains the socket
 * (`progress`), or with a reader that made no progress (`stalled`).
 */
export type Left = "done" | keyof typeof AGAIN_MS;

/**
 * A count of {@link TURN_BYTES} older than this (ms) is from a turn long
 * over: no turn of fan-out lasts that long, and no pump came since.
 */
const TURN_MAX_MS = 50;

/** A sink that can be looked at again. */
export interface Pumped {
  /** Send what it holds as far as it may; what is left. */
  pump(): Left;
}

const waiting = new Set<Pumped>();
let timer: ReturnType<typeof setTimeout> | undefined;
let timerMs = Infinity;
let spent = 0;
let spentSince = 0;

/**
 * Look at a sink again as `left` says, or no more (`done`).
 *
 * @param sink The sink.
 * @param left What its last send left.
 */
export function wait(sink: Pumped, left: Left): void {
  if (left !== "done") {
    waiting.add(sink);
    arm(AGAIN_MS[left]);
  } else if (waiting.delete(sink) && waiting.size === 0) {
    clearTimeout(timer);
    timer = undefined;
  }
}

/**
 * Whether this turn's {@link TURN_BYTES} are used up (a count from a turn
 * long over is forgotten).
 */
export function turnSpent(): boolean {
  if (spent < TURN_BYTES) return false;
  const now = performance.now();
  if (now - spentSince <= TURN_MAX_MS) return true;
  spent = 0;
  spentSince = now;
  return false;
}

/**
 * Count bytes handed to Deno this turn.
 *
 * @param bytes The bytes.
 */
export function spend(bytes: number): void {
  spent += bytes;
}

/** Look at the waiting sinks again within `ms`. */
function arm(ms: number): void {
  if (timer !== undefined && timerMs <= ms) return;
  clearTimeout(timer);
  timerMs = ms;
  timer = setTimeout(pumpAll, ms);
}

function pumpAll(): void {
  timer = undefined;
  spent = 0;
  spentSince = performance.now();
  let soonest = Infinity;
  for (const sink of waiting) {
    const left = sink.pump();
    if (left === "done") waiting.delete(sink);
    else soonest = Math.min(soonest, AGAIN_MS[left]);
  }
  if (waiting.size > 0) arm(soonest);
}
