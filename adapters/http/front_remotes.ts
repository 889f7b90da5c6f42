/**
 * Which client each loopback connection to the HTTP server carries, as the
 * front's Worker tells the server's thread (adapters/http/front_thread.ts).
 * The Worker sends the news before the connection's first byte, but a
 * request can still overtake it between threads: {@link FrontRemotes.soon}
 * waits for it a moment.
 *
 * @module
 */

import { within } from "../within.ts";

/** Longest wait for a loopback port's client. */
const REMOTE_WAIT_MS = 1000;

/** Loopback ports and their clients (`HOST:PORT`). */
export class FrontRemotes {
  readonly #remotes = new Map<number, string>();
  readonly #waiting = new Map<
    number,
    ((remote: string | undefined) => void)[]
  >();

  /**
   * The client behind a loopback port, if known now.
   *
   * @param port The loopback connection's port.
   * @returns Its client, or undefined.
   */
  get(port: number): string | undefined {
    return this.#remotes.get(port);
  }

  /**
   * The client behind a loopback port, waiting up to a second for the news.
   *
   * @param port The loopback connection's port.
   * @returns Its client, or undefined when no news came.
   */
  async soon(port: number): Promise<string | undefined> {
    const known = this.#remotes.get(port);
    if (known !== undefined) return known;
    let resolve!: (remote: string | undefined) => void;
    const news = new Promise<string | undefined>((r) => resolve = r);
    const list = this.#waiting.get(port) ?? [];
    list.push(resolve);
    this.#waiting.set(port, list);
    const remote = await within(news, REMOTE_WAIT_MS);
    const left = this.#waiting.get(port)?.filter((r) => r !== resolve);
    if (left?.length) this.#waiting.set(port, left);
    else this.#waiting.delete(port);
    return remote;
  }

  /**
   * A loopback connection from `port` carries the requests of `remote`.
   *
   * @param port The loopback connection's port.
   * @param remote Its client.
   */
  set(port: number, remote: string): void {
    this.#remotes.set(port, remote);
    const waiting = this.#waiting.get(port);
    if (waiting === undefined) return;
    this.#waiting.delete(port);
    for (const resolve of waiting) resolve(remote);
  }

  /**
   * The loopback connection from `port` is gone.
   *
   * @param port Its port.
   */
  delete(port: number): void {
    this.#remotes.delete(port);
  }

  /** Forget every connection (their Worker died), and end every wait. */
  clear(): void {
    this.#remotes.clear();
    for (const list of this.#waiting.values()) {
      for (const resolve of list) resolve(undefined);
    }
    this.#waiting.clear();
  }
}
