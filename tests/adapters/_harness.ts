// The shared harness of the adapter conformance suite: a server started by
// the transport under test, the raw clients connected to it, and the
// assertions every case uses. Everything started here is closed in `end`.

import assert from "node:assert/strict";
import type { AnnounceResult } from "../../core/chat.ts";
import { PROTOCOL_VERSION } from "../../core/codec/mod.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import type { ChatEvent } from "../../core/events.ts";
import type { Limits } from "../../core/limits.ts";
import type { TestClient } from "./_client.ts";

/** What a case asks of the server it runs against. */
export interface StartOptions {
  /** Limits to override. */
  limits?: Partial<Limits>;
  /** How often the server applies timeouts, in ms. */
  tickMs?: number;
}

/** A server started for one case (one process, or Workers). */
export interface SuiteServer {
  /** Where clients connect: the server's listeners. */
  readonly listeners: readonly {
    readonly transport: string;
    readonly url: string;
  }[];
  /** Announce to every room as the administrator. */
  announce(text: string): AnnounceResult | Promise<AnnounceResult>;
  /** Tell every member the server is shutting down, and close. */
  shutdown(): Promise<void>;
  /** Shut it down and remove whatever `start` made (temp dirs). */
  close(): Promise<void>;
}

/** How a transport plugs into the conformance suite. */
export interface AdapterSuiteOptions {
  /** Transport name, used in test names. */
  name: string;
  /** Start a server serving this transport only. */
  start(options: StartOptions): Promise<SuiteServer>;
  /** Connect one raw client to it. */
  connectClient(server: SuiteServer): Promise<TestClient>;
  /** Names of cases that do not apply to this transport. */
  skip?: readonly string[];
}

/** One case of the suite. */
export interface Case {
  /** Test name (also what `skip` lists). */
  name: string;
  /** Server options for this case. */
  start?: StartOptions;
  /** The test. */
  fn(h: Harness): Promise<void>;
}

/** One case's server and clients. */
export class Harness {
  readonly #options: AdapterSuiteOptions;
  readonly #clients: TestClient[] = [];
  /** The server under test. */
  readonly server: SuiteServer;
  #barriers = 0;

  constructor(options: AdapterSuiteOptions, server: SuiteServer) {
    this.#options = options;
    this.server = server;
  }

  /** A new raw client, closed by {@link Harness.end}. */
  async connect(): Promise<TestClient> {
    const client = await this.#options.connectClient(this.server);
    this.#clients.push(client);
    return client;
  }

  /** A client that has said HELLO and had its HELLO_OK. */
  async hello(): Promise<TestClient> {
    const c = await this.connect();
    c.send({ type: "hello", version: PROTOCOL_VERSION, software: "test/1" });
    const ok = await c.next();
    assert.equal(ok.type, "hello_ok", JSON.stringify(ok));
    return c;
  }

  /**
   * A member of `room`, welcomed; each of `others` (already in the room)
   * takes its `joined` notice.
   */
  async member(
    name: string,
    room = "lobby",
    others: readonly TestClient[] = [],
  ): Promise<TestClient> {
    const c = await this.hello();
    c.send({ type: "join", room, name });
    const welcome = await c.next();
    assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
    for (const o of others) {
      assert.deepEqual(await o.next(), { type: "joined", room, name });
    }
    return c;
  }

  /** Members in `lobby`, in order, every joined notice taken. */
  async members(...names: string[]): Promise<TestClient[]> {
    const out: TestClient[] = [];
    for (const name of names) out.push(await this.member(name, "lobby", out));
    return out;
  }

  /**
   * Prove that `listeners` got nothing else: `speaker` says a fresh line and
   * it must be the next event each listener sees.
   */
  async barrier(
    speaker: TestClient,
    listeners: readonly TestClient[],
    from: string,
    room = "lobby",
  ): Promise<void> {
    const text = `barrier ${++this.#barriers}`;
    speaker.send({ type: "say", text });
    for (const l of listeners) {
      assert.deepEqual(await l.next(), { type: "message", room, from, text });
    }
  }

  /** Close every client, then the server. */
  async end(): Promise<void> {
    const results = await Promise.allSettled(
      this.#clients.map((c) => c.close()),
    );
    await this.server.close();
    for (const r of results) if (r.status === "rejected") throw r.reason;
  }
}

/** Assert the next event is exactly `expected`. */
export async function expectEvent(
  client: TestClient,
  expected: ChatEvent,
): Promise<void> {
  assert.deepEqual(await client.next(), expected);
}

/** Assert the next event is an error with this code and fatality. */
export async function expectError(
  client: TestClient,
  code: ErrorCodeName,
  fatal: boolean,
): Promise<void> {
  const e = await client.next();
  assert.equal(e.type, "error", JSON.stringify(e));
  if (e.type !== "error") return;
  assert.equal(e.code, code, e.message);
  assert.equal(e.fatal, fatal, `fatal of ${code}`);
  assert.match(e.message, /^Cannot /);
}

/** Assert the next event is a fatal error, then that the server closes. */
export async function expectFatal(
  client: TestClient,
  code: ErrorCodeName,
): Promise<void> {
  await expectError(client, code, true);
  await client.ended();
}
