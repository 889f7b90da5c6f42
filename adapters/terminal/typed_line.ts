/**
 * What a line typed in `cli.ts join` asks for: a message, or a slash command
 * (`/who`, `/join`, `/history`, `/lang`, `/quit`, `/help`). Pure: the session acts on
 * the result.
 *
 * @module
 */

import type { Lang } from "../../core/text/render.ts";

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
  /** `/who [ROOM]`: the room is `""` when missing (the member's own room). */
  | { kind: "who"; room: string }
  /** `/join ROOM`: the room is undefined when missing (a usage error). */
  | { kind: "join"; room: string | undefined }
  /** `/history`: the room's history again. */
  | { kind: "history" }
  /** `/lang en|zh`: the language is undefined when it is neither. */
  | { kind: "lang"; lang: Lang | undefined }
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
        return { kind: "who", room: args[0] ?? "" };
      case "/join":
        return { kind: "join", room: args[0] };
      case "/history":
        return { kind: "history" };
      case "/lang":
        return {
          kind: "lang",
          lang: args[0] === "en" || args[0] === "zh" ? args[0] : undefined,
        };
      case "/help":
        return { kind: "help" };
      default:
        return { kind: "unknown", command };
    }
  }
  return { kind: "say", text: line.startsWith("//") ? line.slice(1) : line };
}
