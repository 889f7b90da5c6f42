/**
 * The chat page's own words (labels, buttons, states) in English and
 * Chinese. What happens in a room (joins, messages, announcements, refusals)
 * is rendered by core/text/render.ts, with the words the CLI uses.
 *
 * @module
 */

import type { Lang } from "../../core/text/phrases.ts";

/** The page's words in one language. */
export interface PageWords {
  /** Short name of the language, for the switch. */
  readonly language: string;
  /** Label of the language switch. */
  readonly languageLabel: string;
  /** Label of the name field. */
  readonly name: string;
  /** Label of the room field. */
  readonly room: string;
  /** The join button. */
  readonly join: string;
  /** The button that moves to the room in the room field. */
  readonly switchRoom: string;
  /** The leave button. */
  readonly leave: string;
  /** Heading of the member list. */
  readonly members: (n: number) => string;
  /** After your own name in the member list. */
  readonly you: string;
  /** Heading of the message list, for screen readers. */
  readonly messages: string;
  /** Label of the message box. */
  readonly message: string;
  /** Placeholder of the message box. */
  readonly placeholder: string;
  /** Hint under the message box. */
  readonly hint: string;
  /** The send button. */
  readonly send: string;
  /** Status: not in a room. */
  readonly idle: string;
  /** Status: joining. */
  readonly joining: string;
  /** Status: in a room. */
  readonly joined: (name: string, room: string) => string;
  /** Status: the connection is lost and will be tried again. */
  readonly reconnecting: (seconds: number) => string;
  /** Status: back on the server, but the name is taken for now. */
  readonly waitingForName: (name: string, seconds: number) => string;
  /** Status: trying right now. */
  readonly connecting: string;
  /** The button that tries again at once. */
  readonly retryNow: string;
  /** Status: you left. */
  readonly left: string;
  /** A message of yours not yet confirmed by the server. */
  readonly sending: string;
  /** A message of yours the server refused or that was lost. */
  readonly notSent: (why: string) => string;
  /** Why a message of yours was lost. */
  readonly connectionLost: string;
  /** Refusal when the server cannot be reached. */
  readonly unreachable: string;
  /** Label of the "new messages below" button. */
  readonly newBelow: string;
}

/** The page's words by language. */
export const WORDS: Readonly<Record<Lang, PageWords>> = {
  en: {
    language: "English",
    languageLabel: "Language",
    name: "Your name",
    room: "Room",
    join: "Join",
    switchRoom: "Go to room",
    leave: "Leave",
    members: (n) => `Members (${n})`,
    you: "(you)",
    messages: "Messages",
    message: "Message",
    placeholder: "Say something…",
    hint: "Enter sends · Shift+Enter starts a new line",
    send: "Send",
    idle: "Pick a name and a room to join.",
    joining: "Joining…",
    joined: (name, room) => `You are ${name} in ${room}.`,
    reconnecting: (s) =>
      `Connection lost. Reconnecting in ${s} s… (your name is kept)`,
    waitingForName: (name, s) =>
      `Back on the server, but ${name} is still taken there. Trying again in ${s} s…`,
    connecting: "Reconnecting…",
    retryNow: "Retry now",
    left: "You left the room.",
    sending: "sending…",
    notSent: (why) => `not sent: ${why}`,
    connectionLost: "the connection was lost before the server confirmed it",
    unreachable: "cannot reach the server",
    newBelow: "New messages below",
  },
  zh: {
    language: "中文",
    languageLabel: "语言",
    name: "你的名字",
    room: "聊天室",
    join: "进入",
    switchRoom: "换聊天室",
    leave: "退出",
    members: (n) => `成员 (${n})`,
    you: "(你)",
    messages: "消息",
    message: "消息",
    placeholder: "说点什么…",
    hint: "Enter 发送 · Shift+Enter 换行",
    send: "发送",
    idle: "选一个名字和聊天室,然后进入。",
    joining: "正在进入…",
    joined: (name, room) => `你是 ${name},在 ${room} 聊天室。`,
    reconnecting: (s) => `连接断开,${s} 秒后重新连接…(名字会保留)`,
    waitingForName: (name, s) =>
      `已重新连上服务器,但 ${name} 这个名字仍被占用,${s} 秒后再试…`,
    connecting: "正在重新连接…",
    retryNow: "立即重试",
    left: "你已退出聊天室。",
    sending: "发送中…",
    notSent: (why) => `未发送:${why}`,
    connectionLost: "服务器确认之前连接已断开",
    unreachable: "无法连接服务器",
    newBelow: "下面有新消息",
  },
};
