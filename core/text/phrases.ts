/**
 * The words of the user-facing renderings, in English and Chinese, shared by
 * the CLI, the text mode and the web page: the languages, why a member left,
 * the refusals, and the words around events. The Chinese lines are the
 * course's own wording (`xxx 进入了聊天室`, `xxx 退出了聊天室`,
 * `xxx 说: ...`, `管理员 说: ...`). core/text/render.ts puts them together.
 *
 * @module
 */

import type { ErrorCodeName } from "../errors.ts";
import type { LeaveReason } from "../events.ts";

/** Supported languages. */
export type Lang = "en" | "zh";

/**
 * Pick a language from a locale string such as `zh_CN.UTF-8` or `en-US`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(langFromLocale("zh_CN.UTF-8"), "zh");
 * assert.equal(langFromLocale(undefined), "en");
 * ```
 */
export function langFromLocale(locale: string | undefined): Lang {
  return locale?.toLowerCase().startsWith("zh") ? "zh" : "en";
}

const REASONS: Record<Lang, Record<LeaveReason, string>> = {
  en: {
    quit: "",
    disconnect: "disconnected",
    timeout: "timed out",
    slow_consumer: "too slow to keep up",
    shutdown: "server shutting down",
    node_lost: "server node lost",
    moved: "",
  },
  zh: {
    quit: "",
    disconnect: "连接断开",
    timeout: "超时",
    slow_consumer: "接收太慢",
    shutdown: "服务器关闭",
    node_lost: "服务器节点丢失",
    moved: "",
  },
};

const ERRORS: Record<Lang, Partial<Record<ErrorCodeName, string>>> = {
  en: {
    NAME_TAKEN: "that name is already in use in this room, try another",
    NAME_INVALID: "that name is not allowed",
    NAME_RESERVED: "that name is reserved, try another",
    ROOM_INVALID: "that room name is not allowed",
    MESSAGE_EMPTY: "empty message not sent",
    MESSAGE_TOO_LONG: "message too long, not sent",
    RATE_LIMITED: "sending too fast, message not sent",
    NOT_JOINED: "join a room first",
    SERVER_FULL: "the server is full",
    SHUTTING_DOWN: "the server is shutting down",
    JOIN_TIMEOUT: "took too long to join",
    LINE_TOO_LONG: "line too long, not sent",
    INVALID_UTF8: "not valid UTF-8, not sent",
    DATAGRAM_TOO_LARGE: "too large for one datagram",
    BAD_TOKEN: "the session is unknown to the server",
    TOO_MANY_ERRORS: "too many refused requests, disconnected",
  },
  zh: {
    NAME_TAKEN: "该名字在本聊天室已被使用,请换一个",
    NAME_INVALID: "该名字不可用",
    NAME_RESERVED: "该名字被保留,请换一个",
    ROOM_INVALID: "该聊天室名不可用",
    MESSAGE_EMPTY: "空消息未发送",
    MESSAGE_TOO_LONG: "消息太长,未发送",
    RATE_LIMITED: "发送太快,消息未发送",
    NOT_JOINED: "请先进入聊天室",
    SERVER_FULL: "服务器已满",
    SHUTTING_DOWN: "服务器正在关闭",
    JOIN_TIMEOUT: "进入聊天室超时",
    LINE_TOO_LONG: "这一行太长,未发送",
    INVALID_UTF8: "不是有效的 UTF-8 文本,未发送",
    BAD_TOKEN: "服务器不认识这个会话",
    TOO_MANY_ERRORS: "被拒绝的请求太多,连接已断开",
  },
};

/** @internal The words around events, by language. */
export const WORDS = {
  en: {
    entered: "entered the room",
    left: "left the room",
    says: "says:",
    admin: "admin",
    inRoom: (room: string, n: number, names: string) =>
      `in ${room} (${n}): ${names}`,
    welcome: (name: string, room: string) => `you are ${name} in ${room}`,
    error: "error",
  },
  zh: {
    entered: "进入了聊天室",
    left: "退出了聊天室",
    says: "说:",
    admin: "管理员",
    inRoom: (room: string, n: number, names: string) =>
      `${room} 聊天室成员 (${n}): ${names}`,
    welcome: (name: string, room: string) => `你是 ${name},在 ${room} 聊天室`,
    error: "错误",
  },
} as const;

/**
 * @internal Why a member left, in a language; undefined for a reason this
 * code does not know (a newer server's, or any JSON string), and empty for
 * a plain leave.
 */
export function reasonPhrase(reason: string, lang: Lang): string | undefined {
  return ownString(REASONS[lang], reason);
}

/**
 * A short phrase for a code in a language, for clients that want one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.match(errorPhrase("NAME_TAKEN", "en") ?? "", /already in use/);
 * ```
 */
export function errorPhrase(
  code: ErrorCodeName | "UNKNOWN",
  lang: Lang,
): string | undefined {
  return ownString(ERRORS[lang], code);
}

/** `table[key]` when `key` is the table's own (JSON can name anything). */
function ownString(table: object, key: string): string | undefined {
  if (!Object.hasOwn(table, key)) return undefined;
  const value: unknown = (table as Record<string, unknown>)[key];
  return typeof value === "string" ? value : undefined;
}
