/**
 * Requests between isolates over the bus (adapters/isolates/bus.ts): one
 * isolate asks another (or all) and waits, within a bound, for the
 * answers. Used for what an isolate cannot know alone: HTTP requests for
 * a session another isolate holds, the metrics of every isolate.
 *
 * @module
 */

import type { IsolateBus } from "./bus.ts";

/** Answers one kind of request: its payload and who asked. */
export type RequestHandler = (
  payload: unknown,
  from: string,
) => unknown | Promise<unknown>;

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

interface Ask {
  id: number;
  op: string;
  p: unknown;
}

interface Answer {
  id: number;
  r?: unknown;
  e?: string;
}

/** Requests to other isolates, and answers to theirs. */
export class IsolateRequests {
  readonly #bus: IsolateBus;
  readonly #handlers = new Map<string, RequestHandler>();
  readonly #waiting = new Map<number, Waiting>();
  readonly #gathering = new Map<
    number,
    { add: (from: string, a: Answer) => void; done: () => void }
  >();
  #next = 1;

  /** @param bus The bus requests travel on. */
  constructor(bus: IsolateBus) {
    this.#bus = bus;
    bus.on("rq", (payload, from) => this.#answer(payload as Ask, from));
    bus.on("rp", (payload, from) => {
      const a = payload as Answer;
      const gather = this.#gathering.get(a.id);
      if (gather) return gather.add(from, a);
      const w = this.#waiting.get(a.id);
      if (w === undefined) return;
      this.#waiting.delete(a.id);
      clearTimeout(w.timer);
      if (a.e !== undefined) w.reject(new Error(a.e));
      else w.resolve(a.r);
    });
  }

  /** Answer requests of one kind. */
  handle(op: string, handler: RequestHandler): void {
    this.#handlers.set(op, handler);
  }

  /**
   * Ask one isolate.
   *
   * @throws {Error} `Cannot reach isolate ...` after `timeoutMs`, or the
   *   error the other side answered with.
   */
  request(
    to: string,
    op: string,
    payload: unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(
          new Error(`Cannot reach isolate ${to}: no answer in ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
      this.#bus.send(to, "rq", { id, op, p: payload } satisfies Ask);
    });
  }

  /**
   * Ask every isolate; settle when each of `peers` has answered, or after
   * `timeoutMs` with the answers so far (errors are left out).
   */
  gather(
    peers: readonly string[],
    op: string,
    payload: unknown,
    timeoutMs: number,
  ): Promise<Map<string, unknown>> {
    const id = this.#next++;
    const answers = new Map<string, unknown>();
    const expected = new Set(peers);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#gathering.delete(id);
        resolve(answers);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#gathering.set(id, {
        add: (from, a) => {
          if (a.e === undefined) answers.set(from, a.r);
          expected.delete(from);
          if (expected.size === 0) done();
        },
        done,
      });
      if (expected.size === 0) return done();
      this.#bus.send("*", "rq", { id, op, p: payload } satisfies Ask);
    });
  }

  /** Fail what is still waiting. */
  close(): void {
    for (const [id, w] of this.#waiting) {
      clearTimeout(w.timer);
      w.reject(new Error("Cannot wait for an answer: the bus closed"));
      this.#waiting.delete(id);
    }
    for (const gather of [...this.#gathering.values()]) gather.done();
  }

  async #answer(ask: Ask, from: string): Promise<void> {
    const handler = this.#handlers.get(ask.op);
    if (handler === undefined) return;
    let answer: Answer;
    try {
      answer = { id: ask.id, r: await handler(ask.p, from) };
    } catch (e) {
      answer = { id: ask.id, e: e instanceof Error ? e.message : String(e) };
    }
    this.#bus.send(from, "rp", answer);
  }
}
