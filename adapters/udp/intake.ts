/**
 * The UDP adapter's intake: client datagrams are handed to the core at
 * the pace the socket sends, as a TCP server reads no faster than it can
 * write. A datagram that arrives while the server is sending waits here,
 * and each time the send queue drains the intake hands over datagrams
 * until the events they made (the chat's deliveries) would fill about half
 * the queue: they then go out in one flush (packed per member) instead of
 * one burst of everything received, which overflowed the send queue
 * (docs/performance.md, UDP). The bytes per delivery are learned from the
 * previous rounds. Counting deliveries, not datagrams, is what makes this
 * hold: a retransmitted duplicate costs nothing, and one datagram that
 * fills a gap may release 31 that waited behind it (docs/protocol.md 12.4). Client-to-server
 * datagrams are reliable (docs/protocol.md 12.4): one dropped here, beyond
 * the bound, is sent again by its client.
 *
 * @module
 */

import {
  addressKey,
  type DatagramAddress,
} from "../../core/datagram/address.ts";

/** Default most client datagrams held. */
export const MAX_HELD_DATAGRAMS = 4096;
/** Default most bytes of client datagrams held. */
export const MAX_HELD_BYTES = 4 * 1024 * 1024;
/**
 * Most datagrams held from one address: a flood from a few addresses
 * cannot fill the intake and crowd out every other client (their datagrams
 * would be dropped again and again, until their clients gave up). The rate
 * limit lets an address burst 200 (docs/protocol.md 12.8).
 */
export const MAX_HELD_PER_ADDRESS = 256;
/** Bytes per delivery assumed until one round has been measured. */
const FIRST_BYTES_PER_DELIVERY = 128;

/** Options of an {@link Intake}. */
export interface IntakeOptions {
  /** Hand one datagram to the core. */
  receive(bytes: Uint8Array, from: DatagramAddress): void;
  /**
   * A running count of the deliveries (events queued to members) that the
   * datagrams handed over make, read right after each one: the chat's
   * `stats.deliveries`.
   */
  deliveries(): number;
  /** Bytes of output one round may produce (half the send queue). */
  budgetBytes: number;
  /** Most datagrams held. @default {4096} */
  maxDatagrams?: number;
  /** Most bytes held. @default {4194304} */
  maxBytes?: number;
  /** Called on the first drop after {@link Intake.quiet} (the log). */
  onDrop?: () => void;
  /** Most datagrams held from one address. @default {256} */
  maxPerAddress?: number;
}

interface Held {
  readonly bytes: Uint8Array;
  readonly from: DatagramAddress;
  /** The address as a string (`addressKey`). */
  readonly key: string;
}

/**
 * Client datagrams paced by the server's output.
 *
 * @example
 * ```ts ignore
 * const intake = new Intake({ receive, budgetBytes: out.max / 2 });
 * socket.on("message", (msg, from) => intake.offer(msg, from, !out.busy));
 * out.hook = {
 *   before: () => intake.take(),
 *   after: () => intake.settle(out.pushedBytes),
 * };
 * ```
 */
export class Intake {
  /** Datagrams dropped because the intake was full. */
  dropped = 0;
  readonly #receive: (bytes: Uint8Array, from: DatagramAddress) => void;
  readonly #deliveries: () => number;
  readonly #budget: number;
  readonly #maxDatagrams: number;
  readonly #maxBytes: number;
  readonly #onDrop: (() => void) | undefined;
  readonly #maxPerAddress: number;
  /** Datagrams held, by source address. */
  readonly #perAddress = new Map<string, number>();
  #items: (Held | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  /** Output bytes and deliveries counted at the last {@link Intake.settle}. */
  #mark = { bytes: 0, deliveries: 0 };
  /** Estimated output bytes per delivery. */
  #perDelivery = FIRST_BYTES_PER_DELIVERY;
  #dropping = false;

  /**
   * An empty intake.
   * @param options Where datagrams go, the output budget and the bounds.
   */
  constructor(options: IntakeOptions) {
    this.#receive = options.receive;
    this.#deliveries = options.deliveries;
    this.#mark.deliveries = options.deliveries();
    this.#budget = Math.max(1, options.budgetBytes);
    this.#maxDatagrams = options.maxDatagrams ?? MAX_HELD_DATAGRAMS;
    this.#maxBytes = options.maxBytes ?? MAX_HELD_BYTES;
    this.#onDrop = options.onDrop;
    this.#maxPerAddress = options.maxPerAddress ?? MAX_HELD_PER_ADDRESS;
  }

  /** Datagrams held. */
  get held(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes of the datagrams held. */
  get heldBytes(): number {
    return this.#bytes;
  }

  /** Estimated output bytes per delivery. */
  get perDelivery(): number {
    return this.#perDelivery;
  }

  /**
   * A datagram arrived: handed over at once when the socket is idle and
   * nothing is held (the latency path), else held, or dropped beyond the
   * bounds.
   *
   * @param bytes The datagram (copied when held).
   * @param from Its source address.
   * @param idle True when the socket has nothing to send.
   */
  offer(bytes: Uint8Array, from: DatagramAddress, idle: boolean): void {
    if (idle && this.held === 0) {
      this.#receive(bytes, from);
      return;
    }
    const key = addressKey(from);
    const mine = this.#perAddress.get(key) ?? 0;
    if (
      this.held >= this.#maxDatagrams ||
      this.#bytes + bytes.length > this.#maxBytes ||
      mine >= this.#maxPerAddress
    ) {
      this.dropped++;
      if (!this.#dropping) {
        this.#dropping = true;
        this.#onDrop?.();
      }
      return;
    }
    // A copy of its own size: node:dgram's buffer is a view of 64 KiB.
    this.#items.push({ bytes: new Uint8Array(bytes), from, key });
    this.#bytes += bytes.length;
    this.#perAddress.set(key, mine + 1);
  }

  /**
   * The send queue has drained: hand over datagrams, in order, until their
   * deliveries would make about the budget's bytes of output (at least one
   * datagram, so the intake always moves).
   *
   * @returns How many were handed over.
   */
  take(): number {
    if (this.held === 0) return 0;
    const start = this.#deliveries();
    const limit = this.#budget / this.#perDelivery;
    let n = 0;
    while (this.held > 0) {
      const item = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined;
      this.#bytes -= item.bytes.length;
      const left = (this.#perAddress.get(item.key) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(item.key, left);
      else this.#perAddress.delete(item.key);
      n++;
      this.#receive(item.bytes, item.from);
      if (this.#deliveries() - start >= limit) break;
    }
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return n;
  }

  /**
   * The output of what was handed over has been queued: learn how many
   * bytes one delivery makes. A larger figure is taken at once, a smaller
   * one a quarter at a time.
   *
   * @param output Total bytes queued for sending so far (a running count).
   * @returns True when datagrams are still held.
   */
  settle(output: number): boolean {
    const deliveries = this.#deliveries();
    const bytes = output - this.#mark.bytes;
    const count = deliveries - this.#mark.deliveries;
    if (count > 0) {
      const sample = bytes / count;
      this.#perDelivery = Math.max(
        1,
        sample >= this.#perDelivery
          ? sample
          : this.#perDelivery * 0.75 + sample * 0.25,
      );
    }
    this.#mark = { bytes: output, deliveries };
    return this.held > 0;
  }

  /** Count the next drop as the start of a new spell (log it again). */
  quiet(): void {
    this.#dropping = false;
  }

  /** Forget every datagram held (closing). */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#perAddress.clear();
  }
}
