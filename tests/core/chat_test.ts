import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Backplane,
  MemoryBackplane,
  MemoryBus,
  type RoomInfo,
} from "../../core/backplane.ts";
import { Chat, type ChatOptions, type LogRecord } from "../../core/chat.ts";
import {
  type Command,
  encodeFrame,
  PROTOCOL_VERSION,
} from "../../core/codec/mod.ts";
import type { ChatEvent, RoomEvent } from "../../core/events.ts";
import type { Limits } from "../../core/limits.ts";
import {
  type ConnectOptions,
  LOGGED_REFUSALS,
  type Session,
  SOFTWARE,
} from "../../core/session.ts";
import { FakeClock, FakePeer, settle } from "./_peers.ts";
import { concat } from "../_bytes.ts";

// ---------------------------------------------------------------------------
// Helpers

interface Setup {
  chat: Chat;
  clock: FakeClock;
  logs: LogRecord[];
}

function setup(
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

interface Conn {
  peer: FakePeer;
  session: Session;
}

function connect(chat: Chat, options: Partial<ConnectOptions> = {}): Conn {
  const peer = new FakePeer();
  const session = chat.connect(peer, { transport: "memory", ...options });
  return { peer, session };
}

/** Connect and join; the welcome is checked and cleared from the peer. */
function member(
  chat: Chat,
  name: string,
  room = "lobby",
  options: Partial<ConnectOptions> = {},
): Conn {
  const conn = connect(chat, options);
  conn.session.handle({ type: "join", room, name });
  const [welcome, ...rest] = conn.peer.take();
  assert.equal(welcome?.type, "welcome", `${name} should be welcomed`);
  assert.deepEqual(rest, []);
  return conn;
}

function say(conn: Conn, text: string): void {
  conn.session.handle({ type: "say", text });
}

function clear(...conns: Conn[]): void {
  for (const c of conns) c.peer.take();
}

function error(code: string, fatal = false): Partial<ChatEvent> {
  return { type: "error", code: code as never, fatal };
}

/** Assert a list of events matches partial shapes, one to one. */
function assertEvents(
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

function frames(...commands: Command[]): Uint8Array {
  return concat(...commands.map(encodeFrame));
}

/**
 * A backplane whose claims answer with a promise, when the test says so;
 * everything else is the MemoryBackplane it wraps.
 */
class DeferredClaimBackplane implements Backplane {
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
// Joining

Deno.test("chat: join is welcomed with the member list; others see joined", () => {
  const { chat } = setup();
  const amy = connect(chat);
  assert.equal(amy.session.state, "ready");
  amy.session.handle({ type: "join", room: "Lobby", name: "Amy" });
  assert.deepEqual(amy.peer.take(), [
    { type: "welcome", room: "lobby", name: "Amy", members: ["Amy"], total: 1 },
  ]);
  assert.equal(amy.session.state, "joined");
  assert.equal(amy.session.name, "Amy");
  assert.equal(amy.session.room, "lobby");

  const bob = connect(chat);
  bob.session.handle({ type: "join", room: "lobby", name: "bob" });
  assert.deepEqual(bob.peer.take(), [
    {
      type: "welcome",
      room: "lobby",
      name: "bob",
      members: ["Amy", "bob"],
      total: 2,
    },
  ]);
  // Joined goes to the others, not to the one who joined.
  assert.deepEqual(amy.peer.take(), [
    { type: "joined", room: "lobby", name: "bob" },
  ]);
  assert.deepEqual(chat.members("LOBBY"), ["Amy", "bob"]);
  assert.deepEqual(chat.rooms(), [{ room: "lobby", members: 2 }]);
});

Deno.test("chat: a message goes to every other member, not the sender", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat");
  const dan = member(chat, "dan", "elsewhere");
  clear(amy, bob, cat);
  say(amy, "hi 你好");
  const message = {
    type: "message",
    room: "lobby",
    from: "amy",
    text: "hi 你好",
  };
  assert.deepEqual(bob.peer.take(), [message]);
  assert.deepEqual(cat.peer.take(), [message]);
  assert.deepEqual(amy.peer.take(), []);
  assert.deepEqual(dan.peer.take(), []);
});

Deno.test("chat: a fan-out is encoded once and shared by every recipient", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat");
  clear(amy, bob, cat);
  say(amy, "shared");
  const [toBob] = bob.peer.sent;
  const [toCat] = cat.peer.sent;
  assert.ok(toBob !== undefined && toCat !== undefined);
  assert.equal(toBob, toCat, "the same Outgoing instance");
  const bytes = toBob.binary();
  assert.equal(toCat.binary(), bytes, "the same Uint8Array object");
  assert.equal(toBob.json(), toCat.json());

  // Joined, left and announcements are shared too.
  member(chat, "dan");
  assert.equal(amy.peer.sent.at(-1), bob.peer.sent.at(-1));
  chat.announce("all");
  assert.equal(amy.peer.sent.at(-1), cat.peer.sent.at(-1));
  cat.session.close();
  assert.equal(amy.peer.sent.at(-1), bob.peer.sent.at(-1));
  assert.equal(amy.peer.last?.type, "left");
});

Deno.test("chat: a taken name is refused, then another name succeeds", () => {
  const { chat } = setup();
  const bob = member(chat, "bob");
  const other = connect(chat);
  other.session.handle({ type: "join", room: "lobby", name: "bob" });
  assertEvents(other.peer.take(), [error("NAME_TAKEN")]);
  assert.equal(other.session.state, "ready");
  assert.equal(other.peer.closed, false);
  assert.deepEqual(bob.peer.take(), []);

  // Case-insensitively, and in any width.
  for (const name of ["BOB", "Bob", "Ｂｏｂ", " bob "]) {
    other.session.handle({ type: "join", room: "LOBBY", name });
    assertEvents(other.peer.take(), [error("NAME_TAKEN")], name);
  }

  other.session.handle({ type: "join", room: "lobby", name: "bob2" });
  assertEvents(other.peer.take(), [
    { type: "welcome", name: "bob2", members: ["bob", "bob2"] },
  ]);
  assert.deepEqual(bob.peer.take(), [
    { type: "joined", room: "lobby", name: "bob2" },
  ]);

  // The same name in another room is fine.
  member(chat, "bob", "elsewhere");
});

Deno.test("chat: reserved and invalid names and rooms are refused, session goes on", () => {
  const { chat } = setup();
  const c = connect(chat);
  const cases: [string, string, string][] = [
    ["lobby", "admin", "NAME_RESERVED"],
    ["lobby", "ADMIN", "NAME_RESERVED"],
    ["lobby", "Admin", "NAME_RESERVED"],
    ["lobby", "ａｄｍｉｎ", "NAME_RESERVED"],
    ["lobby", "管理员", "NAME_RESERVED"],
    ["lobby", "system", "NAME_RESERVED"],
    ["lobby", "", "NAME_INVALID"],
    ["lobby", "/quit", "NAME_INVALID"],
    ["lobby", "bo\u200db", "NAME_INVALID"],
    ["lobby", "x".repeat(33), "NAME_INVALID"],
    ["two words", "bob", "ROOM_INVALID"],
    ["", "bob", "ROOM_INVALID"],
  ];
  for (const [room, name, code] of cases) {
    c.session.handle({ type: "join", room, name });
    assertEvents(c.peer.take(), [error(code)], `${room}/${name}`);
    assert.equal(c.session.state, "ready");
  }
  assert.equal(c.peer.closed, false);
  assert.deepEqual(chat.rooms(), []);
  c.session.handle({ type: "join", room: "lobby", name: "张三" });
  assertEvents(c.peer.take(), [{ type: "welcome", name: "张三" }]);
});

Deno.test("chat: maxNameLength limit applies to joins", () => {
  const { chat } = setup({ limits: { maxNameLength: 4 } });
  const c = connect(chat);
  c.session.handle({ type: "join", room: "lobby", name: "abcde" });
  assertEvents(c.peer.take(), [error("NAME_INVALID")]);
  c.session.handle({ type: "join", room: "lobby", name: "张三李四" });
  assertEvents(c.peer.take(), [{ type: "welcome", name: "张三李四" }]);
});

// ---------------------------------------------------------------------------
// Moving and leaving

Deno.test("chat: /join moves a member: left (moved) in the old room, joined in the new", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat", "other");
  clear(amy, bob, cat);

  bob.session.handle({ type: "join", room: "Other", name: "bob" });
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "moved" },
  ]);
  assert.deepEqual(cat.peer.take(), [
    { type: "joined", room: "other", name: "bob" },
  ]);
  assert.deepEqual(bob.peer.take(), [
    {
      type: "welcome",
      room: "other",
      name: "bob",
      members: ["cat", "bob"],
      total: 2,
    },
  ]);
  assert.equal(bob.session.room, "other");

  say(bob, "here now");
  assert.deepEqual(amy.peer.take(), []);
  assertEvents(cat.peer.take(), [{ type: "message", from: "bob" }]);

  // The old name is free in the old room.
  assert.deepEqual(chat.members("lobby"), ["amy"]);
  member(chat, "bob", "lobby");
});

