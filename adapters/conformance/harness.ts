/**
 * The harness of one conformance case: the server under test (by URL), the
 * clients a case opens (closed at its end), members made in a few words,
 * the limits the server announced, room names of the case's own, and the
 * assertions every case uses. A case must pass against any server that
 * follows docs/protocol.md, so it assumes nothing the server did not say:
 * limits come from HELLO_OK, rooms are the case's own (other people may be
 * chatting on the server), and error messages are not read.
 *
 * @module
 */

import assert from "node:assert/strict";
import { PROTOCOL_VERSION } from "../../core/codec/mod.ts";
import type { ErrorCodeName } from "../../core/errors.ts";
import type { ChatEvent } from "../../core/events.ts";
import type { ConformanceClient } from "./client.ts";

/** How a {@link Harness} reaches the server under test. */
export interface HarnessOptions {
  /** The server's URL: `tcp://HOST:PORT`, `unix:///PATH` or `udp://HOST:PORT`. */
  readonly url: string;
  /** The transport: `tcp`, `unix`, `udp` (or a test's own, such as `ws`). */
  readonly transport: string;
  /** Open a client to a server (`url`, or a relay in front of it). */
  connect(url: string): Promise<ConformanceClient>;
  /**
   * Appended to every room name (`lobby-k3f9`), so that a case's rooms are
   * its own on a shared server. @default {""}
   */
  readonly rooms?: string;
  /** When given, every ERROR's message must match it. */
  readonly messages?: RegExp;
}

/** The limits a server announced in HELLO_OK. */
export interface AnnouncedLimits {
  /** Largest frame it accepts, header included. */
  readonly maxFrame: number;
  /** Largest SAY text it accepts, in UTF-8 bytes. */
  readonly maxMessage: number;
}

/** Anything a case opens that must be closed at its end. */
export interface Closeable {
  /** Release it. */
  close(): Promise<void> | void;
}

/** One case's view of the server, and what it opened. */
export class Harness {
  /** The server's URL. */
  readonly url: string;
  /** The transport under test. */
  readonly transport: string;
  readonly #options: HarnessOptions;
  readonly #opened: Closeable[] = [];
  #limits: AnnouncedLimits | undefined;
  #barriers = 0;

  /**
   * A harness for one case.
   * @param options The server under test, and how to reach it.
   */
  constructor(options: HarnessOptions) {
    this.#options = options;
    this.url = options.url;
    this.transport = options.transport;
  }

  /** The limits from the first HELLO_OK a case saw (after {@link hello}). */
  get limits(): AnnouncedLimits {
    if (this.#limits === undefined) {
      throw new Error("Cannot read limits: no HELLO_OK yet");
    }
    return this.#limits;
  }

  /** True over UDP. */
  get datagram(): boolean {
    return this.transport === "udp";
  }

  /** The case's own room called `base`. */
  room(base = "lobby"): string {
    const suffix = this.#options.rooms ?? "";
    return suffix === "" ? base : `${base}-${suffix}`;
  }

  /**
   * Close `thing` at the end of the case.
   *
   * @param thing A client, a relay, a socket.
   * @returns `thing`.
   */
  track<T extends Closeable>(thing: T): T {
    this.#opened.push(thing);
    return thing;
  }

  /** A new client of the server (or of `url`), closed at the end. */
  async connect(url: string = this.url): Promise<ConformanceClient> {
    return this.track(await this.#options.connect(url));
  }

  /** A client that has said HELLO and had its HELLO_OK. */
  async hello(url: string = this.url): Promise<ConformanceClient> {
    const c = await this.connect(url);
    c.send({ type: "hello", version: PROTOCOL_VERSION, software: "kit/1" });
    const ok = await c.next();
    assert.equal(ok.type, "hello_ok", JSON.stringify(ok));
    if (ok.type === "hello_ok") {
      this.#limits ??= { maxFrame: ok.maxFrame, maxMessage: ok.maxMessage };
    }
    return c;
  }

  /**
   * A member of `room`, welcomed; each of `others` (already in the room)
   * takes its `joined` notice.
   */
  async member(
    name: string,
    room: string = this.room(),
    others: readonly ConformanceClient[] = [],
  ): Promise<ConformanceClient> {
    const c = await this.hello();
    c.send({ type: "join", room, name });
    const welcome = await c.next();
    assert.equal(welcome.type, "welcome", JSON.stringify(welcome));
    for (const o of others) {
      assert.deepEqual(await o.next(), { type: "joined", room, name });
    }
    return c;
  }

  /** Members of the case's `lobby`, in order, every joined notice taken. */
  async members(...names: string[]): Promise<ConformanceClient[]> {
    const out: ConformanceClient[] = [];
    for (const name of names) out.push(await this.member(name, undefined, out));
    return out;
  }

  /**
   * Prove that `listeners` got nothing else: `speaker` says a fresh line and
   * it must be the next event each listener sees.
   */
  async barrier(
    speaker: ConformanceClient,
    listeners: readonly ConformanceClient[],
    from: string,
    room: string = this.room(),
  ): Promise<void> {
    const text = `barrier ${++this.#barriers}`;
    speaker.send({ type: "say", text });
    for (const l of listeners) {
      assert.deepEqual(await l.next(), { type: "message", room, from, text });
    }
  }

  /** Assert the next event is an error with this code and fatality. */
  async expectError(
    client: ConformanceClient,
    code: ErrorCodeName,
    fatal: boolean,
  ): Promise<void> {
    const e = await client.next();
    assert.equal(e.type, "error", JSON.stringify(e));
    if (e.type !== "error") return;
    assert.equal(e.code, code, e.message);
    assert.equal(e.fatal, fatal, `fatal of ${code}`);
    if (this.#options.messages) assert.match(e.message, this.#options.messages);
  }

  /** Assert the next event is a fatal error, then that the server closes. */
  async expectFatal(
    client: ConformanceClient,
    code: ErrorCodeName,
  ): Promise<void> {
    await this.expectError(client, code, true);
    await client.ended();
  }

  /** Close everything the case opened, newest first. */
  async end(): Promise<void> {
    const results = await Promise.allSettled(
      this.#opened.splice(0).reverse().map((c) => c.close()),
    );
    for (const r of results) if (r.status === "rejected") throw r.reason;
  }
}

/** Assert the next event is exactly `expected`. */
export async function expectEvent(
  client: ConformanceClient,
  expected: ChatEvent,
): Promise<void> {
  assert.deepEqual(await client.next(), expected);
}
