/**
 * What the HTTP front's Worker holds in the shared descriptor gate, counted
 * apart so that the server's thread can give it back should the Worker die
 * (adapters/http/front_thread.ts). The Worker counts through a
 * {@link HeldGate}; the server's thread gives back with
 * {@link giveBackHeld}. Each count moves with a compare-and-swap that fails
 * once the slot is marked {@link HELD_DEAD}: a descriptor is given back
 * either by the Worker or by the server's thread, never by both, even if
 * the dying Worker still runs for a moment.
 *
 * @module
 */

import { ConnectionGate, type GatedTransport } from "../connection_gate.ts";

/** Slot: HTTP connections the Worker let in and has not closed. */
const HELD_OPEN = 0;
/** Slot: refusals (which linger) under way. */
const HELD_REFUSING = 1;
/** Slots of the held counts. */
const HELD_SLOTS = 2;
/** Set in every slot once the server's thread has given the counts back. */
const HELD_DEAD = 1 << 30;

/**
 * New held counts, to share with one Worker.
 *
 * @returns Counts on a `SharedArrayBuffer`.
 */
export function newHeld(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * HELD_SLOTS));
}

/** A gate that also counts, in `held`, what this Worker holds in it. */
export class HeldGate extends ConnectionGate {
  readonly #held: Int32Array;

  /**
   * @param counters The gate's shared counters.
   * @param held This Worker's counts ({@link newHeld}).
   */
  constructor(counters: Int32Array, held: Int32Array) {
    super({ counters });
    this.#held = held;
  }

  /** Move a slot by `by`; false once the slot is marked dead. */
  #move(slot: number, by: number): boolean {
    for (;;) {
      const v = Atomics.load(this.#held, slot);
      if (v & HELD_DEAD) return false;
      if (Atomics.compareExchange(this.#held, slot, v, v + by) === v) {
        return true;
      }
    }
  }

  override open(transport: GatedTransport): boolean {
    if (!super.open(transport)) return false;
    if (!this.#move(HELD_OPEN, 1)) super.close(transport); // dying
    return true;
  }

  override close(transport: GatedTransport): void {
    if (this.#move(HELD_OPEN, -1)) super.close(transport);
  }

  override startRefusal(lingers = false): boolean {
    if (!super.startRefusal(lingers)) return false;
    if (!this.#move(HELD_REFUSING, 1)) super.endRefusal(lingers);
    return true;
  }

  override endRefusal(lingers = false): void {
    if (this.#move(HELD_REFUSING, -1)) super.endRefusal(lingers);
  }
}

/**
 * Give back to `gate` what a dead Worker held, and mark its counts dead so
 * that it gives back nothing more.
 *
 * @param held The dead Worker's counts.
 * @param gate A gate on the same shared counters.
 */
export function giveBackHeld(held: Int32Array, gate: ConnectionGate): void {
  const open = Atomics.or(held, HELD_OPEN, HELD_DEAD) & ~HELD_DEAD;
  for (let i = 0; i < open; i++) gate.close("http");
  const refusing = Atomics.or(held, HELD_REFUSING, HELD_DEAD) & ~HELD_DEAD;
  for (let i = 0; i < refusing; i++) gate.endRefusal(true);
}
