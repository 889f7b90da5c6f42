// Helpers shared by the tests of the chat and its sessions (chat_test.ts,
// membership_test.ts, fanout_test.ts, announce_test.ts, commands_test.ts,
// session_test.ts, frame_mode_test.ts): a chat on a fake clock, members on
// fake peers, and a backplane whose claims answer when the test says so.

import assert from "node:assert/strict";
import type { Backplane, RoomInfo } from "../../core/backplane.ts";
import { MemoryBackplane } from "../../core/memory_backplane.ts";
import { Chat, type ChatOptions, type LogRecord } from "../../core/chat.ts";
import { type Command, encodeFrame } from "../../core/codec/mod.ts";
import type { ChatEvent, RoomEvent } from "../../core/events.ts";
import type { Limits } from "../../core/limits.ts";
import type { ConnectOptions, Session } from "../../core/session.ts";
import { FakeClock, FakePeer, settle } from "./_peers.ts";
import { concat } from "../_bytes.ts";

export interface Setup {
  chat: Chat;
  clock: FakeClock;
  logs: LogRecord[];
}

export function setup(
  options: { limits?: Partial<Limits>; backplane?: Backplane } = {},
): Setup {
  const clock = new FakeClock();
  const logs: LogRecord[] = [];
  const chatOptions: ChatOptions = {
    now: clock.now,
    log: (record) => logs.push(record),
  };
  if (options.limits) chatOptions.limits = options.limits;
  if (options.backplane) chatOptions.backplane = options.backplane;
  return { chat: new Chat(chatOptions), clock, logs };
}

export interface Conn {
  peer: FakePeer;
  session: Session;
  /** The room history that came right after the welcome (see `member`). */
  history?: ChatEvent[];
}

export function connect(
  chat: Chat,
  options: Partial<ConnectOptions> = {},
): Conn {
  const peer = new FakePeer();
  const session = chat.connect(peer, { transport: "memory", ...options });
  return { peer, session };
}

/**
 * Connect and join; the welcome is checked and cleared from the peer, and
 * so is the room's history after it (kept in `history`).
 */
export function member(
  chat: Chat,
  name: string,
  room = "lobby",
  options: Partial<ConnectOptions> = {},
): Conn {
  const conn = connect(chat, options);
  conn.session.handle({ type: "join", room, name });
  const [welcome, ...rest] = conn.peer.take();
  assert.equal(welcome?.type, "welcome", `${name} should be welcomed`);
  const history = rest.filter((e) => e.type === "history");
  assert.deepEqual(rest.slice(history.length), []);
  conn.history = history;
  return conn;
}

export function say(conn: Conn, text: string): void {
  conn.session.handle({ type: "say", text });
}

export function clear(...conns: Conn[]): void {
  for (const c of conns) c.peer.take();
}

export function error(code: string, fatal = false): Partial<ChatEvent> {
  return { type: "error", code: code as never, fatal };
}

/** Assert a list of events matches partial shapes, one to one. */
export function assertEvents(
  got: readonly ChatEvent[],
  expected: readonly Partial<ChatEvent>[],
  what = "events",
): void {
  assert.equal(
    got.length,
    expected.length,
    `${what}: ${JSON.stringify(got)}`,
  );
  got.forEach((event, i) => {
    const want = expected[i] as Record<string, unknown>;
    const have = event as unknown as Record<string, unknown>;
    for (const key of Object.keys(want)) {
      assert.deepEqual(have[key], want[key], `${what}[${i}].${key}`);
    }
  });
}

export function frames(...commands: Command[]): Uint8Array {
  return concat(...commands.map(encodeFrame));
}

/**
 * A backplane whose claims answer with a promise, when the test says so;
 * everything else is the MemoryBackplane it wraps.
 */
export class DeferredClaimBackplane implements Backplane {
  readonly inner: MemoryBackplane;
  /** Make the next claim fail (the cluster did not answer). */
  failNext = false;
  readonly #waiting: (() => void)[] = [];

  constructor(inner: MemoryBackplane = new MemoryBackplane()) {
    this.inner = inner;
  }

  get nodeId(): string {
    return this.inner.nodeId;
  }

  /** Claims not answered yet. */
  get waiting(): number {
    return this.#waiting.length;
  }

  claim(room: string, key: string, name: string): Promise<boolean> {
    const { promise, resolve, reject } = Promise.withResolvers<boolean>();
    const fail = this.failNext;
    this.failNext = false;
    this.#waiting.push(() =>
      fail
        ? reject(new Error("cluster down"))
        : resolve(this.inner.claim(room, key, name))
    );
    return promise;
  }

  /** Answer every waiting claim, then let the chat act on the answers. */
  async answer(): Promise<void> {
    for (const answer of this.#waiting.splice(0)) answer();
    await settle();
  }

  release(room: string, key: string): void {
    this.inner.release(room, key);
  }

  publish(event: RoomEvent): void {
    this.inner.publish(event);
  }

  listen(receiver: (event: RoomEvent) => void): void {
    this.inner.listen(receiver);
  }

  members(room: string): readonly string[] {
    return this.inner.members(room);
  }

  rooms(): readonly RoomInfo[] {
    return this.inner.rooms();
  }

  close(): void {
    this.inner.close();
  }
}

// ---------------------------------------------------------------------------
