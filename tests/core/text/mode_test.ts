// Text mode (core/text/mode.ts) through core sessions, with no socket: what
// a person with nc types, and the exact bytes the server writes back.

import assert from "node:assert/strict";
import type { Backplane } from "../../../core/backplane.ts";
import { MemoryBackplane } from "../../../core/memory_backplane.ts";
import { Chat } from "../../../core/chat.ts";
import { encodeFrame, PROTOCOL_VERSION } from "../../../core/codec/mod.ts";
import type { Limits } from "../../../core/limits.ts";
import { JOIN_PROMPTS, type Session } from "../../../core/session.ts";
import { FakeClock, FakePeer, settle } from "../_peers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Conn {
  peer: FakePeer;
  session: Session;
  /** Everything written to this member since the last call, as text. */
  out(): string;
  /** Type bytes (a string is UTF-8 encoded). */
  type(input: string | Uint8Array): void;
}

function setup(limits: Partial<Limits> = {}, backplane?: MemoryBackplane) {
  const clock = new FakeClock();
  const chat = new Chat({
    now: clock.now,
    limits,
    ...(backplane ? { backplane } : {}),
  });
  return { chat, clock };
}

function connect(chat: Chat, prompt = true): Conn {
  const peer = new FakePeer();
  const session = chat.connect(peer, { transport: "tcp", hello: true });
  if (prompt) session.startText();
  let seen = 0;
  return {
    peer,
    session,
    out() {
      const parts = peer.sent.slice(seen).map((o) => session.encode(o));
      seen = peer.sent.length;
      return parts.map((p) => decoder.decode(p)).join("");
    },
    type(input) {
      session.feed(typeof input === "string" ? encoder.encode(input) : input);
    },
  };
}

/** A text member already in `lobby` with its output cleared. */
function textMember(chat: Chat, name: string): Conn {
  const c = connect(chat);
  c.type(`${name}\n`);
  assert.match(c.out(), /^name \(名字\): you are /);
  return c;
}

/** A binary member, for the other side of the conversation. */
function binaryMember(chat: Chat, name: string): Conn {
  const c = connect(chat, false);
  c.type(
    encodeFrame({ type: "hello", version: PROTOCOL_VERSION, software: "t" }),
  );
  c.type(encodeFrame({ type: "join", room: "lobby", name }));
  assert.equal(c.session.text, false);
  c.peer.take();
  return c;
}

Deno.test("text: the server asks for a name, then joins lobby with it", () => {
  const { chat } = setup();
  const c = connect(chat);
  assert.equal(c.out(), "name (名字): ");
  assert.equal(c.session.state, "ready");
  c.type("bob\n");
  assert.equal(c.out(), "you are bob in lobby; in lobby (1): bob\n");
  assert.equal(c.session.room, "lobby");
});

Deno.test("text: a refused name is explained and asked for again", () => {
  const { chat } = setup();
  textMember(chat, "amy");
  const c = connect(chat);
  c.out();
  c.type("AMY\n");
  assert.equal(
    c.out(),
    'error NAME_TAKEN: Cannot join room "lobby": name "AMY" is taken\ntry another name: ',
  );
  c.type("admin\n");
  assert.match(c.out(), /^error NAME_RESERVED: .*\ntry another name: $/);
  c.type("a\tb\n");
  assert.match(c.out(), /^error NAME_INVALID: .*\ntry another name: $/);
  c.type("bob\n");
  assert.equal(c.out(), "you are bob in lobby; in lobby (2): amy, bob\n");
});

Deno.test("text: messages go both ways with binary members", () => {
  const { chat } = setup();
  const amy = binaryMember(chat, "amy");
  const bob = textMember(chat, "bob");
  assert.deepEqual(amy.peer.take(), [
    { type: "joined", room: "lobby", name: "bob" },
  ]);
  bob.type("hi amy\n");
  assert.deepEqual(amy.peer.take(), [
    { type: "message", room: "lobby", from: "bob", text: "hi amy" },
  ]);
  assert.equal(bob.out(), ""); // no echo
  amy.session.handle({ type: "say", text: "hello 👋" });
  assert.equal(bob.out(), "amy says: hello 👋\n");
});