Deno.test("chat: /join in the same room with a new name renames", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.session.handle({ type: "join", room: "lobby", name: "robert" });
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "moved" },
    { type: "joined", room: "lobby", name: "robert" },
  ]);
  assertEvents(bob.peer.take(), [{ type: "welcome", name: "robert" }]);
  assert.deepEqual(chat.members("lobby"), ["amy", "robert"]);
});

Deno.test("chat: /join of the room and name one already has welcomes again, quietly", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.session.handle({ type: "join", room: "LOBBY", name: "BOB" });
  assertEvents(bob.peer.take(), [
    { type: "welcome", name: "bob", members: ["amy", "bob"] },
  ]);
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: a refused move keeps the member where it was", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat", "other");
  clear(amy, bob, cat);
  amy.session.handle({ type: "join", room: "other", name: "CAT" });
  assertEvents(amy.peer.take(), [error("NAME_TAKEN")]);
  amy.session.handle({ type: "join", room: "bad room", name: "amy" });
  assertEvents(amy.peer.take(), [error("ROOM_INVALID")]);
  assert.equal(amy.session.state, "joined");
  assert.equal(amy.session.room, "lobby");
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(cat.peer.take(), []);
  say(amy, "still here");
  assertEvents(bob.peer.take(), [{ type: "message", text: "still here" }]);
});

Deno.test("chat: LEAVE tells the member and the room, and closes with flush", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.session.handle({ type: "leave" });
  const left = { type: "left", room: "lobby", name: "bob", reason: "quit" };
  assert.deepEqual(bob.peer.take(), [left]);
  assert.deepEqual(bob.peer.closes, [true]);
  assert.deepEqual(amy.peer.take(), [left]);
  assert.equal(bob.session.state, "closed");
  assert.equal(chat.size, 1);
  assert.deepEqual(chat.members("lobby"), ["amy"]);

  // Closed sessions ignore everything.
  say(bob, "ghost");
  bob.session.close();
  assert.deepEqual(amy.peer.take(), []);
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(bob.peer.closes, [true]);

  // LEAVE before joining just closes.
  const c = connect(chat);
  c.session.handle({ type: "leave" });
  assert.deepEqual(c.peer.take(), []);
  assert.deepEqual(c.peer.closes, [true]);
});

Deno.test("chat: session.close() is a disconnect for the others", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.session.close();
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "disconnect" },
  ]);
  // The transport is already gone: nothing is sent or closed.
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(bob.peer.closes, []);
  assert.equal(chat.size, 1);
  assert.equal(chat.stats.connections.get("memory"), 1);
  // The last member leaving empties the room.
  amy.session.close();
  assert.deepEqual(chat.rooms(), []);
});

Deno.test("chat: a slow consumer is dropped; the rest of the fan-out goes on", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat");
  const dan = member(chat, "dan");
  clear(amy, bob, cat, dan);
  bob.peer.refuse = true;
  say(amy, "hi");
  const message = { type: "message", room: "lobby", from: "amy", text: "hi" };
  const left = {
    type: "left",
    room: "lobby",
    name: "bob",
    reason: "slow_consumer",
  };
  // Members after bob in the room still got the message, then bob's leaving.
  assert.deepEqual(cat.peer.take(), [message, left]);
  assert.deepEqual(dan.peer.take(), [message, left]);
  assert.deepEqual(amy.peer.take(), [left]);
  // Bob is told nothing more (its buffer is full) and closed at once.
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(bob.peer.closes, [false]);
  assert.equal(bob.session.state, "closed");
  assert.equal(chat.stats.slowConsumers, 1);
  assert.deepEqual(chat.members("lobby"), ["amy", "cat", "dan"]);
});

