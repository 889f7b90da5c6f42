/**
 * roomcast: chat rooms that any program can join, over TCP, Unix sockets
 * and more, from one module. Start a server, add in-process members (bots)
 * with no socket, watch events, and announce as the administrator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addMember, serve } from "./mod.ts";
 *
 * const server = await serve({ transports: ["tcp"], port: 0 });
 * const heard: string[] = [];
 * await addMember(server.chat, {
 *   name: "bot",
 *   onEvent: (e) => { if (e.type === "announcement") heard.push(e.text); },
 * });
 * server.chat.announce("server restarts at 10");
 * assert.deepEqual(heard, ["server restarts at 10"]);
 * await server.shutdown();
 * ```
 *
 * @module
 */

export { Chat } from "./core/chat.ts";
export type {
  AnnounceResult,
  ChatOptions,
  ChatStats,
  LogRecord,
  Membership,
} from "./core/chat.ts";
export { addMember } from "./core/member.ts";
export type { Member, MemberOptions } from "./core/member.ts";
export {
  type ConnectOptions,
  Session,
  type SessionState,
  type TextOptions,
} from "./core/session.ts";
export type { RoomMember } from "./core/room.ts";
export { Outgoing, type Peer } from "./core/peer.ts";
export { Outbox } from "./core/outbox.ts";
export { MemoryBackplane, MemoryBus } from "./core/backplane.ts";
export type {
  Backplane,
  ClaimResult,
  LostHandler,
  MemoryBackplaneOptions,
  Reach,
  Receiver,
  RoomInfo,
  Roster,
} from "./core/backplane.ts";
export { isEventType, LeaveReason } from "./core/events.ts";
export type {
  AnnouncementEvent,
  ChatEvent,
  ErrorEvent,
  HelloOkEvent,
  JoinedEvent,
  LeftEvent,
  MembersEvent,
  MessageEvent,
  PongEvent,
  ReceivedEvent,
  RoomEvent,
  UnknownErrorEvent,
  UnknownLeftEvent,
  WelcomeEvent,
} from "./core/events.ts";
export { ErrorCode, FrameError } from "./core/errors.ts";
export type { ErrorCodeName, Refusal } from "./core/errors.ts";
export { DEFAULT_LIMITS } from "./core/limits.ts";
export type { Limits } from "./core/limits.ts";
export {
  decodeFrame,
  decodeFrames,
  encodeFrame,
  FrameDecoder,
  FrameType,
  isCommand,
  PROTOCOL_VERSION,
} from "./core/codec/mod.ts";
export type {
  Command,
  Decoded,
  DecoderOptions,
  Frame,
} from "./core/codec/mod.ts";
export {
  checkName,
  checkRoom,
  foldName,
  type NameCheck,
} from "./core/names.ts";
export {
  type Lang,
  renderEvent,
  type RenderOptions,
} from "./core/text/render.ts";
export {
  defaultSocketPath,
  serve,
  TRANSPORTS,
} from "./adapters/server/serve.ts";
export type {
  Listener,
  ServeOptions,
  Server,
  TransportStarter,
} from "./adapters/server/serve.ts";
export { listenStream } from "./adapters/stream/listen.ts";
export { ListenError } from "./adapters/errors.ts";
export { formatLog } from "./adapters/log.ts";
export type {
  StreamAddress,
  StreamListener,
  StreamOptions,
} from "./adapters/stream/listen.ts";
export { dial, parseServerUrl } from "./adapters/client/dial.ts";
export {
  type ClientConnection,
  ConnectError,
} from "./adapters/client/connection.ts";
export type { TextHost } from "./core/text/mode.ts";
export type {
  AckFrame,
  DatagramFrame,
  EnvelopeFrame,
  PadFrame,
  SeqFrame,
  TokenFrame,
} from "./core/datagram/frames.ts";
export { listenUdp } from "./adapters/udp/listen.ts";
export type { UdpListener, UdpOptions } from "./adapters/udp/listen.ts";
export { dialUdp, type UdpDialOptions } from "./adapters/client/udp.ts";
export type { DatagramAddress } from "./core/datagram/address.ts";
export {
  type DatagramLimits,
  DEFAULT_DATAGRAM_LIMITS,
} from "./core/datagram/limits.ts";
export {
  DatagramServer,
  type DatagramServerOptions,
  type DatagramStats,
} from "./core/datagram/server.ts";
export {
  DatagramClient,
  type DatagramClientOptions,
  type DatagramClientState,
} from "./core/datagram/client.ts";
export { listenHttp } from "./adapters/http/app.ts";
export type { HttpListener, HttpOptions } from "./adapters/http/app.ts";
export type { IsolateLink } from "./adapters/http/isolate_link.ts";
export {
  DEFAULT_HTTP_LIMITS,
  type HttpLimits,
} from "./adapters/http/limits.ts";
export {
  IsolateBackplane,
  type IsolateBackplaneOptions,
} from "./adapters/isolates/backplane.ts";
export { ApiClient, ApiError } from "./adapters/client/api.ts";
export type {
  AnnounceAnswer,
  RoomMembers,
  RoomSummary,
} from "./adapters/client/api.ts";
export {
  defaultAdminTokenPath,
  loadAdminToken,
} from "./adapters/http/admin_token.ts";
export type {
  AdminToken,
  AdminTokenOptions,
  AdminTokenSource,
} from "./adapters/http/admin_token.ts";
