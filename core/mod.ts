/**
 * The sans-IO core: rooms, sessions, naming rules, events, limits, the
 * backplane seam and the en/zh rendering, with no sockets, no clock and no
 * timers of its own. A transport hands each connection to
 * {@link Chat.connect} as a {@link Peer} and feeds it bytes; the chat
 * answers through the peer. Time moves only when the host calls
 * {@link Chat.tick}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addMember, Chat, checkName } from "./mod.ts";
 *
 * const chat = new Chat({ now: () => 0 });
 * const heard: string[] = [];
 * await addMember(chat, {
 *   name: "amy",
 *   onEvent: (e) => { if (e.type === "message") heard.push(`${e.from}: ${e.text}`); },
 * });
 * const bob = await addMember(chat, { name: "bob" });
 * bob.say("hi");
 * assert.deepEqual(heard, ["bob: hi"]);
 * assert.equal(checkName("admin").ok, false);
 * ```
 *
 * @module
 */

export { Chat, ROSTER_MAX } from "./chat.ts";
export type {
  AnnounceResult,
  ChatOptions,
  ChatStats,
  LogRecord,
  Membership,
} from "./chat.ts";
export { addMember } from "./member.ts";
export type { Member, MemberOptions } from "./member.ts";
export { Session } from "./session.ts";
export type { ConnectOptions, SessionState, TextOptions } from "./session.ts";
export { Room, type RoomMember } from "./room.ts";
export { Outgoing, type Peer } from "./peer.ts";
export { DEFAULT_OUTBOUND_BYTES, Outbox } from "./outbox.ts";
export { MemoryBackplane, MemoryBus } from "./memory_backplane.ts";
export type { MemoryBackplaneOptions } from "./memory_backplane.ts";
export type {
  Backplane,
  ClaimResult,
  LostHandler,
  Reach,
  Receiver,
  RoomInfo,
  Roster,
} from "./backplane.ts";
export { nodeTag, tokenTag } from "./hand_off.ts";
export type { HandOff, HandOffHandler, HandOverRequest } from "./hand_off.ts";
export {
  entrySize,
  historyOutgoing,
  MemoryHistory,
  withinBounds,
} from "./history.ts";
export type {
  HistoricEvent,
  HistoryBounds,
  HistoryEntry,
  HistoryStore,
  MemoryHistoryOptions,
} from "./history.ts";
export { HistoryRing, type RingBounds } from "./history_ring.ts";
export { type Replay, SentLog, type SentLogBounds } from "./sent_log.ts";
export { isEventType, LeaveReason } from "./events.ts";
export type {
  AnnouncementEvent,
  ChatEvent,
  ErrorEvent,
  HelloOkEvent,
  HistoryEvent,
  JoinedEvent,
  LeftEvent,
  MembersEvent,
  MessageEvent,
  PongEvent,
  ReceivedEvent,
  ResumeInfo,
  RoomEvent,
  UnknownErrorEvent,
  UnknownLeftEvent,
  WelcomeEvent,
} from "./events.ts";
export { ErrorCode, FrameError } from "./errors.ts";
export type { ErrorCodeName, Refusal } from "./errors.ts";
export { DEFAULT_LIMITS, resolveLimits } from "./limits.ts";
export type { Limits } from "./limits.ts";
export {
  checkName,
  checkRoom,
  CONFUSABLES_VERSION,
  DEFAULT_MAX_NAME_LENGTH,
  foldName,
  type NameCheck,
  nameKey,
  RESERVED_NAMES,
  skeleton,
} from "./names.ts";
export { type Lang, langFromLocale } from "./text/phrases.ts";
export {
  renderEvent,
  type RenderOptions,
  TERMINAL_RENDER,
} from "./text/render.ts";
export type { TextHost } from "./text/mode.ts";
export { isLoopbackHost } from "./loopback.ts";