Deno.test("chat: several slow consumers in one fan-out are all dropped", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const slow = [member(chat, "b1"), member(chat, "b2"), member(chat, "b3")];
  const cat = member(chat, "cat");
  clear(amy, cat, ...slow);
  for (const s of slow) s.peer.refuse = true;
  say(amy, "hi");
  for (const s of slow) assert.deepEqual(s.peer.closes, [false]);
  assertEvents(cat.peer.take(), [
    { type: "message" },
    { type: "left", name: "b1", reason: "slow_consumer" },
    { type: "left", name: "b2", reason: "slow_consumer" },
    { type: "left", name: "b3", reason: "slow_consumer" },
  ]);
  assert.equal(chat.stats.slowConsumers, 3);
  assert.deepEqual(chat.members("lobby"), ["amy", "cat"]);
});

Deno.test("chat: a refused direct send (welcome, error, pong) drops the member too", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  bob.peer.refuse = true;
  bob.session.handle({ type: "ping", nonce: 1 });
  assert.deepEqual(bob.peer.closes, [false]);
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "slow_consumer" },
  ]);
});

// ---------------------------------------------------------------------------
// Time

Deno.test("chat: tick closes connections that do not join in time", () => {
  const { chat, clock } = setup({ limits: { joinTimeoutMs: 5000 } });
  const lazy = connect(chat);
  const refused = connect(chat);
  refused.session.handle({ type: "join", room: "lobby", name: "admin" });
  refused.peer.take();
  const quick = member(chat, "quick");
  clock.advance(4999);
  chat.tick();
  assert.deepEqual(lazy.peer.take(), []);
  assert.equal(lazy.peer.closed, false);
  clock.advance(1);
  chat.tick();
  assertEvents(lazy.peer.take(), [error("JOIN_TIMEOUT", true)]);
  assert.deepEqual(lazy.peer.closes, [true]);
  assert.equal(lazy.session.state, "closed");
  // A refused JOIN does not count as joining.
  assertEvents(refused.peer.take(), [error("JOIN_TIMEOUT", true)]);
  // A member that joined is left alone, however long it stays.
  clock.advance(1_000_000);
  chat.tick();
  assert.deepEqual(quick.peer.take(), []);
  assert.equal(quick.session.state, "joined");
  assert.equal(chat.size, 1);
});

Deno.test("chat: idleTimeoutMs removes silent members with reason timeout", () => {
  const { chat, clock } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob", "lobby", { idleTimeoutMs: 5000 });
  clear(amy);
  clock.advance(4999);
  chat.tick();
  assert.equal(bob.session.state, "joined");
  // Anything from the member counts as activity.
  bob.session.handle({ type: "ping", nonce: 9 });
  assert.deepEqual(bob.peer.take(), [{ type: "pong", nonce: 9 }]);
  clock.advance(4999);
  chat.tick();
  assert.equal(bob.session.state, "joined");
  clock.advance(1);
  chat.tick();
  const left = { type: "left", room: "lobby", name: "bob", reason: "timeout" };
  assert.deepEqual(bob.peer.take(), [left]);
  assert.deepEqual(bob.peer.closes, [true]);
  assert.deepEqual(amy.peer.take(), [left]);
  // Members without an idle timeout stay.
  clock.advance(1_000_000);
  chat.tick();
  assert.equal(amy.session.state, "joined");
});

Deno.test("chat: rate limit refuses messages over the burst and refills with the clock", () => {
  const { chat, clock } = setup({
    limits: { messagesPerSecond: 2, messageBurst: 3 },
  });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  for (const text of ["1", "2", "3"]) say(bob, text);
  say(bob, "4");
  assertEvents(bob.peer.take(), [error("RATE_LIMITED")]);
  assert.deepEqual(amy.peer.take().map((e) => e.type === "message" && e.text), [
    "1",
    "2",
    "3",
  ]);
  clock.advance(499);
  say(bob, "5");
  assertEvents(bob.peer.take(), [error("RATE_LIMITED")]);
  clock.advance(1); // 500 ms at 2/s: one message
  say(bob, "6");
  say(bob, "7");
  assertEvents(bob.peer.take(), [error("RATE_LIMITED")]);
  assertEvents(amy.peer.take(), [{ type: "message", text: "6" }]);
  // A long pause refills only up to the burst.
  clock.advance(60_000);
  for (const text of ["a", "b", "c", "d"]) say(bob, text);
  assertEvents(bob.peer.take(), [error("RATE_LIMITED")]);
  assert.equal(amy.peer.take().length, 3);
  // Refused messages are refusals, not messages.
  assert.equal(chat.stats.messagesIn, 7);
  // The member is not closed for going too fast.
  assert.equal(bob.session.state, "joined");
});

Deno.test("chat: messagesPerSecond 0 turns the rate limit off", () => {
  const { chat } = setup({ limits: { messagesPerSecond: 0, messageBurst: 1 } });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  for (let i = 0; i < 100; i++) say(bob, `${i}`);
  assert.deepEqual(bob.peer.take(), []);
  assert.equal(amy.peer.take().length, 100);
});

// ---------------------------------------------------------------------------
// Messages