Deno.test("text: /lang zh switches renderings to the seed's wording", () => {
  const { chat } = setup();
  const amy = binaryMember(chat, "amy");
  const bob = textMember(chat, "bob");
  bob.type("/lang zh\n");
  assert.equal(bob.out(), "语言: 中文\n");
  amy.session.handle({ type: "say", text: "你好" });
  chat.announce("十点重启");
  amy.session.handle({ type: "leave" });
  assert.equal(
    bob.out(),
    "amy 说: 你好\n*** 管理员 说: 十点重启\namy 退出了聊天室\n",
  );
  bob.type("/lang en\n");
  assert.equal(bob.out(), "language: English\n");
  // /lang alone tells the language in use.
  bob.type("/lang\n");
  assert.equal(bob.out(), "language: English (/lang en|zh)\n");
});

Deno.test("text: /lang before the name changes the prompt", () => {
  const { chat } = setup();
  const c = connect(chat);
  c.out();
  c.type("/lang zh\n");
  assert.equal(c.out(), "语言: 中文\n名字: ");
  c.type("张三\n");
  assert.equal(
    c.out(),
    "你是 张三,在 lobby 聊天室; lobby 聊天室成员 (1): 张三\n",
  );
});

Deno.test("text: one rendering per language is made for a whole fan-out", () => {
  const { chat } = setup();
  const a = textMember(chat, "a");
  const b = textMember(chat, "b");
  const c = textMember(chat, "c");
  c.type("/lang zh\n");
  chat.announce("x");
  const [oa, ob, oc] = [a, b, c].map((m) => m.peer.sent.at(-1)!);
  assert.equal(oa, ob);
  assert.equal(oa, oc);
  assert.equal(a.session.encode(oa!), b.session.encode(ob!)); // same bytes
  assert.notEqual(a.session.encode(oa!), c.session.encode(oc!));
});

Deno.test("text: /who, /join, /help, unknown commands and // escapes", () => {
  const { chat } = setup();
  const amy = binaryMember(chat, "amy");
  const bob = textMember(chat, "bob");
  amy.peer.take();
  bob.type("/who\n");
  assert.equal(bob.out(), "in lobby (2): amy, bob\n");
  bob.type("/help\n");
  assert.match(bob.out(), /^commands: \/join ROOM .*\/quit.*\n$/);
  bob.type("/dance\n");
  assert.equal(bob.out(), "unknown command /dance; type /help\n");
  bob.type("/join\n");
  assert.equal(bob.out(), "usage: /join ROOM\n");
  // A room name is one word: not the first of several.
  bob.type("/join two words\n");
  assert.equal(
    bob.out(),
    "a room name is one word, without spaces: two words\n",
  );
  bob.type("/who two words\n");
  assert.equal(
    bob.out(),
    "a room name is one word, without spaces: two words\n",
  );
  bob.type("//shrug\n");
  assert.deepEqual(amy.peer.take(), [
    { type: "message", room: "lobby", from: "bob", text: "/shrug" },
  ]);
  bob.type("/join games\n");
  assert.equal(bob.out(), "you are bob in games; in games (1): bob\n");
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "moved" },
  ]);
});

// Found by `deno task fuzz`: what the member typed came back raw.
Deno.test("text: an unknown command and a room chosen before the name are written back escaped", () => {
  const { chat } = setup();
  const c = connect(chat);
  c.out();
  c.type("/\x1b[2J\u202e\n");
  assert.equal(c.out(), "unknown command /\\u{1b}[2J\\u{202e}; type /help\n");
  c.type("/join r\x07\n");
  assert.equal(c.out(), "you will join r\\u{7}\nname: ");
});

