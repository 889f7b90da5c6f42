/**
 * What a line typed in `cli.ts join` asks for: a message, or a slash command
 * (`/who`, `/join`, `/history`, `/lang`, `/quit`, `/help`). Pure: the session acts on
 * the result.
 *
 * @module
 */

import type { Lang } from "../../core/text/phrases.ts";

/** The help line of the slash commands, per language. */
export const HELP: Record<Lang, string> = {
  en:
    "commands: /who [ROOM]  /join ROOM  /history  /lang en|zh  /quit  /help   (//text sends /text)",
  zh:
    "命令: /who [聊天室]  /join 聊天室  /history 历史  /lang en|zh  /quit 退出  /help 帮助   (//文字 发送 /文字)",
};

/** A typed line, parsed. */
export type TypedLine =
  /** Nothing but spaces. */
  | { kind: "empty" }
  /** `/quit` or `/exit`. */
  | { kind: "quit" }
  /**
   * `/who [ROOM]`: the room is `""` when missing (the member's own room);
   * `words` when there are several (a room name is one word).
   */
  | { kind: "who"; room: string; words?: true }
  /**
   * `/join ROOM`: the room is undefined when missing (a usage error);
   * `words` when there are several (a room name is one word).
   */
  | { kind: "join"; room: string | undefined; words?: true }
  /**
   * `/lang en|zh`: the language is undefined when it is neither; `ask`
   * when no language is given (show the current one).
   */
  | { kind: "lang"; lang: Lang | undefined; ask?: true }
  /** `/history`: the room's history again. */
  | { kind: "history" }
  /** `/help`. */
  | { kind: "help" }
  /** Another slash command. */
  | { kind: "unknown"; command: string }
  /** A message; `//text` says `/text`. */
  | { kind: "say"; text: string };

/**
 * Parse a typed line (a trailing CR is dropped).
 *
 * @param raw The line, without its LF.
 * @returns What it asks for.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseTypedLine("/join kitchen"), { kind: "join", room: "kitchen" });
 * assert.deepEqual(parseTypedLine("//etc"), { kind: "say", text: "/etc" });
 * ```
 */
export function parseTypedLine(raw: string): TypedLine {
  const line = raw.replace(/\r$/, "");
  if (line.trim() === "") return { kind: "empty" };
  if (line.startsWith("/") && !line.startsWith("//")) {
    const [command = "", ...args] = line.trim().split(/\s+/);
    switch (command) {
      case "/quit":
      case "/exit":
        return { kind: "quit" };
      case "/who":
        return args.length > 1
          ? { kind: "who", room: args.join(" "), words: true }
          : { kind: "who", room: args[0] ?? "" };
      case "/join":
        return args.length > 1
          ? { kind: "join", room: args.join(" "), words: true }
          : { kind: "join", room: args[0] };
      case "/history":
        return { kind: "history" };
      case "/lang":
        if (args.length === 0) {
          return { kind: "lang", lang: undefined, ask: true };
        }
        return {
          kind: "lang",
          lang: args.length === 1 && (args[0] === "en" || args[0] === "zh")
            ? args[0]
            : undefined,
        };
      case "/help":
        return { kind: "help" };
      default:
        return { kind: "unknown", command };
    }
  }
  return { kind: "say", text: line.startsWith("//") ? line.slice(1) : line };
}
