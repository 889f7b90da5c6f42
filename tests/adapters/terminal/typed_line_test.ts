// What a line typed in `cli.ts join` asks for: messages, `//` escapes and
// each slash command with and without its argument.

import assert from "node:assert/strict";
import {
  HELP,
  parseTypedLine,
  type TypedLine,
} from "../../../adapters/terminal/typed_line.ts";

Deno.test("terminal: typed lines are messages or slash commands", () => {
  const cases: [string, TypedLine][] = [
    ["hello", { kind: "say", text: "hello" }],
    ["hello\r", { kind: "say", text: "hello" }],
    ["  spaced  ", { kind: "say", text: "  spaced  " }],
    ["//etc/passwd", { kind: "say", text: "/etc/passwd" }],
    ["", { kind: "empty" }],
    [" \t\r", { kind: "empty" }],
    ["/quit", { kind: "quit" }],
    ["/exit  ", { kind: "quit" }],
    ["  /quit", { kind: "say", text: "  /quit" }], // a command starts the line
    ["/who", { kind: "who", room: "" }],
    ["/who kitchen", { kind: "who", room: "kitchen" }],
    ["/join", { kind: "join", room: undefined }],
    // A room name is one word: several are a usage error, not the first.
    ["/join  two words", { kind: "join", room: "two words", words: true }],
    ["/who two words", { kind: "who", room: "two words", words: true }],
    ["/lang zh", { kind: "lang", lang: "zh" }],
    ["/lang en\r", { kind: "lang", lang: "en" }],
    ["/lang fr", { kind: "lang", lang: undefined }],
    ["/lang", { kind: "lang", lang: undefined, ask: true }],
    ["/lang en zh", { kind: "lang", lang: undefined }],
    ["/help", { kind: "help" }],
    ["/QUIT", { kind: "unknown", command: "/QUIT" }],
    ["/ nothing", { kind: "unknown", command: "/" }],
  ];
  for (const [raw, want] of cases) {
    assert.deepEqual(parseTypedLine(raw), want, JSON.stringify(raw));
  }
  assert.match(HELP.en, /^commands: \/who/);
  assert.match(HELP.zh, /^命令: /);
});
