/**
 * The receiving side of the isolates' bus (adapters/isolates/bus.ts): each
 * sender's messages handed on in the order of their numbers. A message
 * that comes after a jump is held while the missing ones are asked for
 * again; what the sender no longer has, or what does not come after a few
 * asks, is counted as lost and skipped.
 *
 * @module
 */

/** One message on the bus, as structured clone carries it. */
export interface Wire {
  /** The sender's id. */
  f: string;
  /** The sender's number for it; -1 for control messages (not numbered). */
  s: number;
  /** Events, a directed message, a request to resend, or resent messages. */
  k: "e" | "m" | "nack" | "re";
  /** To whom: an isolate id, or `"*"`; absent for events. */
  t?: string;
  /** Events: frames, one after the other. */
  b?: Uint8Array;
  /** Events: the sender's connection count, when it changed. */
  c?: number;
  /** Events: `[frame index, tally id]` of announcements to report on. */
  q?: [number, number][];
  /**
   * Events: the time (ms since the epoch) of entries for rooms' histories,
   * `frame index, time` after one another, as the sender kept them.
   */
  h?: number[];
  /** Directed: the kind of message. */
  o?: string;
  /** Directed: the payload. */
  p?: unknown;
  /** Resend request: first and last number wanted. */
  lo?: number;
  /** Resend request: last number wanted. */
  hi?: number;
  /** Resent: the messages. */
  m?: Wire[];
  /** Resent: the first number the sender still had. */
  from?: number;
}

/** How long to wait for resent messages before asking again, in ms. */
const ASK_MS = 200;
/** Asks before a gap is given up as lost. */
const MAX_ASKS = 5;
/** Messages held behind a gap before it is given up as lost. */
const MAX_HELD = 4096;

/** What an {@link Inbox} calls. */
export interface InboxOptions {
  /** Hand on a message, in its sender's order. */
  deliver: (w: Wire) => void;
  /** Ask `origin` for its messages `lo` to `hi` again. */
  nack: (origin: string, lo: number, hi: number) => void;
  /** Messages of `origin` given up as lost. */
  lost: (origin: string, count: number) => void;
}

interface Origin {
  next: number;
  held: Map<number, Wire>;
  asks: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Puts each sender's messages back in order. */
export class Inbox {
  readonly #o: InboxOptions;
  readonly #origins = new Map<string, Origin>();

  /** @param options Where messages go, how to ask again, loss reports. */
  constructor(options: InboxOptions) {
    this.#o = options;
  }

  /** A numbered message as it arrived. */
  accept(w: Wire): void {
    let o = this.#origins.get(w.f);
    if (o === undefined) {
      o = { next: w.s, held: new Map(), asks: 0, timer: undefined };
      this.#origins.set(w.f, o);
    }
    if (w.s < o.next) return;
    if (w.s > o.next) {
      o.held.set(w.s, w);
      if (o.held.size > MAX_HELD) this.#giveUp(w.f, o);
      else if (o.timer === undefined) this.#ask(w.f, o);
      return;
    }
    o.next++;
    this.#o.deliver(w);
    this.#drain(o);
  }

  /** Messages the sender sent again; `from` is the first it still had. */
  resent(origin: string, messages: readonly Wire[], from: number): void {
    const o = this.#origins.get(origin);
    if (o === undefined) return;
    if (from > o.next) {
      this.#o.lost(origin, from - o.next);
      o.next = from;
    }
    for (const w of messages) {
      if (w.s > o.next) o.held.set(w.s, w);
      else if (w.s === o.next) {
        o.next++;
        this.#o.deliver(w);
      }
    }
    this.#drain(o);
  }

  /**
   * Each sender's number of the next message to hand on: every message
   * before it has been (or was given up as lost).
   */
  positions(): [origin: string, next: number][] {
    return [...this.#origins].map(([origin, o]) => [origin, o.next]);
  }

  /** Forget a sender that is gone. */
  forget(origin: string): void {
    const o = this.#origins.get(origin);
    if (o) clearTimeout(o.timer);
    this.#origins.delete(origin);
  }

  /** Stop asking. */
  close(): void {
    for (const o of this.#origins.values()) clearTimeout(o.timer);
    this.#origins.clear();
  }

  #drain(o: Origin): void {
    let w: Wire | undefined;
    while ((w = o.held.get(o.next)) !== undefined) {
      o.held.delete(o.next);
      o.next++;
      this.#o.deliver(w);
    }
    if (o.held.size === 0) {
      clearTimeout(o.timer);
      o.timer = undefined;
      o.asks = 0;
    }
  }

  #ask(origin: string, o: Origin): void {
    this.#o.nack(origin, o.next, lowest(o.held) - 1);
    o.timer = setTimeout(() => {
      o.timer = undefined;
      if (o.held.size === 0) return;
      if (++o.asks >= MAX_ASKS) this.#giveUp(origin, o);
      else this.#ask(origin, o);
    }, ASK_MS);
  }

  #giveUp(origin: string, o: Origin): void {
    const first = lowest(o.held);
    this.#o.lost(origin, first - o.next);
    o.next = first;
    this.#drain(o);
  }
}

function lowest(held: Map<number, Wire>): number {
  let min = Infinity;
  for (const s of held.keys()) if (s < min) min = s;
  return min;
}
