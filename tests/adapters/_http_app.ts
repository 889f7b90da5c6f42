// A chat with its HTTP app and a hand-driven clock, for tests through
// `app.request()` (no socket). Call `close()` in `finally`.

import assert from "node:assert/strict";
import { createHttpApp } from "../../adapters/http/app.ts";
import { HttpHub } from "../../adapters/http/hub.ts";
import type { HttpLimits } from "../../adapters/http/limits.ts";
import { Chat } from "../../core/chat.ts";
import type { ChatEvent } from "../../core/events.ts";
import type { Limits } from "../../core/limits.ts";
import { addMember } from "../../core/member.ts";
import { SseReader } from "./_sse.ts";

/** The admin token of test apps. */
export const ADMIN = "test-admin-token-0123456789";

/** A member in the same process, with what it received. */
export interface Listener {
  /** Events received, in order. */
  readonly events: ChatEvent[];
  /** Say something. */
  say(text: string): void;
  /** Leave. */
  leave(): void;
}

/** A test app and its chat. */
export class TestApp {
  /** The chat clock, in ms. */
  t = 0;
  readonly chat: Chat;
  readonly hub: HttpHub;
  readonly app: ReturnType<typeof createHttpApp>;
  readonly #readers: SseReader[] = [];

  constructor(
    options: { limits?: Partial<Limits>; http?: Partial<HttpLimits> } = {},
  ) {
    this.chat = new Chat({
      now: () => this.t,
      ...(options.limits ? { limits: options.limits } : {}),
    });
    this.hub = new HttpHub(this.chat, {
      adminToken: ADMIN,
      ...(options.http ? { limits: options.http } : {}),
    });
    this.app = createHttpApp(this.hub);
  }

  /** A request to the app. */
  request(path: string, init: RequestInit = {}): Promise<Response> {
    return Promise.resolve(this.app.request(path, init));
  }

  /** A JSON POST, with a bearer token when given. */
  post(path: string, body: unknown, token?: string): Promise<Response> {
    return this.request(path, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /** Join over HTTP; returns the session token. */
  async session(name: string, room = "lobby"): Promise<string> {
    const res = await this.post(`/api/rooms/${room}/sessions`, { name });
    const body = await res.json();
    assert.equal(res.status, 201, JSON.stringify(body));
    return body.token;
  }

  /** Open the event stream of a session. */
  async events(
    token: string,
    room = "lobby",
    lastEventId?: number,
  ): Promise<SseReader> {
    const res = await this.request(`/api/rooms/${room}/events`, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(lastEventId !== undefined
          ? { "last-event-id": String(lastEventId) }
          : {}),
      },
    });
    if (res.status !== 200) assert.fail(`${res.status} ${await res.text()}`);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const reader = new SseReader(res.body!);
    this.#readers.push(reader);
    return reader;
  }

  /** An in-process member of a room. */
  async member(name: string, room = "lobby"): Promise<Listener> {
    const events: ChatEvent[] = [];
    const m = await addMember(this.chat, {
      name,
      room,
      onEvent: (e) => events.push(e),
    });
    events.length = 0; // drop the welcome
    return { events, say: (text) => m.say(text), leave: () => m.leave() };
  }

  /** Stop everything. */
  async close(): Promise<void> {
    for (const r of this.#readers) await r.cancel();
    this.hub.close();
    await this.chat.shutdown();
  }
}

/** Run `fn` with a fresh test app, closed afterwards. */
export async function withApp(
  fn: (t: TestApp) => Promise<void>,
  options?: ConstructorParameters<typeof TestApp>[0],
): Promise<void> {
  const t = new TestApp(options);
  try {
    await fn(t);
  } finally {
    await t.close();
  }
}

/** Assert a problem response with this status and code; returns its body. */
export async function expectProblem(
  res: Response,
  status: number,
  code: string,
): Promise<{ detail: string; code: string; status: number; type: string }> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = JSON.parse(text);
  assert.equal(body.code, code, text);
  assert.equal(body.status, status);
  assert.equal(body.type, `urn:roomcast:error:${code}`);
  assert.equal(typeof body.title, "string");
  assert.match(body.detail, /^Cannot /);
  return body;
}

/** Let queued microtasks (stream flushes) run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