Deno.test("text: /join before the name picks the room", () => {
  const { chat } = setup();
  const c = connect(chat);
  c.out();
  c.type("/join games\n");
  assert.equal(c.out(), "you will join games\nname: ");
  c.type("bob\n");
  assert.equal(c.out(), "you are bob in games; in games (1): bob\n");
});

Deno.test("text: /quit says goodbye, tells the room, and closes after writing", () => {
  const { chat } = setup();
  const amy = binaryMember(chat, "amy");
  const bob = textMember(chat, "bob");
  amy.peer.take();
  bob.type("/quit\n");
  assert.equal(bob.out(), "bob left the room\n");
  assert.deepEqual(bob.peer.closes, [true]);
  assert.equal(bob.session.state, "closed");
  assert.deepEqual(amy.peer.take(), [
    { type: "left", room: "lobby", name: "bob", reason: "quit" },
  ]);
});

Deno.test("text: LF and CRLF, lines split anywhere, UTF-8 split across reads", () => {
  const { chat } = setup();
  const amy = binaryMember(chat, "amy");
  const bob = connect(chat);
  const input = encoder.encode("bob\r\none\ntwo 你好\r\n\r\n  \nthree\n");
  for (let i = 0; i < input.length; i++) bob.type(input.subarray(i, i + 1));
  const texts = amy.peer.take().flatMap((e) =>
    e.type === "message" ? [e.text] : []
  );
  assert.deepEqual(texts, ["one", "two 你好", "three"]);
  assert.equal(bob.session.name, "bob");
});

Deno.test("text: an over-long line is refused whole, not cut, and the next line works", () => {
  const { chat } = setup({ maxMessageBytes: 10, maxFrameSize: 1024 });
  const amy = binaryMember(chat, "amy");
  const bob = textMember(chat, "bob");
  amy.peer.take();
  bob.type("0123456789\r\n"); // exactly the limit, with CRLF
  bob.type("01234"); // too long, across reads
  bob.type("567890123");
  bob.type("456\nok\n");
  assert.equal(
    bob.out(),
    "error LINE_TOO_LONG: Cannot accept line: it is longer than 10 bytes\n",
  );
  assert.deepEqual(
    amy.peer.take().map((e) => e.type === "message" && e.text),
    ["0123456789", "ok"],
  );
  bob.type("01234567890\n"); // one byte over, in one read
  assert.match(bob.out(), /^error LINE_TOO_LONG/);
});

Deno.test("text: a line that is not UTF-8 is refused and the session goes on", () => {
  const { chat } = setup();
  const amy = binaryMember(chat, "amy");
  const bob = textMember(chat, "bob");
  amy.peer.take();
  bob.type(new Uint8Array([0x68, 0xff, 0x0a, 0x6f, 0x6b, 0x0a]));
  assert.equal(
    bob.out(),
    "error INVALID_UTF8: Cannot accept line: not valid UTF-8\n",
  );
  assert.deepEqual(amy.peer.take(), [
    { type: "message", room: "lobby", from: "bob", text: "ok" },
  ]);
});

Deno.test("text: a first byte that is not the magic starts text mode without a prompt", () => {
  const { chat } = setup();
  const c = connect(chat, false);
  c.type("bob\n");
  assert.equal(c.out(), "you are bob in lobby; in lobby (1): bob\n");
});

Deno.test("text: a binary client slower than the prompt still gets in", () => {
  const { chat } = setup();
  const c = connect(chat);
  assert.equal(c.session.text, true);
  c.type(
    encodeFrame({ type: "hello", version: PROTOCOL_VERSION, software: "t" }),
  );
  assert.equal(c.session.text, false);
  c.type(encodeFrame({ type: "join", room: "lobby", name: "bob" }));
  const events = c.peer.take().map((e) => e.type);
  assert.deepEqual(events, ["pong", "hello_ok", "welcome"]); // pong: the prompt
  assert.equal(c.session.state, "joined");
});

