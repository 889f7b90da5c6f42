import assert from "node:assert/strict";
import fc from "fast-check";
import type { ChatEvent } from "../../../core/events.ts";
import { checkName } from "../../../core/names.ts";
import { Outgoing } from "../../../core/peer.ts";
import {
  ANNOUNCEMENT_MARK,
  printable,
  renderError,
  renderEvent,
  TERMINAL_INDENT,
  TERMINAL_RENDER,
} from "../../../core/text/render.ts";

const CASES: [ChatEvent, string, string][] = [
  [
    { type: "joined", room: "lobby", name: "bob" },
    "bob entered the room",
    "bob 进入了聊天室",
  ],
  [
    { type: "left", room: "lobby", name: "bob", reason: "quit" },
    "bob left the room",
    "bob 退出了聊天室",
  ],
  [
    { type: "left", room: "lobby", name: "bob", reason: "moved" },
    "bob left the room",
    "bob 退出了聊天室",
  ],
  [
    { type: "left", room: "lobby", name: "bob", reason: "disconnect" },
    "bob left the room (disconnected)",
    "bob 退出了聊天室 (连接断开)",
  ],
  [
    { type: "left", room: "lobby", name: "bob", reason: "timeout" },
    "bob left the room (timed out)",
    "bob 退出了聊天室 (超时)",
  ],
  [
    { type: "left", room: "lobby", name: "bob", reason: "slow_consumer" },
    "bob left the room (too slow to keep up)",
    "bob 退出了聊天室 (接收太慢)",
  ],
  [
    { type: "left", room: "lobby", name: "bob", reason: "shutdown" },
    "bob left the room (server shutting down)",
    "bob 退出了聊天室 (服务器关闭)",
  ],
  [
    { type: "message", room: "lobby", from: "bob", text: "hi" },
    "bob says: hi",
    "bob 说: hi",
  ],
  [
    { type: "message", room: "lobby", from: "张三", text: "你好" },
    "张三 says: 你好",
    "张三 说: 你好",
  ],
  [
    { type: "announcement", room: null, text: "x" },
    "*** admin says: x",
    "*** 管理员 说: x",
  ],
  [
    { type: "announcement", room: "lobby", text: "x" },
    "*** admin says: x",
    "*** 管理员 说: x",
  ],
  [
    { type: "members", room: "lobby", members: ["amy", "bob"], total: 2 },
    "in lobby (2): amy, bob",
    "lobby 聊天室成员 (2): amy, bob",
  ],
  [
    { type: "welcome", room: "lobby", name: "bob", members: ["bob"], total: 1 },
    "you are bob in lobby; in lobby (1): bob",
    "你是 bob,在 lobby 聊天室; lobby 聊天室成员 (1): bob",
  ],
  [
    {
      type: "error",
      code: "NAME_TAKEN",
      message: 'Cannot join room "lobby": name "bob" is taken',
      fatal: false,
    },
    'error NAME_TAKEN: Cannot join room "lobby": name "bob" is taken',
    "错误 NAME_TAKEN: 该名字在本聊天室已被使用,请换一个",
  ],
  [
    {
      type: "history",
      time: Date.UTC(2026, 10, 26, 9, 5, 30),
      event: { type: "message", room: "lobby", from: "amy", text: "hi" },
    },
    "* 09:05 amy says: hi",
    "* 09:05 amy 说: hi",
  ],
  [
    {
      type: "history",
      time: Date.UTC(2026, 10, 26, 23, 59),
      event: { type: "announcement", room: null, text: "x" },
    },
    "* 23:59 *** admin says: x",
    "* 23:59 *** 管理员 说: x",
  ],
  [{ type: "pong", nonce: 1 }, "pong", "pong"],
  [
    {
      type: "hello_ok",
      version: 1,
      software: "roomcast/0.1",
      maxFrame: 65536,
      maxMessage: 4096,
    },
    "roomcast/0.1 (protocol 1)",
    "roomcast/0.1 (protocol 1)",
  ],
];

Deno.test("render: exact lines in en and zh", () => {
  for (const [event, en, zh] of CASES) {
    assert.equal(renderEvent(event, "en"), en);
    assert.equal(renderEvent(event, "zh"), zh);
  }
});