Deno.test("chat: empty messages are refused", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  for (const text of ["", " ", "\t\n", "\u3000"]) {
    say(bob, text);
    assertEvents(
      bob.peer.take(),
      [error("MESSAGE_EMPTY")],
      JSON.stringify(text),
    );
  }
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: message length is counted in UTF-8 bytes, the limit itself is fine", () => {
  const { chat } = setup({ limits: { maxMessageBytes: 12 } });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  const ok = [
    "a".repeat(12),
    "中".repeat(4), // 12 bytes
    "😀".repeat(3), // 12 bytes
    "é".repeat(6), // 12 bytes
    "中中中aé", // 9 + 1 + 2 bytes
  ];
  const tooLong = [
    "a".repeat(13),
    "中".repeat(4) + "a", // 13 bytes, 5 UTF-16 units
    "中".repeat(5), // 15 bytes, 5 UTF-16 units
    "😀".repeat(3) + "a", // 13 bytes
    "é".repeat(7), // 14 bytes, 7 units
  ];
  for (const text of ok) {
    assert.equal(new TextEncoder().encode(text).length <= 12, true, text);
    say(bob, text);
    assert.deepEqual(bob.peer.take(), [], text);
    assertEvents(amy.peer.take(), [{ type: "message", text }], text);
  }
  for (const text of tooLong) {
    assert.equal(new TextEncoder().encode(text).length > 12, true, text);
    say(bob, text);
    assertEvents(bob.peer.take(), [error("MESSAGE_TOO_LONG")], text);
    assert.deepEqual(amy.peer.take(), [], text);
  }
});

Deno.test("chat: lone surrogates count as the 3 bytes they are sent as", () => {
  const { chat } = setup({ limits: { maxMessageBytes: 12 } });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  const fits = "\ud800中\ud800中"; // U+FFFD 中 U+FFFD 中: 12 bytes
  const over = "\ud800中\ud800中\ud800中"; // 18 bytes
  say(bob, fits);
  assertEvents(amy.peer.take(), [{ type: "message" }]);
  say(bob, over);
  assertEvents(bob.peer.take(), [error("MESSAGE_TOO_LONG")]);
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: the default 4096-byte message limit, with multibyte text", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  clear(amy);
  say(bob, "a".repeat(4096));
  say(bob, "中".repeat(1365) + "a"); // 4096 bytes
  assert.equal(amy.peer.take().length, 2);
  for (
    const text of [
      "a".repeat(4097),
      "中".repeat(1365) + "ab",
      "中".repeat(4000),
    ]
  ) {
    say(bob, text);
    assertEvents(bob.peer.take(), [error("MESSAGE_TOO_LONG")]);
  }
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: SAY and WHO before JOIN are NOT_JOINED", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const c = connect(chat);
  say(c, "hello?");
  c.session.handle({ type: "who", room: "" });
  assertEvents(c.peer.take(), [error("NOT_JOINED"), error("NOT_JOINED")]);
  assert.deepEqual(amy.peer.take(), []);
  assert.equal(c.session.state, "ready");
  // WHO of a named room works before joining.
  c.session.handle({ type: "who", room: "Lobby" });
  assert.deepEqual(c.peer.take(), [
    { type: "members", room: "lobby", members: ["amy"], total: 1 },
  ]);
});

Deno.test("chat: WHO lists the current room or a named one; PING answers PONG", () => {
  const { chat } = setup();
  member(chat, "amy");
  const bob = member(chat, "bob");
  member(chat, "cat", "other");
  bob.session.handle({ type: "who", room: "" });
  bob.session.handle({ type: "who", room: "OTHER" });
  bob.session.handle({ type: "who", room: "empty" });
  bob.session.handle({ type: "who", room: "bad room" });
  bob.session.handle({ type: "ping", nonce: 0xffffffff });
  assertEvents(bob.peer.take(), [
    { type: "members", room: "lobby", members: ["amy", "bob"], total: 2 },
    { type: "members", room: "other", members: ["cat"], total: 1 },
    { type: "members", room: "empty", members: [], total: 0 },
    error("ROOM_INVALID"),
    { type: "pong", nonce: 0xffffffff },
  ]);
});

// ---------------------------------------------------------------------------
// HELLO and connection limits

Deno.test("chat: with hello: true the first command must be HELLO", () => {
  const { chat } = setup();
  const c = connect(chat, { hello: true });
  assert.equal(c.session.state, "new");
  c.session.handle({ type: "join", room: "lobby", name: "bob" });
  assertEvents(c.peer.take(), [error("HELLO_REQUIRED", true)]);
  assert.deepEqual(c.peer.closes, [true]);
  assert.equal(c.session.state, "closed");
  assert.deepEqual(chat.rooms(), []);
});

Deno.test("chat: HELLO with another version is UNSUPPORTED_VERSION, fatal", () => {
  const { chat } = setup();
  const c = connect(chat, { hello: true });
  c.session.handle({
    type: "hello",
    version: PROTOCOL_VERSION + 1,
    software: "x",
  });
  assertEvents(c.peer.take(), [error("UNSUPPORTED_VERSION", true)]);
  assert.deepEqual(c.peer.closes, [true]);
});

Deno.test("chat: hello_ok carries the version, software and limits", () => {
  const { chat } = setup({
    limits: { maxFrameSize: 2048, maxMessageBytes: 500 },
  });
  const c = connect(chat, { hello: true });
  c.session.handle({ type: "hello", version: PROTOCOL_VERSION, software: "t" });
  assert.deepEqual(c.peer.take(), [
    {
      type: "hello_ok",
      version: PROTOCOL_VERSION,
      software: SOFTWARE,
      maxFrame: 2048,
      maxMessage: 500,
    },
  ]);
  assert.equal(c.session.state, "ready");
  c.session.handle({ type: "join", room: "lobby", name: "bob" });
  assertEvents(c.peer.take(), [{ type: "welcome" }]);
  // HELLO is also fine where it is not required.
  const d = connect(chat);
  d.session.handle({ type: "hello", version: PROTOCOL_VERSION, software: "t" });
  assertEvents(d.peer.take(), [{ type: "hello_ok" }]);
});

Deno.test("chat: maxConnections refuses further connections with SERVER_FULL", () => {
  const { chat } = setup({ limits: { maxConnections: 2 } });
  const a = connect(chat);
  connect(chat, { transport: "ws" });
  const c = connect(chat);
  assertEvents(c.peer.take(), [error("SERVER_FULL", true)]);
  assert.deepEqual(c.peer.closes, [true]);
  assert.equal(c.session.state, "closed");
  assert.equal(chat.size, 2);
  assert.equal(chat.stats.connections.get("memory"), 1);
  assert.equal(chat.stats.connections.get("ws"), 1);
  a.session.close();
  const d = connect(chat);
  assert.equal(d.session.state, "ready");
  assert.deepEqual(d.peer.take(), []);
});

