/**
 * The isolates' message bus: one `BroadcastChannel` that every isolate of a
 * server instance opens (Workers of `serve --workers`, the isolates of
 * `deno serve --parallel`). Room events go out as their binary frames,
 * many to a message: the frames published in one event-loop turn are
 * posted once, at the end of the turn. Directed messages (requests,
 * replies, relayed streams) share the same numbered stream.
 *
 * Deno's BroadcastChannel keeps the order of one sender's messages, but a
 * receiver that falls 256 messages behind loses the oldest without notice
 * (tokio's broadcast channel, `Lagged`). So every message carries its
 * sender's sequence number; a receiver that sees a jump holds what came
 * after it and asks the sender for the missing ones, which the sender
 * keeps in a bounded ring (adapters/isolates/resend.ts). What is no
 * longer in the ring is counted as lost and logged.
 *
 * Where a parent can hand its Workers `MessagePort`s to each other
 * (`serve --workers`), the bus uses those instead: they lose nothing, and
 * carry bytes far more cheaply than Deno's BroadcastChannel, which copies
 * a message's bytes one by one through its op (bench/isolates_cost.ts:
 * about 4 µs per 90-byte event against 0.2).
 *
 * @module
 */

import type { LogRecord } from "../../core/chat.ts";
import { Inbox, type Wire } from "./inbox.ts";
import { ResendRing } from "./resend.ts";
import { TurnBatch } from "./turn_batch.ts";
import { TurnHold } from "./turn_hold.ts";

export type { Wire } from "./inbox.ts";

/** Frames of one message before it is posted at once. */
const MAX_BATCH_BYTES = 1 << 20;
/** Time to let the channel send what was posted before it closes, in ms. */
const CLOSE_GRACE_MS = 30;

/**
 * What the bus hands to its owner: a message of another isolate's room
 * events (`b`, its frames; `f`, its sender; `s`, the sender's number for
 * it; `q`, announcements to count; `h`, times of history entries).
 */
export type EventsHandler = (w: Readonly<Wire>) => void;

/**
 * A directed message's handler: its payload, its sender, and the sender's
 * number for the message.
 */
export type MessageHandler = (
  payload: unknown,
  from: string,
  seq: number,
) => void;

/** Options of an {@link IsolateBus}. */
export interface IsolateBusOptions {
  /** The channel's name: the same in every isolate of one instance. */
  channel: string;
  /**
   * Ports to the other isolates, one each, to use instead of the channel
   * (more can come later: {@link IsolateBus.addPort}).
   */
  ports?: readonly MessagePort[];
  /** This isolate's id, unique among them. */
  id: string;
  /** Log sink. */
  log?: (record: LogRecord) => void;
}

/**
 * Numbered, batched messages between the isolates of one instance.
 *
 * @example
 * ```ts ignore
 * const a = new IsolateBus({ channel: "roomcast:x", id: "a" });
 * const b = new IsolateBus({ channel: "roomcast:x", id: "b" });
 * b.on("hello", (payload, from) => console.log(from, payload));
 * a.send("b", "hello", { n: 1 });
 * ```
 */
export class IsolateBus {
  /** This isolate's id. */
  readonly id: string;
  readonly #channel: BroadcastChannel | undefined;
  readonly #ports: MessagePort[] = [];
  /** The port each isolate's messages come on, to close it when it is gone. */
  readonly #portOf = new Map<string, MessagePort>();
  readonly #handlers = new Map<string, MessageHandler>();
  readonly #inbox: Inbox;
  readonly #ring = new ResendRing();
  #events: EventsHandler | undefined;
  #seq = 0;
  readonly #batch = new TurnBatch();
  #onCount: ((count: number, from: string) => void) | undefined;
  #scheduled = false;
  readonly #hold = new TurnHold();
  #closed = false;
  /** Messages posted, for tests and metrics. */
  posted = 0;

