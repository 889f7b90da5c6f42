/**
 * The server-to-client direction of a `DatagramServer`, sans-IO: the
 * {@link Link} its members send through. Each datagram is counted and
 * handed to the socket; each event's frame is made to fit a datagram once
 * and shared by every member it goes to; a member with something to send
 * is flushed once, at the end of the turn, so that what a turn fans out to
 * it leaves in as few datagrams as fit (one SEQ head per flush). Internal
 * to core/datagram/server.ts.
 *
 * @module
 */

import type { DatagramAddress } from "./address.ts";
import type { DatagramLimits } from "./limits.ts";
import { ACK_SIZE, SEQ_SIZE } from "./frames.ts";
import type { Link, Member } from "./members.ts";
import { fitFrame } from "./pack.ts";
import type { Outgoing } from "../peer.ts";

/** Options of an {@link Outbound}. */
export interface OutboundOptions {
  /** The server's datagram limits. */
  readonly limits: DatagramLimits;
  /** Bytes a member may have waiting to be sent before it is a slow consumer. */
  readonly outboundBytes: number;
  /** The server's running totals: `sent` counts each datagram. */
  readonly stats: { sent: number };
  /** Send one datagram (the adapter's socket). */
  send(bytes: Uint8Array, to: DatagramAddress): void;
  /** Run a task once the current event-loop turn is done. */
  schedule(task: () => void): void;
  /** A member is closed: drop it from the session table. */
  forget(m: Member): void;
}

/** What the members of one datagram server send through. */
export class Outbound implements Link {
  /** The server's datagram limits. */
  readonly limits: DatagramLimits;
  /** Bytes a member may have waiting to be sent before it is a slow consumer. */
  readonly outboundBytes: number;
  readonly #stats: { sent: number };
  readonly #send: (bytes: Uint8Array, to: DatagramAddress) => void;
  readonly #schedule: (task: () => void) => void;
  readonly #forget: (m: Member) => void;
  readonly #dirty = new Set<Member>();
  readonly #fitted = new WeakMap<Outgoing, Uint8Array>();
  #scheduled = false;

  /** @param options Limits, counters, socket and scheduler. */
  constructor(options: OutboundOptions) {
    this.limits = options.limits;
    this.outboundBytes = options.outboundBytes;
    this.#stats = options.stats;
    this.#send = options.send;
    this.#schedule = options.schedule;
    this.#forget = options.forget;
  }

  /** Send one datagram. */
  send(bytes: Uint8Array, to: DatagramAddress): void {
    this.#stats.sent++;
    this.#send(bytes, to);
  }

  /**
   * The frame for an event in a datagram: the shared frame when it fits,
   * else one made to fit, once per event.
   */
  fit(out: Outgoing): Uint8Array {
    const size = this.limits.datagramSize;
    const room = size - SEQ_SIZE - ACK_SIZE;
    const bytes = out.binary();
    if (bytes.length <= room) return bytes;
    let fitted = this.#fitted.get(out);
    if (fitted === undefined) {
      fitted = fitFrame(out, room, size);
      this.#fitted.set(out, fitted);
    }
    return fitted;
  }

  /** The member has something to send: flush it at the end of the turn. */
  dirty(m: Member): void {
    this.#dirty.add(m);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => this.flush());
  }

  /** The member is closed: drop it from every table. */
  forget(m: Member): void {
    this.#dirty.delete(m);
    this.#forget(m);
  }

  /** Flush every member with something to send. */
  flush(): void {
    this.#scheduled = false;
    const dirty = [...this.#dirty];
    this.#dirty.clear();
    for (const m of dirty) m.flush();
  }
}