// ---------------------------------------------------------------------------
// Announcements, shutdown, observers, stats

Deno.test("chat: announce to every room or to one room", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  const cat = member(chat, "cat", "other");
  clear(amy, bob, cat);

  assert.deepEqual(chat.announce("restart at 5"), {
    ok: true,
    rooms: 2,
    delivered: 3,
  });
  const all = { type: "announcement", room: null, text: "restart at 5" };
  for (const c of [amy, bob, cat]) assert.deepEqual(c.peer.take(), [all]);
  assert.equal(amy.peer.sent.length, 0);

  assert.deepEqual(chat.announce("just you", "Other"), {
    ok: true,
    rooms: 1,
    delivered: 1,
  });
  assert.deepEqual(cat.peer.take(), [
    { type: "announcement", room: "other", text: "just you" },
  ]);
  assert.deepEqual(amy.peer.take(), []);

  assert.deepEqual(chat.announce("nobody", "empty"), {
    ok: true,
    rooms: 0,
    delivered: 0,
  });

  for (
    const [text, room, code] of [
      ["", undefined, "MESSAGE_EMPTY"],
      ["  ", undefined, "MESSAGE_EMPTY"],
      ["x".repeat(4097), undefined, "MESSAGE_TOO_LONG"],
      ["中".repeat(1366), "lobby", "MESSAGE_TOO_LONG"],
      ["x", "two words", "ROOM_INVALID"],
      ["x", "", "ROOM_INVALID"],
    ] as const
  ) {
    const r = chat.announce(text, room);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.code, code);
  }
  assert.deepEqual(amy.peer.take(), []);
  assert.deepEqual(cat.peer.take(), []);
  assert.equal(chat.stats.announcements, 3);
});

Deno.test("chat: shutdown tells each member once, closes everyone, refuses new connections", async () => {
  const { chat } = setup();
  const lobby = ["amy", "bob", "cat", "dan"].map((n) => member(chat, n));
  const other = member(chat, "eve", "other");
  const waiting = connect(chat);
  const members = [...lobby, other];
  clear(...members);

  await chat.shutdown();
  assert.equal(chat.closing, true);
  for (const m of members) {
    const name = m.session === other.session ? "eve" : undefined;
    const events = m.peer.take();
    // Exactly one event each: its own left, not N-1 left notices of others.
    assert.equal(events.length, 1, JSON.stringify(events));
    const [left] = events;
    assert.equal(left?.type, "left");
    if (left?.type !== "left") continue;
    assert.equal(left.reason, "shutdown");
    assert.equal(left.name, name ?? left.name);
    assert.deepEqual(m.peer.closes, [true]);
    assert.equal(m.session.state, "closed");
  }
  assert.deepEqual(
    lobby.map((m) => m.peer.sent.length),
    [0, 0, 0, 0],
  );
  assertEvents(waiting.peer.take(), [error("SHUTTING_DOWN", true)]);
  assert.deepEqual(waiting.peer.closes, [true]);
  assert.equal(chat.size, 0);
  assert.deepEqual(chat.rooms(), []);
  assert.equal(chat.stats.connections.get("memory"), 0);

  const late = connect(chat);
  assertEvents(late.peer.take(), [error("SHUTTING_DOWN", true)]);
  assert.deepEqual(late.peer.closes, [true]);
  assert.equal(chat.size, 0);
  await chat.shutdown(); // twice is fine
});

Deno.test("chat: shutdown sends each member a left event with its own name", async () => {
  const { chat } = setup();
  const names = ["amy", "Bob", "张三"];
  const conns = names.map((n) => member(chat, n));
  clear(...conns);
  await chat.shutdown();
  assert.deepEqual(
    conns.map((c) => c.peer.events),
    names.map((name) => [
      { type: "left", room: "lobby", name, reason: "shutdown" },
    ]),
  );
});

Deno.test("chat: observe() sees every room event until it stops", () => {
  const { chat } = setup();
  const seen: RoomEvent[] = [];
  const stop = chat.observe((e) => seen.push(e));
  const amy = member(chat, "amy");
  const bob = member(chat, "bob");
  say(amy, "hi");
  chat.announce("note");
  bob.session.handle({ type: "leave" });
  assert.deepEqual(seen, [
    { type: "joined", room: "lobby", name: "amy" },
    { type: "joined", room: "lobby", name: "bob" },
    { type: "message", room: "lobby", from: "amy", text: "hi" },
    { type: "announcement", room: null, text: "note" },
    { type: "left", room: "lobby", name: "bob", reason: "quit" },
  ]);
  stop();
  say(amy, "unseen");
  assert.equal(seen.length, 5);
});

Deno.test("chat: stats count connections, messages, refusals, deliveries", () => {
  const { chat, logs } = setup();
  const amy = member(chat, "amy", "lobby", { transport: "tcp" });
  const bob = member(chat, "bob", "lobby", { transport: "ws" }); // 1 delivery
  const cat = member(chat, "cat", "lobby", { transport: "ws" }); // 2 deliveries
  assert.equal(chat.stats.connections.get("tcp"), 1);
  assert.equal(chat.stats.connections.get("ws"), 2);
  say(amy, "one"); // 2 deliveries
  say(bob, "two"); // 2 deliveries
  say(bob, ""); // refused
  chat.announce("all"); // 3 deliveries
  assert.equal(chat.stats.messagesIn, 2);
  assert.equal(chat.stats.refused, 1);
  assert.equal(chat.stats.deliveries, 10);
  assert.equal(chat.stats.announcements, 1);
  cat.session.close(); // 2 deliveries
  assert.equal(chat.stats.deliveries, 12);
  assert.equal(chat.stats.connections.get("ws"), 1);
  assert.equal(chat.stats.slowConsumers, 0);
  assert.deepEqual(
    logs.map((r) => r.event).filter((e) => e !== "connect"),
    ["join", "join", "join", "refused", "announce", "leave", "disconnect"],
  );
});

// ---------------------------------------------------------------------------
// Two nodes

