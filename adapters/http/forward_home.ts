/**
 * The home's side of forwarded HTTP requests (adapters/http/forward.ts is
 * the other): an isolate answers, through its own app, a request another
 * isolate forwarded for a session it holds, and streams a streamed answer
 * (Server-Sent Events) back chunk by chunk, reading only as far as the
 * asking side grants (a window of {@link WINDOW_BYTES} ahead of what its
 * client took).
 *
 * @module
 */

import type { IsolateLink } from "./isolate_link.ts";
import { HttpProblem } from "./problem.ts";

/** Bytes of a streamed answer the home sends ahead of what the client took. */
export const WINDOW_BYTES = 256 * 1024;

/** An isolate's app, as `Deno.serve` calls it. */
export type Fetch = (
  request: Request,
  info: Deno.ServeHandlerInfo,
) => Response | Promise<Response>;

/** A forwarded request (`http.req`). */
export interface Ask {
  sid: number;
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array | null;
  remote: string | undefined;
}

/** The start of its answer (`http.head`); chunks and the end follow. */
export interface Head {
  sid: number;
  status: number;
  headers: [string, string][];
  streamed: boolean;
}

/** An answer being streamed back (on the home). */
interface Streaming {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  credit: number;
  pumping: boolean;
}

/** @internal Answers, on the home, of the requests other isolates forward. */
export class ForwardHome {
  readonly #link: IsolateLink;
  readonly #streaming = new Map<string, Streaming>();

  /**
   * @param link The other isolates.
   * @param fetch This isolate's app, which answers what others forward.
   */
  constructor(link: IsolateLink, fetch: Fetch) {
    this.#link = link;
    link.on("http.req", (p, from) => this.#serve(p as Ask, from, fetch));
    link.on("http.more", (p, from) => {
      const { sid, n } = p as { sid: number; n: number };
      const s = this.#streaming.get(`${from}:${sid}`);
      if (s === undefined) return;
      s.credit += n;
      this.#pump(`${from}:${sid}`, from, sid, s);
    });
    link.on("http.cancel", (p, from) => {
      const key = `${from}:${(p as { sid: number }).sid}`;
      this.#streaming.get(key)?.reader.cancel().catch(() => {});
      this.#streaming.delete(key);
    });
    link.onGone((isolate) => {
      for (const [key, s] of this.#streaming) {
        if (key.startsWith(`${isolate}:`)) {
          s.reader.cancel().catch(() => {});
          this.#streaming.delete(key);
        }
      }
    });
  }

  /** True when no answer is streaming back. */
  get idle(): boolean {
    return this.#streaming.size === 0;
  }

  /** Answer a request another isolate forwarded. */
  async #serve(ask: Ask, from: string, fetch: Fetch): Promise<void> {
    const request = new Request(ask.url, {
      method: ask.method,
      headers: ask.headers,
      ...(ask.body ? { body: ask.body as Uint8Array<ArrayBuffer> } : {}),
    });
    let response: Response;
    try {
      response = await fetch(request, infoOf(ask.remote));
    } catch {
      response = new HttpProblem(
        500,
        "INTERNAL",
        "Cannot answer: internal error",
      )
        .toResponse();
    }
    const streamed = response.body !== null;
    this.#link.send(
      from,
      "http.head",
      {
        sid: ask.sid,
        status: response.status,
        headers: [...response.headers],
        streamed,
      } satisfies Head,
    );
    if (!streamed) return;
    const s: Streaming = {
      reader: response.body!.getReader(),
      credit: WINDOW_BYTES,
      pumping: false,
    };
    this.#streaming.set(`${from}:${ask.sid}`, s);
    this.#pump(`${from}:${ask.sid}`, from, ask.sid, s);
  }

  /** Send chunks while the window allows. */
  async #pump(
    key: string,
    to: string,
    sid: number,
    s: Streaming,
  ): Promise<void> {
    if (s.pumping) return;
    s.pumping = true;
    try {
      while (s.credit > 0 && this.#streaming.get(key) === s) {
        const { done, value } = await s.reader.read();
        if (done) {
          this.#streaming.delete(key);
          this.#link.send(to, "http.end", { sid });
          return;
        }
        s.credit -= value.length;
        this.#link.send(to, "http.chunk", { sid, b: value });
      }
    } catch {
      this.#streaming.delete(key);
      this.#link.send(to, "http.end", { sid });
    } finally {
      s.pumping = false;
    }
  }
}

/** What `Deno.serve` would have passed for a client at `remote`. */
function infoOf(remote: string | undefined): Deno.ServeHandlerInfo {
  const at = remote?.lastIndexOf(":") ?? -1;
  const hostname = at > 0 ? remote!.slice(0, at).replace(/^\[|\]$/g, "") : "";
  const port = at > 0 ? Number(remote!.slice(at + 1)) : 0;
  return {
    remoteAddr: { transport: "tcp", hostname, port },
    completed: Promise.resolve(),
  } as Deno.ServeHandlerInfo;
}