Deno.test("text: datagram mode ends a line with the datagram", () => {
  const { chat } = setup({ maxMessageBytes: 10, maxFrameSize: 1024 });
  const amy = binaryMember(chat, "amy");
  const bob = connect(chat, false);
  bob.session.startText({ prompt: false, datagram: true });
  bob.type("bob");
  bob.type("hi");
  bob.type("also\nthis\n");
  bob.type("0123456789012");
  bob.type("fine");
  assert.deepEqual(
    amy.peer.take().flatMap((e) => e.type === "message" ? [e.text] : []),
    ["hi", "also", "this", "fine"],
  );
  assert.match(bob.out(), /you are bob.*\nerror LINE_TOO_LONG/s);
});

Deno.test("text: the join timeout counts from the latest name prompt", () => {
  const { chat, clock } = setup({ joinTimeoutMs: 10_000 });
  textMember(chat, "amy");
  const c = connect(chat);
  clock.advance(8000);
  c.type("amy\n"); // taken: asked again, the clock starts over
  clock.advance(8000);
  chat.tick();
  assert.notEqual(c.session.state, "closed");
  clock.advance(2000);
  chat.tick();
  assert.equal(c.session.state, "closed");
  assert.match(c.out(), /error JOIN_TIMEOUT: .*\n$/);
});

Deno.test("text: a refused name now and then cannot keep a session unjoined for ever", () => {
  const { chat, clock } = setup({ joinTimeoutMs: 10_000 });
  textMember(chat, "amy");
  const c = connect(chat);
  // The first prompt and four retries each start the timeout again...
  for (let i = 0; i < JOIN_PROMPTS - 1; i++) {
    clock.advance(8000);
    c.type("amy\n");
    chat.tick();
    assert.notEqual(c.session.state, "closed");
  }
  // ...later ones do not: 10 s after the fifth prompt it is over.
  clock.advance(8000);
  c.type("amy\n");
  chat.tick();
  assert.notEqual(c.session.state, "closed");
  clock.advance(2000);
  chat.tick();
  assert.equal(c.session.state, "closed");
  assert.match(c.out(), /error JOIN_TIMEOUT: .*\n$/);
});

Deno.test("text: lines typed while the name's JOIN is decided wait for it", async () => {
  const backplane = new MemoryBackplane();
  const claim = backplane.claim.bind(backplane);
  (backplane as Backplane).claim = (room, key, name) =>
    settle().then(() => claim(room, key, name));
  const { chat } = setup({}, backplane);
  const amy = connect(chat);
  amy.type("amy\n");
  await settle();
  await settle();
  const c = connect(chat);
  c.out();
  c.type("amy\nbob\nhello\n"); // amy is taken: bob is the next try
  await settle();
  await settle();
  await settle();
  assert.match(c.out(), /^error NAME_TAKEN.*\nyou are bob in lobby/s);
  assert.equal(
    amy.out().split("\n").filter((l) => l.startsWith("bob")).join("|"),
    "bob entered the room|bob says: hello",
  );
});

Deno.test("text: a joiner reads the room's history after its welcome, and /history shows it again", () => {
  const chat = new Chat({
    now: new FakeClock().now,
    wallClock: () => Date.UTC(2026, 10, 26, 9, 5),
  });
  const amy = binaryMember(chat, "amy");
  amy.type(encodeFrame({ type: "say", text: "before you came" }));
  chat.announce("welcome all");
  const bob = connect(chat);
  bob.type("bob\n");
  assert.equal(
    bob.out(),
    "name (名字): you are bob in lobby; in lobby (2): amy, bob\n" +
      "* 09:05 amy says: before you came\n" +
      "* 09:05 *** admin says: welcome all\n",
  );
  bob.type("/history\n");
  assert.equal(
    bob.out(),
    "* 09:05 amy says: before you came\n" +
      "* 09:05 *** admin says: welcome all\n",
  );
  bob.type("/help\n");
  assert.match(bob.out(), /\/history/);
});
