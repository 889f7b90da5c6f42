// A real `deno serve --parallel --unstable-kv adapters/http/app.ts` with two
// isolates (DENO_JOBS=2) on a free port, its store in a temp dir
// (XDG_RUNTIME_DIR), for the serverless tests. Every request goes out on a
// new connection, so the kernel picks an isolate for each. Call `stop()`.

import assert from "node:assert/strict";
import { PERMISSIONS, Proc } from "../../_process.ts";
import {
  callJson,
  type CallOptions,
  type CallResult,
} from "../_http_server.ts";
import { SseReader } from "../_sse.ts";

/** The admin token the servers run with. */
export const ADMIN = "serverless-admin-token-0123456789";

const APP = new URL("../../../adapters/http/app.ts", import.meta.url).pathname;

/** A free loopback port (bound, then let go). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running `deno serve --parallel` with two isolates. */
export class Serverless {
  readonly #readers: SseReader[] = [];
  readonly #client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  /** The isolates' ids, from their logs. */
  readonly isolates: string[] = [];

  private constructor(
    readonly proc: Proc,
    readonly dir: string,
    readonly url: string,
  ) {}

  /** Start it and wait until both isolates have joined. */
  static async start(env: Record<string, string> = {}): Promise<Serverless> {
    const dir = await Deno.makeTempDir({ prefix: "roomcast-serverless-" });
    const port = freePort();
    const proc = new Proc(Deno.execPath(), [
      "serve",
      "--parallel",
      ...PERMISSIONS.serve,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      APP,
    ], {
      env: {
        DENO_JOBS: "2",
        CHAT_ADMIN_TOKEN: ADMIN,
        XDG_RUNTIME_DIR: dir,
        ...env,
      },
    });
    const server = new Serverless(proc, dir, `http://127.0.0.1:${port}`);
    try {
      for (let i = 0; i < 2; i++) {
        const m = await proc.expect(
          /isolates state=joined isolate=(\w+)/,
          "stderr",
          20_000,
        );
        server.isolates.push(m[1]!);
      }
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  /** A JSON request on a new connection: status, parsed body, headers. */
  call(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<CallResult> {
    return callJson(this.url + path, method, options, {
      client: this.#client,
      signal: AbortSignal.timeout(10_000),
    });
  }

  /** Join over HTTP; returns the session token (its home is its first part). */
  async session(name: string, room = "lobby"): Promise<string> {
    const r = await this.call("POST", `/api/rooms/${room}/sessions`, {
      body: { name },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return (r.body as { token: string }).token;
  }

  /** Say something as a session. */
  async say(token: string, text: string, room = "lobby"): Promise<number> {
    const r = await this.call("POST", `/api/rooms/${room}/messages`, {
      token,
      body: { text },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return (r.body as { id: number }).id;
  }

  /** A session's event stream, on a new connection. */
  async events(
    token: string,
    room = "lobby",
    lastEventId?: number,
  ): Promise<SseReader> {
    const res = await fetch(`${this.url}/api/rooms/${room}/events`, {
      client: this.#client,
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

  /**
   * Two sessions whose tokens are held by different isolates: `first`, and
   * `second` with a number (`pat0`, `pat1`...: joined on new connections
   * until the homes differ; the extra sessions leave again).
   */
  async spread(
    first: string,
    second: string,
  ): Promise<{ a: string; b: string; name: string }> {
    const a = await this.session(first);
    for (let i = 0; i < 40; i++) {
      const name = `${second}${i}`;
      const b = await this.session(name);
      if (homeOf(b) !== homeOf(a)) return { a, b, name };
      await this.call("DELETE", "/api/sessions/me", { token: b });
    }
    throw new Error("every session landed on one isolate");
  }

  /** Stop the server (SIGKILL if still running) and clean up. */
  async stop(): Promise<void> {
    for (const r of this.#readers) await r.cancel();
    await this.proc.stop();
    this.#client.close();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** The isolate that holds a session: the first part of its token. */
export function homeOf(token: string): string {
  return token.split(".")[0]!;
}