Deno.test("render: Outgoing.text and line match renderEvent", () => {
  const out = new Outgoing({ type: "joined", room: "lobby", name: "bob" });
  assert.equal(out.text("en"), "bob entered the room");
  assert.equal(out.text("zh"), "bob 进入了聊天室");
  assert.equal(
    new TextDecoder().decode(out.line("zh")),
    "bob 进入了聊天室\n",
  );
  assert.equal(
    new TextDecoder().decode(out.line("en")),
    "bob entered the room\n",
  );
  assert.equal(out.line("en"), out.line("en")); // encoded once
  assert.equal(out.json(), '{"type":"joined","room":"lobby","name":"bob"}');
});

Deno.test("render: printable escapes terminal control sequences", () => {
  assert.equal(printable("a\x1b[2Jb"), "a\\u{1b}[2Jb");
  assert.equal(printable("\x1b]0;pwned\x07"), "\\u{1b}]0;pwned\\u{7}");
  assert.equal(printable("\x9b31m"), "\\u{9b}31m"); // C1 CSI
  assert.equal(printable("\x00\x7f"), "\\u{0}\\u{7f}");
  assert.equal(printable("a\rb"), "a\\u{d}b");
  assert.equal(printable("a\u2028b\u2029"), "a\\u{2028}b\\u{2029}");
  assert.equal(printable("a\nb"), "a\\u{a}b");
  assert.equal(printable("a\nb", true), "a\nb");
  // CRLF is a line break; a CR alone would overwrite the start of the line.
  assert.equal(printable("a\r\nb", true), "a\nb");
  assert.equal(printable("a\rb\r", true), "a\\u{d}b\\u{d}");
  assert.equal(printable("a\r\nb"), "a\\u{d}\\u{a}b");
  // Tabs are kept with line breaks, and lines after the first indented.
  assert.equal(printable("a\tb"), "a\\u{9}b");
  assert.equal(printable("a\tb\nc\n", true, "  "), "a\tb\n  c\n  ");
  assert.equal(printable("plain 你好 😀"), "plain 你好 😀");
});

Deno.test("render: printable escapes bidi controls", () => {
  // Every Bidi_Control code point, and nothing else around them.
  const bidi = [
    0x061c,
    0x200e,
    0x200f,
    0x202a,
    0x202b,
    0x202c,
    0x202d,
    0x202e,
    0x2066,
    0x2067,
    0x2068,
    0x2069,
  ];
  for (let cp = 0; cp <= 0xffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCharCode(cp);
    assert.equal(
      /\p{Bidi_Control}/u.test(c),
      bidi.includes(cp),
      cp.toString(16),
    );
  }
  for (const cp of bidi) {
    const c = String.fromCodePoint(cp);
    const escaped = `\\u{${cp.toString(16)}}`;
    assert.equal(printable(`a${c}b`), `a${escaped}b`);
    assert.equal(printable(`a${c}b`, true), `a${escaped}b`);
  }
  // The override that turned "txt.exe" around reaches nobody raw.
  assert.equal(
    renderEvent(
      { type: "message", room: "lobby", from: "bob", text: "\u202eexe.txt" },
      "en",
    ),
    "bob says: \\u{202e}exe.txt",
  );
  // Letters of right-to-left scripts are text, not controls.
  assert.equal(printable("שלום مرحبا"), "שלום مرحبا");
});