Deno.test("chat: two nodes on one bus share names, rooms and events", async () => {
  const bus = new MemoryBus();
  const a = setup({ backplane: new MemoryBackplane({ bus }) }).chat;
  const b = setup({ backplane: new MemoryBackplane({ bus }) }).chat;
  assert.notEqual(a.backplane.nodeId, b.backplane.nodeId);

  const amy = member(a, "amy");
  const bob = member(b, "bob");
  // Bob's welcome listed amy (checked by `member`); amy heard bob join.
  assert.deepEqual(amy.peer.take(), [
    { type: "joined", room: "lobby", name: "bob" },
  ]);

  // Names are unique across nodes.
  const dup = connect(b);
  dup.session.handle({ type: "join", room: "lobby", name: "AMY" });
  assertEvents(dup.peer.take(), [error("NAME_TAKEN")]);

  // Messages cross nodes, and are not echoed back.
  say(amy, "from a");
  assert.deepEqual(bob.peer.take(), [
    { type: "message", room: "lobby", from: "amy", text: "from a" },
  ]);
  assert.deepEqual(amy.peer.take(), []);
  say(bob, "from b");
  assertEvents(amy.peer.take(), [{ type: "message", from: "bob" }]);
  assert.deepEqual(bob.peer.take(), []);

  // WHO lists both nodes' members.
  const cat = member(a, "cat");
  clear(amy, bob);
  cat.session.handle({ type: "who", room: "" });
  assertEvents(cat.peer.take(), [
    { type: "members", members: ["amy", "bob", "cat"], total: 3 },
  ]);
  assert.deepEqual(b.members("lobby"), ["amy", "bob", "cat"]);

  // Announcements reach both nodes; counts are this node's.
  assert.deepEqual(a.announce("hello all"), {
    ok: true,
    rooms: 1,
    delivered: 2,
  });
  assertEvents(bob.peer.take(), [{ type: "announcement", text: "hello all" }]);
  assertEvents(amy.peer.take(), [{ type: "announcement" }]);
  clear(cat);
  b.announce("to lobby", "lobby");
  assertEvents(cat.peer.take(), [{ type: "announcement", room: "lobby" }]);

  // Leaves cross nodes and free the name cluster-wide.
  clear(amy, bob, cat);
  bob.session.close();
  assertEvents(amy.peer.take(), [
    { type: "left", name: "bob", reason: "disconnect" },
  ]);
  assertEvents(cat.peer.take(), [{ type: "left", name: "bob" }]);
  member(a, "bob");

  // A node that shuts down releases its names.
  await b.shutdown();
  assert.deepEqual(a.members("lobby"), ["amy", "cat", "bob"]);
  await a.shutdown();
  assert.deepEqual(bus.claims.size, 0);
  assert.equal(bus.nodes.size, 0);
});

// ---------------------------------------------------------------------------
// Session.feed: binary streams

Deno.test("chat: feed with HELLO+JOIN+SAY pipelined in one chunk", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  clear(amy);
  const bob = connect(chat, { hello: true, transport: "tcp" });
  bob.session.feed(frames(
    { type: "hello", version: PROTOCOL_VERSION, software: "test" },
    { type: "join", room: "lobby", name: "bob" },
    { type: "say", text: "hi" },
    { type: "ping", nonce: 5 },
  ));
  assertEvents(bob.peer.take(), [
    { type: "hello_ok" },
    { type: "welcome", name: "bob" },
    { type: "pong", nonce: 5 },
  ]);
  assert.deepEqual(amy.peer.take(), [
    { type: "joined", room: "lobby", name: "bob" },
    { type: "message", room: "lobby", from: "bob", text: "hi" },
  ]);
});

Deno.test("chat: feed one byte at a time", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  clear(amy);
  const bob = connect(chat, { hello: true });
  const bytes = frames(
    { type: "hello", version: PROTOCOL_VERSION, software: "test" },
    { type: "join", room: "lobby", name: "张三" },
    { type: "say", text: "你好" },
  );
  for (let i = 0; i < bytes.length; i++) {
    bob.session.feed(bytes.slice(i, i + 1));
  }
  assertEvents(bob.peer.take(), [{ type: "hello_ok" }, { type: "welcome" }]);
  assertEvents(amy.peer.take(), [{ type: "joined" }, {
    type: "message",
    text: "你好",
  }]);
});

// A first byte that cannot start a frame makes a text session (details in
// tests/core/text/mode_test.ts): no HELLO, the first line is the name.
Deno.test("chat: feed makes a stream that does not start with the magic byte a text session", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const c = connect(chat, { transport: "tcp", hello: true });
  c.session.feed(new TextEncoder().encode("bob\nhi\n"));
  assert.equal(c.session.text, true);
  assert.equal(c.session.state, "joined");
  assert.deepEqual(c.peer.closes, []);
  assertEvents(c.peer.take(), [{ type: "welcome", name: "bob" }]);
  assertEvents(amy.peer.take(), [{ type: "joined", name: "bob" }, {
    type: "message",
    from: "bob",
    text: "hi",
  }]);
});

Deno.test("chat: feed answers a bad frame with an error and goes on", () => {
  const { chat } = setup();
  const c = connect(chat);
  const unknownType = new Uint8Array([0xab, 0x7f, 0, 0, 0, 0]);
  const badUtf8 = new Uint8Array([0xab, 0x03, 0, 0, 0, 3, 0, 1, 0xff]);
  c.session.feed(concat(
    frames({ type: "join", room: "lobby", name: "bob" }),
    unknownType,
    badUtf8,
    // A server frame sent by a client.
    encodeFrame({ type: "pong", nonce: 1 }),
    frames({ type: "ping", nonce: 2 }),
  ));
  assertEvents(c.peer.take(), [
    { type: "welcome" },
    error("UNKNOWN_TYPE"),
    error("INVALID_UTF8"),
    error("UNKNOWN_TYPE"),
    { type: "pong", nonce: 2 },
  ]);
  assert.equal(c.session.state, "joined");
  assert.equal(c.peer.closed, false);
});

