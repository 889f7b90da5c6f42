/**
 * The user-facing renderings of events, one line each, shared by the CLI,
 * the text mode and the web page: their words, in English and Chinese, are
 * in core/text/phrases.ts; here they are put together, with untrusted text
 * made safe to print.
 *
 * @module
 */

import type { ErrorCodeName } from "../errors.ts";
import type { ReceivedEvent } from "../events.ts";
import { errorPhrase, type Lang, reasonPhrase, WORDS } from "./phrases.ts";

/**
 * What every announcement starts with, in every client: a member's line
 * starts with the member's name, and no name may start with `*` or a
 * look-alike of it (`core/names.ts`), so no member can write a line that
 * looks like the administrator's.
 */
export const ANNOUNCEMENT_MARK = "***";

/**
 * Make untrusted text safe to print on a terminal: control characters
 * (escape sequences could rewrite the screen, a carriage return could
 * overwrite the start of the line) and bidi controls (they reorder the text
 * around them, even past the end of the message) are shown as `\u{…}`.
 * With `multiline`, line breaks (LF, CRLF) and tabs are kept, and each line
 * after the first starts with `indent`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(printable("a\x1b[2Jb"), "a\\u{1b}[2Jb");
 * assert.equal(printable("a\u202eb"), "a\\u{202e}b");
 * assert.equal(printable("a\r\nb\tc", true, "  "), "a\n  b\tc");
 * ```
 */
export function printable(
  text: string,
  multiline = false,
  indent = "",
): string {
  const escaped = text.replace(
    // C0 and C1 controls, DEL, line and paragraph separators, and the bidi
    // controls: ALM U+061C, LRM/RLM U+200E-U+200F, embeddings and overrides
    // U+202A-U+202E, isolates U+2066-U+2069. With multiline, a CR right
    // before an LF is the line break's (CRLF) and goes with it.
    // deno-lint-ignore no-control-regex
    /\r\n|[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => {
      if (multiline && (c === "\n" || c === "\r\n")) return "\n" + indent;
      if (multiline && c === "\t") return c;
      if (c === "\r\n") return "\\u{d}\\u{a}";
      return `\\u{${c.codePointAt(0)?.toString(16)}}`;
    },
  );
  return escaped;
}

/** Options of {@link renderEvent}. */
export interface RenderOptions {
  /**
   * Keep line breaks (and tabs) inside message and announcement texts.
   * @default {false}
   */
  multiline?: boolean;
  /**
   * With `multiline`, what each line of a text after the first starts with:
   * terminals indent them under the sender's line, so that a line of a
   * message can never pass for a line of its own (every other line starts
   * with a name, or the announcement mark). @default {""}
   */
  indent?: string;
  /**
   * How to show the time of a history line (ms since the Unix epoch).
   * @default {UTC hours and minutes, `HH:MM`}
   */
  formatTime?: (ms: number) => string;
}

/**
 * What every history line starts with: a line from the server (no name
 * starts with `*`), then the time it was said.
 */
export const HISTORY_MARK = "*";

/**
 * A time as UTC hours and minutes, `HH:MM`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(utcTime(Date.UTC(2026, 10, 26, 9, 5)), "09:05");
 * ```
 */
export function utcTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

/**
 * How terminals (`join`, text mode) show the lines of a multi-line message
 * after the first: indented under the sender.
 */
export const TERMINAL_INDENT = "  ";

/**
 * The options terminals render with: line breaks kept, each line after the
 * first indented by {@link TERMINAL_INDENT}.
 */
export const TERMINAL_RENDER: Readonly<RenderOptions> = {
  multiline: true,
  indent: TERMINAL_INDENT,
};

/**
 * Render an event as one line in the given language, the way the CLI and
 * text mode print it.
 *
 * @param event What to render.
 * @param lang Language.
 * @param options `multiline` keeps line breaks inside message and
 *   announcement texts (the web page shows them; terminals too, with each
 *   line after the first indented: {@link TERMINAL_RENDER}); otherwise they
 *   are shown as `\u{a}` so that one event is one line.
 * @returns The line, without a line break unless `multiline` is set.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = { type: "joined", room: "lobby", name: "bob" } as const;
 * assert.equal(renderEvent(e, "en"), "bob entered the room");
 * assert.equal(renderEvent(e, "zh"), "bob 进入了聊天室");
 * ```
 */
export function renderEvent(
  event: ReceivedEvent,
  lang: Lang,
  options: RenderOptions = {},
): string {
  const w = WORDS[lang];
  const multiline = options.multiline ?? false;
  const indent = options.indent ?? "";
  switch (event.type) {
    case "welcome":
      return `${w.welcome(printable(event.name), printable(event.room))}; ${
        w.inRoom(printable(event.room), event.total, namesOf(event.members))
      }`;
    case "joined":
      return `${printable(event.name)} ${w.entered}`;
    case "left": {
      // An unknown reason (a newer server's, or JSON this code does not
      // know) is not guessed at: the member left, that is all.
      const why = reasonPhrase(event.reason, lang);
      return `${printable(event.name)} ${w.left}${why ? ` (${why})` : ""}`;
    }
    case "message":
      return `${printable(event.from)} ${w.says} ${
        printable(event.text, multiline, indent)
      }`;
    case "announcement":
      return `${ANNOUNCEMENT_MARK} ${w.admin} ${w.says} ${
        printable(event.text, multiline, indent)
      }`;
    case "history": {
      // A newer server's JSON could carry another event here: shown as is.
      const time = (options.formatTime ?? utcTime)(event.time);
      return `${HISTORY_MARK} ${time} ${
        renderEvent(event.event, lang, options)
      }`;
    }
    case "members":
      return w.inRoom(
        printable(event.room),
        event.total,
        namesOf(event.members),
      );
    case "error": {
      const code = event.code === "UNKNOWN"
        ? String(event.codeNumber)
        : printable(event.code);
      return `${w.error} ${code}: ${
        renderError(event.code, event.message, lang)
      }`;
    }
    case "pong":
      return "pong";
    case "hello_ok":
      return `${event.software} (protocol ${event.version})`;
  }
  // JSON of a type this code does not know (clients skip those first).
  return `(${printable(String((event as { type: unknown }).type))})`;
}

function namesOf(names: readonly string[]): string {
  return names.map((n) => printable(n)).join(", ");
}

/**
 * The line a client prints when it learns that events from the server were
 * lost on the way (UDP is best-effort from server to client).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(renderLost(2, "en"), "(2 messages lost)");
 * assert.equal(renderLost(1, "en"), "(1 message lost)");
 * assert.equal(renderLost(2, "zh"), "(丢失了 2 条消息)");
 * ```
 */
export function renderLost(count: number, lang: Lang): string {
  if (lang === "zh") return `(丢失了 ${count} 条消息)`;
  return `(${count} message${count === 1 ? "" : "s"} lost)`;
}

/**
 * A refusal in the user's language, falling back to the server's English
 * detail for codes without a translation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(renderError("NAME_TAKEN", "x", "zh"), "该名字在本聊天室已被使用,请换一个");
 * ```
 */
export function renderError(
  code: ErrorCodeName | "UNKNOWN",
  detail: string,
  lang: Lang,
): string {
  if (lang === "en") return printable(detail);
  return errorPhrase(code, lang) ?? printable(detail);
}
