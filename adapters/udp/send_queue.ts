/**
 * The UDP adapter's send queue: the server's datagrams go out one at a
 * time, in order, within a bound of queued bytes, and tasks wait for the
 * queue to drain (the core's flush of pending events, adapters/udp/listen.ts).
 *
 * @module
 */

import type dgram from "node:dgram";
import type { DatagramAddress } from "../../core/datagram/address.ts";

/**
 * What runs each time the queue has drained, before the tasks waiting for
 * that ({@link SendQueue.whenIdle}): the adapter takes its share of the
 * client datagrams it held, so that their output joins the same flush.
 */
export interface DrainHook {
  /** Before the waiting tasks run. */
  before(): void;
  /**
   * After the waiting tasks ran and nothing is being sent: true when the
   * hook has more to do at once (the queue drains again right away).
   */
  after(): boolean;
}

/**
 * The socket's send queue. Datagrams go out one at a time, in order: with
 * several sends in flight at once, `node:dgram` in Deno was seen to put
 * them on the wire in reverse order, which a receiver takes for loss. One
 * at a time is also faster there.
 *
 * @example
 * ```ts ignore
 * const out = new SendQueue(socket, 16 * 1024 * 1024);
 * out.push(bytes, { address: "127.0.0.1", port: 7878 });
 * await out.drained();
 * ```
 */
export class SendQueue {
  /** Datagrams dropped because the queue was full. */
  dropped = 0;
  /** Bytes of every datagram pushed, dropped ones included. */
  pushedBytes = 0;
  /** Called on the first drop after {@link SendQueue.quiet} (the log). */
  onDrop: (() => void) | undefined;
  /** Sends the socket refused (no route, datagram too big, buffer full). */
  failed = 0;
  /**
   * Called with the first failed send after {@link SendQueue.quiet} (the
   * log). `node:dgram` reports a failed send to the send's callback only,
   * never as the socket's `error` event.
   */
  onSendError: ((error: Error) => void) | undefined;
  /** Runs each time the queue drains. */
  hook: DrainHook | undefined;
  readonly #socket: dgram.Socket;
  readonly #max: number;
  #items: ({ bytes: Uint8Array; to: DatagramAddress } | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  #sending = false;
  #idle: (() => void)[] = [];
  #turn = false;
  #dropping = false;
  #failing = false;
  #closed = false;

  /**
   * A queue for one socket.
   * @param socket The bound socket.
   * @param max Most bytes queued; beyond this a datagram is dropped.
   */
  constructor(socket: dgram.Socket, max: number) {
    this.#socket = socket;
    this.#max = max;
  }

  /** The bound of queued bytes. */
  get max(): number {
    return this.#max;
  }

  /** True while a datagram is being sent or waits. */
  get busy(): boolean {
    return this.#sending;
  }

  /** Queue a datagram, or drop it when the queue is full. */
  push(bytes: Uint8Array, to: DatagramAddress): void {
    if (this.#closed) return;
    this.pushedBytes += bytes.length;
    if (this.#bytes + bytes.length > this.#max) {
      this.dropped++;
      if (!this.#dropping) {
        this.#dropping = true;
        this.onDrop?.();
      }
      return;
    }
    this.#items.push({ bytes, to });
    this.#bytes += bytes.length;
    if (!this.#sending) this.#next();
  }

  /** Count the next drop as the start of a new spell (log it again). */
  quiet(): void {
    this.#dropping = false;
    this.#failing = false;
  }

  /**
   * Run a task once nothing is queued or being sent: in a microtask when
   * the socket is idle, else when the queue has drained.
   */
  whenIdle(task: () => void): void {
    this.#idle.push(task);
    if (this.#sending || this.#turn) return;
    this.#turn = true;
    queueMicrotask(() => {
      this.#turn = false;
      if (!this.#sending) this.#drain();
    });
  }

  /** Resolves once nothing is queued or being sent. */
  drained(): Promise<void> {
    if (!this.#sending) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Drop what is queued (the send in flight finishes). */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #next = (error?: Error | null): void => {
    if (error) {
      // That datagram is lost, as UDP may lose it; the next one goes on.
      this.failed++;
      if (!this.#failing) {
        this.#failing = true;
        this.onSendError?.(error);
      }
    }
    const item = this.#items[this.#head];
    if (item === undefined) {
      this.#sending = false;
      this.clear();
      return this.#drain();
    }
    this.#items[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    this.#bytes -= item.bytes.length;
    this.#sending = true;
    try {
      this.#socket.send(item.bytes, item.to.port, item.to.address, this.#next);
    } catch {
      // The socket is closed: nothing more goes out.
      this.#closed = true;
      this.#sending = false;
      this.clear();
      this.#drain();
    }
  };

  /** The queue is empty: the hook, then the waiting tasks, as long as idle. */
  #drain(): void {
    for (;;) {
      this.hook?.before();
      for (const task of this.#idle.splice(0)) task();
      const more = this.hook?.after() ?? false;
      if (this.#sending || !more) return;
    }
  }
}
