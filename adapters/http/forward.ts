/**
 * HTTP requests for a session another isolate holds, when several isolates
 * serve one chat: the isolate a request lands on (the kernel picks one per
 * connection) checks the session token's signature and expiry
 * (adapters/http/session_token.ts), and hands a genuine token it does not
 * hold to the isolate that does (the token's _home_), over the isolates'
 * channel. The home answers the request as if it had come to it, so the
 * session, its event ids and its history stay in one place; a streamed
 * answer (Server-Sent Events) comes back chunk by chunk, the home reading
 * only as far as the client takes (a window of `WINDOW_BYTES`), so a slow
 * reader is still cut off at its outbound limit on the home. This file is
 * the side of the isolate a request came to; the home's side is
 * adapters/http/forward_home.ts.
 *
 * @module
 */

import {
  type Ask,
  type Fetch,
  ForwardHome,
  type Head,
  WINDOW_BYTES,
} from "./forward_home.ts";
import type { IsolateLink } from "./isolate_link.ts";
import { HttpProblem } from "./problem.ts";

/** Longest wait for the home's answer to start, in ms. */
const HEAD_TIMEOUT_MS = 10_000;

/** Paths whose requests carry a session token. */
const SESSION_PATHS = /^\/api\/(sessions\/me|rooms\/[^/]+\/(messages|events))$/;

/** Where a request waits for its home's answer (on the isolate it came to). */
interface Waiting {
  home: string;
  head: (h: Head) => void;
  controller?: ReadableStreamDefaultController<Uint8Array>;
  owed: number;
}

/**
 * Wait until a condition holds, looking every 10 ms, at most `ms`.
 *
 * @param done The condition.
 * @param ms The longest wait.
 * @returns When it holds or the time is up.
 */
export async function until(done: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!done() && performance.now() < end) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Both sides of forwarded requests for one isolate's app.
 *
 * @example
 * ```ts ignore
 * const forwarder = new HttpForwarder(link, (req, info) => app.fetch(req, info));
 * const answer = await forwarder.forward("3fa2c1d0e4b5", request, "127.0.0.1:50000");
 * ```
 */
export class HttpForwarder {
  readonly #link: IsolateLink;
  readonly #waiting = new Map<number, Waiting>();
  readonly #home: ForwardHome;
  #next = 1;

  /**
   * @param link The other isolates.
   * @param fetch This isolate's app, which answers what others forward.
   */
  constructor(link: IsolateLink, fetch: Fetch) {
    this.#link = link;
    this.#home = new ForwardHome(link, fetch);
    link.on("http.head", (p) => {
      const h = p as Head;
      this.#waiting.get(h.sid)?.head(h);
    });
    link.on("http.chunk", (p) => {
      const { sid, b } = p as { sid: number; b: Uint8Array };
      const w = this.#waiting.get(sid);
      if (w?.controller === undefined) return;
      try {
        w.controller.enqueue(b);
      } catch {
        return;
      }
      if ((w.controller.desiredSize ?? 0) > 0) {
        this.#link.send(w.home, "http.more", { sid, n: b.length });
      } else w.owed += b.length;
    });
    link.on("http.end", (p) => this.#end((p as { sid: number }).sid));
    link.onGone((isolate) => {
      for (const [sid, w] of this.#waiting) {
        if (w.home === isolate) this.#end(sid, true);
      }
    });
  }

  /**
   * Have the home isolate answer a request.
   *
   * @param home The isolate that holds the request's session.
   * @param request The request as it came (its body is not read).
   * @param body Its body, already read (null for none).
   * @param remote The client's address, for the home's logs.
   * @returns The home's answer; 503 UNAVAILABLE when it does not start
   *   answering within 10 s.
   */
  forward(
    home: string,
    request: Request,
    body: Uint8Array | null,
    remote: string | undefined,
  ): Promise<Response> {
    const sid = this.#next++;
    return new Promise<Response>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(sid);
        resolve(
          new HttpProblem(
            503,
            "UNAVAILABLE",
            "Cannot reach the isolate that holds this session",
          ).toResponse(),
        );
      }, HEAD_TIMEOUT_MS);
      const waiting: Waiting = {
        home,
        owed: 0,
        head: (h) => {
          clearTimeout(timer);
          if (!h.streamed) {
            this.#waiting.delete(sid);
            return resolve(
              new Response(null, { status: h.status, headers: h.headers }),
            );
          }
          const stream = new ReadableStream<Uint8Array>({
            start: (c) => void (waiting.controller = c),
            pull: () => {
              if (waiting.owed === 0) return;
              this.#link.send(home, "http.more", { sid, n: waiting.owed });
              waiting.owed = 0;
            },
            cancel: () => {
              this.#waiting.delete(sid);
              this.#link.send(home, "http.cancel", { sid });
            },
          }, new ByteLengthQueuingStrategy({ highWaterMark: WINDOW_BYTES }));
          resolve(
            new Response(stream, { status: h.status, headers: h.headers }),
          );
        },
      };
      this.#waiting.set(sid, waiting);
      this.#link.send(
        home,
        "http.req",
        {
          sid,
          method: request.method,
          url: request.url,
          headers: [...request.headers],
          body,
          remote,
        } satisfies Ask,
      );
    });
  }

  /**
   * Settles once no forwarded answer is streaming either way (each ended,
   * with its last bytes handed on), or after `ms`: at shutdown, the
   * goodbyes of members whose streams cross isolates get through before
   * the process exits.
   *
   * @param ms The longest wait.
   * @returns When settled.
   */
  settled(ms: number): Promise<void> {
    return until(
      () => this.#waiting.size === 0 && this.#home.idle,
      ms,
    );
  }

  /** The stream of a forwarded answer ended (or its home is gone). */
  #end(sid: number, cut = false): void {
    const w = this.#waiting.get(sid);
    this.#waiting.delete(sid);
    try {
      if (cut) w?.controller?.error(new Error("Cannot go on: isolate gone"));
      else w?.controller?.close();
    } catch { /* cancelled meanwhile */ }
  }
}

/**
 * Whether a request is for a session (it carries a session token).
 *
 * @param request The request.
 * @returns True for `DELETE /api/sessions/me`, `POST .../messages` and
 *   `GET .../events`.
 */
export function isSessionRequest(request: Request): boolean {
  return SESSION_PATHS.test(new URL(request.url).pathname);
}

const forwarders = new WeakMap<object, HttpForwarder>();

/**
 * Remember a hub's forwarder, so that shutdown can wait for it.
 *
 * @param hub The hub.
 * @param forwarder Its forwarder.
 */
export function keepForwarder(hub: object, forwarder: HttpForwarder): void {
  forwarders.set(hub, forwarder);
}

/**
 * The forwarder of a hub, if it has one (several isolates).
 *
 * @param hub The hub.
 * @returns The forwarder, or undefined.
 */
export function forwarderOf(hub: object): HttpForwarder | undefined {
  return forwarders.get(hub);
}