Deno.test("render: announcements start with a mark no member line can start with", () => {
  assert.equal(ANNOUNCEMENT_MARK, "***");
  for (const lang of ["en", "zh"] as const) {
    const line = renderEvent(
      { type: "announcement", room: null, text: "x" },
      lang,
    );
    assert.ok(line.startsWith(`${ANNOUNCEMENT_MARK} `), line);
  }
  // Whatever a member is called and says, its lines start with its name,
  // and no name that passes the rules starts with the mark.
  const evilNames = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.constantFrom(
      "*** admin",
      "＊＊＊ admin",
      "∗∗∗ admin",
      "⁎⁎⁎ admin",
      "\ufe0f*** admin",
      "\u0301*** admin",
      " *** admin",
      "\u3164*** admin",
      "\u2800*** admin",
    ),
  );
  fc.assert(
    fc.property(evilNames, fc.string(), (raw, text) => {
      const name = checkName(raw);
      if (!name.ok) return;
      const room = "lobby";
      const events: ChatEvent[] = [
        { type: "message", room, from: name.name, text },
        { type: "joined", room, name: name.name },
        { type: "left", room, name: name.name, reason: "quit" },
      ];
      for (const e of events) {
        for (const lang of ["en", "zh"] as const) {
          for (const multiline of [false, true]) {
            const line = renderEvent(e, lang, { multiline });
            assert.ok(!line.startsWith("*"), line);
            if (!multiline) assert.ok(!line.includes("\n"), line);
          }
        }
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("render: untrusted fields are escaped in every rendering", () => {
  const evil = "\x1b[2J";
  const lines = [
    renderEvent({ type: "message", room: "r", from: evil, text: evil }, "en"),
    renderEvent({ type: "joined", room: "r", name: evil }, "zh"),
    renderEvent({ type: "announcement", room: null, text: evil }, "en"),
    renderEvent(
      { type: "members", room: evil, members: [evil], total: 1 },
      "en",
    ),
    renderEvent(
      { type: "error", code: "FRAME_MALFORMED", message: evil, fatal: true },
      "zh",
    ),
  ];
  for (const line of lines) assert.ok(!line.includes("\x1b"), line);
});

Deno.test("render: errors fall back to the English detail", () => {
  assert.equal(renderError("NAME_TAKEN", "detail", "en"), "detail");
  assert.equal(
    renderError("NAME_TAKEN", "detail", "zh"),
    "该名字在本聊天室已被使用,请换一个",
  );
  assert.equal(
    renderError("FRAME_TOO_LARGE", "bad \x1b frame", "zh"),
    "bad \\u{1b} frame",
  );
});

Deno.test("render: multiline keeps line breaks in texts only", () => {
  const message: ChatEvent = {
    type: "message",
    room: "lobby",
    from: "bob\nx",
    text: "one\ntwo\x1b[2J",
  };
  assert.equal(
    renderEvent(message, "en"),
    "bob\\u{a}x says: one\\u{a}two\\u{1b}[2J",
  );
  assert.equal(
    renderEvent(message, "en", { multiline: true }),
    "bob\\u{a}x says: one\ntwo\\u{1b}[2J",
  );
  assert.equal(
    renderEvent({ type: "announcement", room: null, text: "a\nb" }, "zh", {
      multiline: true,
    }),
    "*** 管理员 说: a\nb",
  );
});

Deno.test("render: a history line shows its time as the caller formats it", () => {
  const event = {
    type: "history",
    time: 0,
    event: { type: "message", room: "lobby", from: "amy", text: "hi" },
  } as const;
  assert.equal(
    renderEvent(event, "en", { formatTime: (ms) => `t${ms}` }),
    "* t0 amy says: hi",
  );
});

Deno.test("render: terminals show a multi-line message as lines, each after the first indented under the sender", () => {
  const message: ChatEvent = {
    type: "message",
    room: "lobby",
    from: "bob",
    text: "hello\r\nsecond line\n\tthird, tabbed\x1b[2J",
  };
  assert.equal(
    renderEvent(message, "en", TERMINAL_RENDER),
    "bob says: hello\n  second line\n  \tthird, tabbed\\u{1b}[2J",
  );
  assert.equal(
    renderEvent(
      { type: "announcement", room: null, text: "a\nb" },
      "zh",
      TERMINAL_RENDER,
    ),
    "*** 管理员 说: a\n  b",
  );
  // Whatever is said, the first line starts with the sender's name, every
  // other line with the indent: no line of a message passes for an event of
  // its own, and nothing but line breaks and tabs reaches the terminal raw.
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => {
      for (const lang of ["en", "zh"] as const) {
        const lines = renderEvent(
          { type: "message", room: "lobby", from: "amy", text },
          lang,
          TERMINAL_RENDER,
        ).split("\n");
        assert.ok(lines[0]!.startsWith("amy "), lines[0]);
        for (const line of lines.slice(1)) {
          assert.ok(line.startsWith(TERMINAL_INDENT), JSON.stringify(line));
        }
        for (const line of lines) {
          // deno-lint-ignore no-control-regex
          assert.doesNotMatch(line, /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202e]/);
        }
      }
    }),
    { numRuns: 500 },
  );
});
