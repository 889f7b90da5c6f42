// A real `cli.ts serve` process with HTTP, for integration tests: where it
// listens, and a few HTTP helpers. Call `stop()` in `finally`.

import assert from "node:assert/strict";
import { Proc } from "../_process.ts";
import { SseReader } from "./_sse.ts";

/** The admin token the test servers run with. */
export const ADMIN = "integration-admin-token-0123456789";

/** Options of {@link callJson}. */
export interface CallOptions {
  /** A session token, sent as `Authorization: Bearer`. */
  token?: string;
  /** A body, sent as JSON. */
  body?: unknown;
  /** More headers. */
  headers?: Record<string, string>;
}

/** What {@link callJson} answers. */
export interface CallResult {
  status: number;
  body: unknown;
  headers: Headers;
}

/**
 * A JSON request to `url`; returns status, parsed body and headers. `init`
 * adds to what is fetched with (a client of its own, a time limit).
 */
export async function callJson(
  url: string,
  method: string,
  options: CallOptions = {},
  init: RequestInit & { client?: Deno.HttpClient } = {},
): Promise<CallResult> {
  const res = await fetch(url, {
    ...init,
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined
        ? { "content-type": "application/json" }
        : {}),
      ...options.headers,
    },
    ...(options.body !== undefined
      ? { body: JSON.stringify(options.body) }
      : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : undefined,
    headers: res.headers,
  };
}

/** A running server process. */
export class HttpServerProc {
  /** `tcp://...`, `unix://...`, `http://...` by transport. */
  readonly urls: Record<string, string> = {};
  readonly #readers: SseReader[] = [];

  private constructor(readonly proc: Proc, readonly dir: string) {}

  /**
   * Start `cli.ts serve -t TRANSPORTS` on free ports and a socket in a temp
   * dir, with the admin token in CHAT_ADMIN_TOKEN (unless `env` says else).
   */
  static async start(
    transports: string[],
    args: string[] = [],
    env: Record<string, string> = { CHAT_ADMIN_TOKEN: ADMIN },
  ): Promise<HttpServerProc> {
    const dir = await Deno.makeTempDir({ prefix: "roomcast-http-" });
    const proc = Proc.cli("serve", [
      "serve",
      "-t",
      transports.join(","),
      "--port",
      "0",
      "--http-port",
      "0",
      "--socket",
      `${dir}/chat.sock`,
      ...args,
    ], { env });
    const server = new HttpServerProc(proc, dir);
    try {
      for (let i = 0; i < transports.length; i++) {
        const m = await proc.expect(
          /listen transport=(\w+) url=(\S+)/,
          "stderr",
        );
        server.urls[m[1]!] = m[2]!;
      }
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  /** The HTTP base URL. */
  get http(): string {
    return this.urls.http!;
  }

  /** A JSON request; returns status and parsed body ({@link callJson}). */
  call(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult> {
    return callJson(this.http + path, method, options);
  }

  /** Join over HTTP; returns the session token. */
  async session(name: string, room = "lobby"): Promise<string> {
    const r = await this.call("POST", `/api/rooms/${room}/sessions`, {
      body: { name },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return (r.body as { token: string }).token;
  }

  /** Open a session's event stream over the network. */
  async events(
    token: string,
    room = "lobby",
    lastEventId?: number,
  ): Promise<SseReader> {
    const res = await fetch(`${this.http}/api/rooms/${room}/events`, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(lastEventId !== undefined
          ? { "last-event-id": String(lastEventId) }
          : {}),
      },
    });
    if (res.status !== 200) assert.fail(`${res.status} ${await res.text()}`);
    const reader = new SseReader(res.body!);
    this.#readers.push(reader);
    return reader;
  }

  /** Kill the server if it still runs, and clean up. */
  async stop(): Promise<void> {
    for (const r of this.#readers) await r.cancel();
    await this.proc.stop();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Run a command to its end; returns exit code and output. */
export async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  return {
    code: out.code,
    stdout: td.decode(out.stdout),
    stderr: td.decode(out.stderr),
  };
}