Deno.test("chat: feed closes the connection on an over-size frame header", () => {
  const { chat } = setup({
    limits: { maxFrameSize: 1024, maxMessageBytes: 500 },
  });
  const amy = member(chat, "amy");
  const bob = connect(chat);
  bob.session.feed(frames({ type: "join", room: "lobby", name: "bob" }));
  clear(amy, bob);
  // Only the header of a 1 GiB frame arrives.
  bob.session.feed(new Uint8Array([0xab, 0x03, 0x40, 0, 0, 0]));
  assertEvents(bob.peer.take(), [error("FRAME_TOO_LARGE", true)]);
  assert.deepEqual(bob.peer.closes, [true]);
  assertEvents(amy.peer.take(), [
    { type: "left", name: "bob", reason: "disconnect" },
  ]);
  // Nothing more is read.
  bob.session.feed(frames({ type: "say", text: "late" }));
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: feed stops at LEAVE; later frames in the chunk are ignored", () => {
  const { chat } = setup();
  const amy = member(chat, "amy");
  const bob = connect(chat);
  bob.session.feed(frames(
    { type: "join", room: "lobby", name: "bob" },
    { type: "leave" },
    { type: "say", text: "after leave" },
  ));
  assertEvents(amy.peer.take(), [
    { type: "joined" },
    { type: "left", name: "bob", reason: "quit" },
  ]);
  assertEvents(bob.peer.take(), [{ type: "welcome" }, { type: "left" }]);
});

// ---------------------------------------------------------------------------
// Asynchronous claims

Deno.test("chat: commands sent while a JOIN is decided are queued, then run in order", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane });
  const amy = connect(chat);
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  await backplane.answer();
  clear(amy);

  const bob = connect(chat, { hello: true });
  bob.session.feed(frames(
    { type: "hello", version: PROTOCOL_VERSION, software: "test" },
    { type: "join", room: "lobby", name: "bob" },
    { type: "say", text: "one" },
    { type: "who", room: "" },
    { type: "say", text: "two" },
    { type: "ping", nonce: 3 },
  ));
  assert.equal(bob.session.state, "joining");
  assert.equal(backplane.waiting, 1);
  assertEvents(bob.peer.take(), [{ type: "hello_ok" }]);
  assert.deepEqual(amy.peer.take(), []);

  await backplane.answer();
  assert.equal(bob.session.state, "joined");
  assertEvents(bob.peer.take(), [
    { type: "welcome", members: ["amy", "bob"] },
    { type: "members", members: ["amy", "bob"] },
    { type: "pong", nonce: 3 },
  ]);
  assertEvents(amy.peer.take(), [
    { type: "joined", name: "bob" },
    { type: "message", text: "one" },
    { type: "message", text: "two" },
  ]);
});

Deno.test("chat: a refused asynchronous JOIN runs the queued commands as not joined", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane });
  const amy = connect(chat);
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  await backplane.answer();

  const c = connect(chat);
  c.session.handle({ type: "join", room: "lobby", name: "Amy" });
  say(c, "queued");
  await backplane.answer();
  assertEvents(c.peer.take(), [error("NAME_TAKEN"), error("NOT_JOINED")]);
  assert.equal(c.session.state, "ready");

  // A claim that fails is UNAVAILABLE, and the session can try again.
  backplane.failNext = true;
  c.session.handle({ type: "join", room: "lobby", name: "cat" });
  await backplane.answer();
  assertEvents(c.peer.take(), [error("UNAVAILABLE")]);
  assert.equal(c.session.state, "ready");
  c.session.handle({ type: "join", room: "lobby", name: "cat" });
  await backplane.answer();
  assertEvents(c.peer.take(), [{ type: "welcome", name: "cat" }]);
});

Deno.test("chat: the queue of commands while joining is bounded (JOIN_PENDING)", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane, limits: { pendingCommands: 2 } });
  const c = connect(chat);
  c.session.handle({ type: "join", room: "lobby", name: "bob" });
  c.session.handle({ type: "ping", nonce: 1 });
  c.session.handle({ type: "ping", nonce: 2 });
  c.session.handle({ type: "ping", nonce: 3 });
  assertEvents(c.peer.take(), [error("JOIN_PENDING")]);
  await backplane.answer();
  assertEvents(c.peer.take(), [
    { type: "welcome" },
    { type: "pong", nonce: 1 },
    { type: "pong", nonce: 2 },
  ]);
});

Deno.test("chat: a move decided asynchronously leaves the old room only once decided", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane });
  const amy = connect(chat);
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  const bob = connect(chat);
  bob.session.handle({ type: "join", room: "lobby", name: "bob" });
  await backplane.answer();
  clear(amy, bob);
  bob.session.handle({ type: "join", room: "other", name: "bob" });
  assert.deepEqual(amy.peer.take(), []);
  await backplane.answer();
  assertEvents(amy.peer.take(), [{ type: "left", reason: "moved" }]);
  assertEvents(bob.peer.take(), [{ type: "welcome", room: "other" }]);
  assert.deepEqual(chat.members("lobby"), ["amy"]);
});

Deno.test("chat: a connection closed while its JOIN is decided does not keep the name", async () => {
  const backplane = new DeferredClaimBackplane();
  const { chat } = setup({ backplane });
  const amy = connect(chat);
  amy.session.handle({ type: "join", room: "lobby", name: "amy" });
  await backplane.answer();
  clear(amy);

  const bob = connect(chat);
  bob.session.handle({ type: "join", room: "lobby", name: "bob" });
  bob.session.close();
  await backplane.answer();
  assert.deepEqual(bob.peer.take(), []);
  assert.deepEqual(amy.peer.take(), []);
  assert.deepEqual(chat.members("lobby"), ["amy"]);

  // The same when the join times out.
  const { chat: chat2, clock } = setup({
    backplane: new DeferredClaimBackplane(),
    limits: { joinTimeoutMs: 1000 },
  });
  const bp2 = chat2.backplane as DeferredClaimBackplane;
  const cat = connect(chat2);
  cat.session.handle({ type: "join", room: "lobby", name: "cat" });
  clock.advance(1000);
  chat2.tick();
  assertEvents(cat.peer.take(), [error("JOIN_TIMEOUT", true)]);
  await bp2.answer();
  assert.deepEqual(chat2.members("lobby"), []);
  const again = connect(chat2);
  again.session.handle({ type: "join", room: "lobby", name: "cat" });
  await bp2.answer();
  assertEvents(again.peer.take(), [{ type: "welcome", name: "cat" }]);
});

// ---------------------------------------------------------------------------
// Random command sequences