  /** @param options Channel name, id and log. */
  constructor(options: IsolateBusOptions) {
    this.id = options.id;
    const log = options.log ?? (() => {});
    this.#inbox = new Inbox({
      deliver: (w) => this.#deliver(w),
      nack: (origin, lo, hi) =>
        this.#post({ f: this.id, s: -1, k: "nack", t: origin, lo, hi }),
      lost: (origin, count) =>
        log({
          event: "isolates",
          state: "lost",
          from: origin,
          messages: count,
        }),
    });
    if (options.ports === undefined) {
      this.#channel = new BroadcastChannel(options.channel);
      this.#channel.onmessage = (e: MessageEvent) => this.#receive(e.data);
    } else for (const port of options.ports) this.addPort(port);
  }

  /** A port to another isolate (one that started after this one). */
  addPort(port: MessagePort): void {
    this.#ports.push(port);
    port.onmessage = (e: MessageEvent) => {
      const w = e.data as Wire;
      if (!this.#portOf.has(w.f)) this.#portOf.set(w.f, port);
      this.#receive(w);
    };
  }

  /** Set the handler of other isolates' room events. */
  onEvents(handler: EventsHandler): void {
    this.#events = handler;
  }

  /** Set the handler of directed messages of one kind (`op`). */
  on(op: string, handler: MessageHandler): void {
    this.#handlers.set(op, handler);
  }

  /**
   * Queue a room event's frame for every other isolate. Frames queued in
   * one turn go out as one message at the end of it.
   *
   * @param frame The event's binary frame, as members receive it.
   * @param tally An id under which receivers report what the event reached.
   */
  publish(frame: Uint8Array, tally?: number): void {
    if (this.#closed) return;
    this.#batch.add(frame, tally);
    if (this.#batch.bytes >= MAX_BATCH_BYTES) this.flush();
    else this.#schedule();
  }

  /**
   * Give a frame queued in this turn the time of its history entry, for
   * the other isolates to keep it at the same time. A frame already
   * posted (or not found among the last few queued) goes without: the
   * others then take the time they receive it.
   *
   * @param frame The frame, as given to {@link IsolateBus.publish}.
   * @param time Ms since the epoch.
   */
  stamp(frame: Uint8Array, time: number): void {
    this.#batch.stamp(frame, time);
  }

  /**
   * The number of the next message from each isolate heard from, and from
   * this one (the events queued so far are posted first): what a copy of
   * this isolate's state taken now has seen.
   */
  positions(): [isolate: string, next: number][] {
    this.flush();
    return [...this.#inbox.positions(), [this.id, this.#seq]];
  }

  /**
   * Send a message to one isolate (`to`), or to all (`"*"`), after the
   * events queued so far.
   *
   * @param to An isolate id, or `"*"`.
   * @param op The kind of message (its handler, {@link IsolateBus.on}).
   * @param payload Anything structured clone can copy.
   */
  send(to: string, op: string, payload: unknown): void {
    if (this.#closed) return;
    this.flush();
    this.#numbered({ f: this.id, s: 0, k: "m", t: to, o: op, p: payload });
  }

  /**
   * This isolate's connection count changed: it goes out with this turn's
   * events (or alone, at the end of the turn; ahead of them when they are
   * held for a release), so that another isolate knows it before it hands
   * on those events (a leave).
   */
  count(n: number): void {
    if (this.#closed) return;
    // Events held for a release (after()) must not hold the count: a
    // connection another isolate refuses for want of a place that is free
    // here would be refused for nothing. It goes ahead of them, alone.
    if (this.#hold.holding) return this.#postCount(n);
    this.#batch.count(n);
    this.#schedule();
  }

  #postCount(n: number): void {
    this.#batch.takeCount(); // older than n
    this.#numbered({ f: this.id, s: 0, k: "e", c: n });
  }

  /** Set the handler of other isolates' connection counts. */
  onCount(handler: (count: number, from: string) => void): void {
    this.#onCount = handler;
  }

  /** Post the events (and count) queued in this turn now. */
  flush = (): void => {
    this.#scheduled = false;
    if (this.#closed) return;
    const w = this.#batch.take(this.id);
    if (w !== undefined) this.#numbered(w);
  };

  /**
   * Post this turn's events only once `write` has settled (at most 200 ms
   * later, adapters/isolates/turn_hold.ts): a leave goes out after its
   * name's release is in the store. Events queued meanwhile wait with them,
   * in order; a directed message (which posts at once) takes them along.
   *
   * @param write The store write the events follow.
   */
  after(write: Promise<unknown>): void {
    this.#hold.after(write);
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.#flushSoon);
  }

  readonly #flushSoon = (): void => {
    if (!this.#hold.holding) return this.flush();
    const n = this.#batch.takeCount();
    if (n !== undefined) this.#postCount(n);
    this.#hold.settled().then(() => {
      if (this.#scheduled) this.flush();
    });
  };

  /** Forget an isolate that is gone (its numbering, what it held back, its port). */
  forget(id: string): void {
    this.#inbox.forget(id);
    const port = this.#portOf.get(id);
    if (port === undefined) return;
    this.#portOf.delete(id);
    port.close();
    this.#ports.splice(this.#ports.indexOf(port), 1);
  }

  /**
   * Post what is queued and close the channel (after a moment: Deno sends a
   * posted message one tick later, and not at all once closed).
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    this.#inbox.close();
    await new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
    for (const port of this.#ports) port.close();
    if (this.#channel === undefined) return;
    this.#channel.close();
    // Deno 2.9: a BroadcastChannel made while the isolate's receive loop
    // of its last closed one is still winding down is never subscribed
    // ("expected i32" on postMessage); let the loop end first.
    await new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS));
  }

  #numbered(w: Wire): void {
    w.s = this.#seq++;
    // Ports lose nothing: nothing to keep for resending.
    if (this.#channel) this.#ring.keep(w);
    this.#post(w);
  }

  #post(w: Wire): void {
    this.posted++;
    if (this.#channel) return this.#channel.postMessage(w);
    // Copied, not transferred: a lone frame is its members' shared bytes.
    for (const port of this.#ports) port.postMessage(w);
  }

  #receive(data: unknown): void {
    if (this.#closed || typeof data !== "object" || data === null) return;
    const w = data as Wire;
    if (w.f === this.id) return;
    if (w.k === "nack") {
      if (w.t !== this.id) return;
      for (const part of this.#ring.resend(w.lo ?? 0, w.hi ?? -1)) {
        this.#post({ f: this.id, s: -1, k: "re", t: w.f, ...part });
      }
      return;
    }
    if (w.k === "re") {
      if (w.t === this.id) this.#inbox.resent(w.f, w.m ?? [], w.from ?? 0);
      return;
    }
    this.#inbox.accept(w);
  }

  #deliver(w: Wire): void {
    if (w.k === "e") {
      if (w.c !== undefined) this.#onCount?.(w.c, w.f);
      if (w.b) this.#events?.(w);
      return;
    }
    if (w.t !== this.id && w.t !== "*") return;
    this.#handlers.get(w.o ?? "")?.(w.p, w.f, w.s);
  }
}
