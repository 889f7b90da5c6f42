/**
 * What text mode writes that is not an event: its wording (prompts, help,
 * usage, in en and zh) and {@link TextLine}, the {@link Outgoing} that
 * carries one such line to a text session. core/text/mode.ts writes them;
 * event renderings are in core/text/render.ts.
 *
 * @module
 */

import { Outgoing } from "../peer.ts";
import type { Lang } from "./phrases.ts";

const encoder = new TextEncoder();

/** Text-mode wording that is not an event rendering, in en and zh. */
export const TEXT_LINES = {
  en: {
    firstPrompt: "name (名字): ",
    prompt: "name: ",
    retry: "try another name: ",
    help:
      "commands: /join ROOM  /who [ROOM]  /history  /lang en|zh  /quit  /help   (//text sends /text)",
    usageJoin: "usage: /join ROOM",
    usageWho: "usage: /who [ROOM]",
    oneWord: "a room name is one word, without spaces",
    reconnecting: "reconnecting…",
    usageLang: "usage: /lang en|zh",
    unknown: (command: string) => `unknown command ${command}; type /help`,
    lang: "language: English",
    room: (room: string) => `you will join ${room}`,
  },
  zh: {
    firstPrompt: "name (名字): ",
    prompt: "名字: ",
    retry: "换一个名字: ",
    help:
      "命令: /join 聊天室  /who [聊天室]  /history 历史  /lang en|zh  /quit 退出  /help 帮助   (//文字 发送 /文字)",
    usageJoin: "用法: /join 聊天室",
    usageWho: "用法: /who [聊天室]",
    oneWord: "聊天室名是一个词,不能有空格",
    reconnecting: "正在重新连接…",
    usageLang: "用法: /lang en|zh",
    unknown: (command: string) => `未知命令 ${command}; 输入 /help 查看命令`,
    lang: "语言: 中文",
    room: (room: string) => `将进入 ${room} 聊天室`,
  },
} as const;

const PLACEHOLDER = { type: "pong", nonce: 0 } as const;

/**
 * A line for text sessions only (a prompt, help), not an event. Its `line`
 * is the given text as is (a prompt has no line break). It is never fanned
 * out; `event` is a harmless PONG only so it can travel as an
 * {@link Outgoing}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const prompt = new TextLine("name: ");
 * assert.equal(new TextDecoder().decode(prompt.line("zh")), "name: ");
 * ```
 */
export class TextLine extends Outgoing {
  readonly #bytes: Uint8Array;

  /** @param text The text, with its line break if it should have one. */
  constructor(text: string) {
    super(PLACEHOLDER);
    this.#bytes = encoder.encode(text);
  }

  /** The text's UTF-8 bytes, whatever the language. */
  override line(_lang: Lang): Uint8Array {
    return this.#bytes;
  }
}
