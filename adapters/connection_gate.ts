/**
 * The connections a server can hold at once, counted in file descriptors,
 * over every transport together: a TCP or Unix connection holds one, an
 * HTTP connection (WebSockets and event streams included) three (the
 * client's socket and the two ends of the loopback connection to the HTTP
 * server behind it, adapters/http/front.ts). Every listener asks the gate
 * before it takes a connection in and gives the descriptors back when the
 * connection is gone, so that the process never runs out of descriptors
 * (docs/reliability.md). Its capacity comes from the descriptor limit
 * (adapters/descriptors.ts).
 *
 * The counters live in an `Int32Array`, which may sit on a
 * `SharedArrayBuffer` that several isolates of one process share: they
 * share the process's descriptor limit.
 *
 * @module
 */

/** Descriptors a connection of each transport holds. */
export const DESCRIPTORS_PER_CONNECTION = {
  tcp: 1,
  unix: 1,
  http: 3,
} as const;

/** A transport the gate counts. */
export type GatedTransport = keyof typeof DESCRIPTORS_PER_CONNECTION;

/**
 * Connections being refused at once, past which a connection over the cap
 * is closed without a word: each refusal holds a descriptor until written.
 */
export const MAX_REFUSING = 32;

/**
 * Of {@link MAX_REFUSING}, how many may linger (an HTTP refusal reads what
 * the client sends for a moment after its answer, so that closing does not
 * reset the answer away): the rest stay for the refusals that are one write
 * (TCP and Unix), so that silent HTTP connections cannot make every stream
 * refusal a silent close.
 */
export const MAX_LINGERING = MAX_REFUSING / 2;

/** Slots of the gate's counters (`Int32Array`). */
export const GATE_COUNTERS = 5;

const IN_USE = 0;
const CAPACITY = 1;
const REFUSING = 2;
const REFUSED = 3;
const LINGERING = 4;

/** Options of a {@link ConnectionGate}. */
export interface ConnectionGateOptions {
  /** Descriptors connections may hold; 0: no limit (until set). @default {0} */
  capacity?: number;
  /**
   * Where the counters live ({@link GATE_COUNTERS} slots), to share them
   * between isolates:
   * `new Int32Array(new SharedArrayBuffer(4 * GATE_COUNTERS))`.
   * @default {a new array on a `SharedArrayBuffer`}
   */
  counters?: Int32Array;
}

/**
 * Counts the descriptors held by connections, and says no past the
 * capacity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const gate = new ConnectionGate({ capacity: 4 });
 * assert.equal(gate.open("http"), true); // 3
 * assert.equal(gate.open("tcp"), true); // 4
 * assert.equal(gate.open("tcp"), false); // full
 * gate.close("http");
 * assert.equal(gate.open("tcp"), true);
 * assert.equal(gate.inUse, 2);
 * ```
 */
export class ConnectionGate {
  readonly #c: Int32Array;

  /**
   * A gate; without a capacity it lets everything in until
   * {@link ConnectionGate.capacity} is set.
   *
   * @param options Capacity and shared counters.
   */
  constructor(options: ConnectionGateOptions = {}) {
    this.#c = options.counters ??
      new Int32Array(new SharedArrayBuffer(4 * GATE_COUNTERS));
    if (this.#c.length < GATE_COUNTERS) {
      throw new RangeError(
        `Cannot make a gate: its counters need ${GATE_COUNTERS} slots, not ${this.#c.length}`,
      );
    }
    if (options.capacity !== undefined) this.capacity = options.capacity;
  }

  /**
   * The counters, when another isolate can share them (they sit on a
   * `SharedArrayBuffer`): a gate made on them there counts the same
   * descriptors (the HTTP front's Worker, adapters/http/front_thread.ts).
   */
  get shared(): Int32Array | undefined {
    return this.#c.buffer instanceof SharedArrayBuffer ? this.#c : undefined;
  }

  /** Descriptors connections may hold; 0: no limit. */
  get capacity(): number {
    return Atomics.load(this.#c, CAPACITY);
  }

  set capacity(n: number) {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(
        `Cannot set the gate's capacity: ${n} is not a whole number >= 0`,
      );
    }
    Atomics.store(this.#c, CAPACITY, n);
  }

  /** Descriptors held by connections now. */
  get inUse(): number {
    return Atomics.load(this.#c, IN_USE);
  }

  /** Connections refused so far for want of descriptors. */
  get refused(): number {
    return Atomics.load(this.#c, REFUSED);
  }

  /**
   * Take the descriptors of a new connection.
   *
   * @param transport Its transport.
   * @returns False when they would pass the capacity: refuse it.
   */
  open(transport: GatedTransport): boolean {
    const n = DESCRIPTORS_PER_CONNECTION[transport];
    const after = Atomics.add(this.#c, IN_USE, n) + n;
    const cap = Atomics.load(this.#c, CAPACITY);
    if (cap === 0 || after <= cap) return true;
    Atomics.sub(this.#c, IN_USE, n);
    Atomics.add(this.#c, REFUSED, 1);
    return false;
  }

  /**
   * Give back the descriptors of a connection that {@link ConnectionGate.open}
   * let in, once it is closed.
   *
   * @param transport Its transport.
   */
  close(transport: GatedTransport): void {
    Atomics.sub(this.#c, IN_USE, DESCRIPTORS_PER_CONNECTION[transport]);
  }

  /**
   * Start refusing a connection (writing why, then closing it); false when
   * {@link MAX_REFUSING} are being refused already, or, for one that
   * lingers, {@link MAX_LINGERING} linger already: close it at once.
   *
   * @param lingers Whether the refusal stays open after its answer (HTTP).
   * @returns Whether there is room to write a refusal.
   */
  startRefusal(lingers = false): boolean {
    if (lingers) {
      if (Atomics.add(this.#c, LINGERING, 1) >= MAX_LINGERING) {
        Atomics.sub(this.#c, LINGERING, 1);
        return false;
      }
    }
    if (Atomics.add(this.#c, REFUSING, 1) < MAX_REFUSING) return true;
    Atomics.sub(this.#c, REFUSING, 1);
    if (lingers) Atomics.sub(this.#c, LINGERING, 1);
    return false;
  }

  /**
   * A refusal that {@link ConnectionGate.startRefusal} allowed is done.
   *
   * @param lingers As it was started.
   */
  endRefusal(lingers = false): void {
    Atomics.sub(this.#c, REFUSING, 1);
    if (lingers) Atomics.sub(this.#c, LINGERING, 1);
  }
}