type Step =
  | { op: "connect"; hello: boolean }
  | { op: "join"; who: number; room: string; name: string }
  | { op: "say"; who: number; text: string }
  | { op: "who"; who: number }
  | { op: "leave"; who: number }
  | { op: "close"; who: number }
  | { op: "slow"; who: number }
  | { op: "time"; ms: number }
  | { op: "announce"; room: string | undefined }
  | { op: "answer" };

const ROOM_NAMES = ["lobby", "Lobby", "other"];
const MEMBER_NAMES = ["amy", "AMY", "bob", "张三", "admin"];

const who = fc.nat(3);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("connect" as const),
      hello: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("join" as const),
      who,
      room: fc.constantFrom(...ROOM_NAMES),
      name: fc.constantFrom(...MEMBER_NAMES),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("say" as const),
      who,
      text: fc.constantFrom("hi", "", "中".repeat(30)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("who" as const), who }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("leave" as const), who }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("close" as const), who }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("slow" as const), who }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("time" as const),
      ms: fc.nat(3000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("announce" as const),
      room: fc.constantFrom(undefined, "lobby", "other"),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("answer" as const) }) },
);

/** Peers that note any send after close. */
class StrictPeer extends FakePeer {
  late = 0;
  override send(out: Parameters<FakePeer["send"]>[0]): boolean {
    if (this.closed) this.late++;
    return super.send(out);
  }
}

async function runSteps(steps: Step[], async: boolean): Promise<void> {
  const backplane = async
    ? new DeferredClaimBackplane()
    : new MemoryBackplane();
  const { chat, clock } = setup({
    backplane,
    limits: { joinTimeoutMs: 4000, maxMessageBytes: 60 },
  });
  const conns: { peer: StrictPeer; session: Session }[] = [];
  for (const step of steps) {
    const c = "who" in step
      ? conns[step.who % Math.max(1, conns.length)]
      : undefined;
    switch (step.op) {
      case "connect": {
        const peer = new StrictPeer();
        const session = chat.connect(peer, {
          transport: "memory",
          hello: step.hello,
          idleTimeoutMs: 5000,
        });
        if (step.hello) {
          session.handle({ type: "hello", version: 1, software: "t" });
        }
        conns.push({ peer, session });
        break;
      }
      case "join":
        c?.session.handle({ type: "join", room: step.room, name: step.name });
        break;
      case "say":
        c?.session.handle({ type: "say", text: step.text });
        break;
      case "who":
        c?.session.handle({ type: "who", room: "" });
        break;
      case "leave":
        c?.session.handle({ type: "leave" });
        break;
      case "close":
        c?.session.close();
        break;
      case "slow":
        if (c) c.peer.refuse = !c.peer.refuse;
        break;
      case "time":
        clock.advance(step.ms);
        chat.tick();
        break;
      case "announce":
        chat.announce("note", step.room);
        break;
      case "answer":
        if (backplane instanceof DeferredClaimBackplane) {
          await backplane.answer();
        }
        break;
    }
    check();
  }
  if (backplane instanceof DeferredClaimBackplane) await backplane.answer();
  check();
  await chat.shutdown();
  for (const { peer, session } of conns) {
    assert.equal(peer.late, 0, "no sends after close");
    assert.equal(session.state, "closed");
  }
  assert.equal(chat.size, 0);
  assert.deepEqual(backplane.rooms(), []);

  function check(): void {
    const open = conns.filter((x) => x.session.state !== "closed");
    assert.equal(chat.size, open.length, "open sessions");
    // Claims may run ahead of joins only while a JOIN is being decided.
    const deciding = open.some((x) => x.session.state === "joining");
    for (const room of ["lobby", "other"]) {
      const joined = open
        .filter((x) => x.session.room === room)
        .map((x) => x.session.name)
        .sort();
      const claimed = [...(chat.members(room) as readonly string[])].sort();
      if (!deciding) assert.deepEqual(claimed, joined, `claims in ${room}`);
      for (const name of joined) assert.ok(claimed.includes(name), name);
    }
  }
}

Deno.test("chat property: random command sequences keep claims and rooms in step", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(stepArb, { maxLength: 40 }), async (steps) => {
      await runSteps(steps, false);
      await runSteps(steps, true);
    }),
    { numRuns: 300 },
  );
});

Deno.test("chat: moving rooms and /who share the message rate limit, so nobody floods rooms with notices", () => {
  const { chat } = setup({ limits: { messagesPerSecond: 1, messageBurst: 2 } });
  const amy = member(chat, "amy");
  const bob = member(chat, "bob"); // the first join is free
  clear(amy);
  bob.session.handle({ type: "join", room: "games", name: "bob" });
  bob.session.handle({ type: "who", room: "" });
  assert.deepEqual(bob.peer.take().map((e) => e.type), ["welcome", "members"]);
  bob.session.handle({ type: "join", room: "lobby", name: "bob" });
  bob.session.handle({ type: "who", room: "" });
  assertEvents(bob.peer.take(), [error("RATE_LIMITED"), error("RATE_LIMITED")]);
  // Amy saw bob leave once, and never come back.
  assert.deepEqual(amy.peer.take().map((e) => e.type), ["left"]);
  assert.equal(bob.session.room, "games");
});

Deno.test("chat: a JOIN of the room and name one already has costs no rate token", () => {
  const { chat } = setup({ limits: { messagesPerSecond: 1, messageBurst: 1 } });
  const amy = member(chat, "amy");
  amy.session.handle({ type: "join", room: "Lobby", name: "AMY" });
  assertEvents(amy.peer.take(), [{ type: "welcome" }]);
  say(amy, "still one token left");
  assert.deepEqual(amy.peer.take(), []);
});

Deno.test("chat: a session flooding bad input fills no log: the first refusals are logged, all are counted", () => {
  const { chat, logs } = setup();
  const bob = connect(chat);
  for (let i = 0; i < 100; i++) bob.session.handle({ type: "say", text: "x" });
  const refused = logs.filter((r) => r.event === "refused");
  assert.equal(refused.length, LOGGED_REFUSALS);
  assert.equal(refused.at(-1)?.more, "not logged");
  assert.equal(chat.stats.refused, 100);
  assert.equal(bob.peer.take().length, 100); // the member is still told each time
});
