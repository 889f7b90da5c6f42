/**
 * roomcast: chat rooms that any program can join, over TCP, Unix sockets,
 * UDP and HTTP, from one module. Start a server ({@link serve}), add
 * in-process members (bots) with no socket ({@link addMember}), watch
 * events, announce as the administrator ({@link Chat.announce}), or dial a
 * server as a client ({@link dial}).
 *
 * This module is what embedding needs. The rest has its own entry points:
 * - `./core`: the sans-IO core (sessions, rooms, peers, the backplane seam
 *   and its in-memory implementation, naming rules, rendering);
 * - `./protocol`: the binary frame codec (docs/protocol.md);
 * - `./datagram`: the UDP session machinery and datagram frames;
 * - `./server`, `./stream`, `./udp`, `./http`: the server and each
 *   transport on its own;
 * - `./client`: dialers for every transport and the HTTP API client;
 * - `./redis`: rooms shared by several nodes through Redis;
 * - `./isolates`: rooms shared by the isolates of one process (the
 *   {@link IsolateBackplane}, also here, for a program that runs its own
 *   Workers), `./workers`: `serve --workers N`.
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

export { serve } from "./adapters/server/serve.ts";
export type { ServeOptions, Server } from "./adapters/server/serve.ts";
export { Chat } from "./core/chat.ts";
export type { AnnounceResult, ChatOptions } from "./core/chat.ts";
export { addMember } from "./core/member.ts";
export type { Member, MemberOptions } from "./core/member.ts";
export { LeaveReason } from "./core/events.ts";
export type { ChatEvent } from "./core/events.ts";
export { ErrorCode } from "./core/errors.ts";
export type { ErrorCodeName } from "./core/errors.ts";
export { DEFAULT_LIMITS } from "./core/limits.ts";
export type { Limits } from "./core/limits.ts";
export type { Backplane } from "./core/backplane.ts";
export { IsolateBackplane } from "./adapters/isolates/backplane.ts";
export type { IsolateBackplaneOptions } from "./adapters/isolates/backplane.ts";
export type { Lang } from "./core/text/phrases.ts";
export { renderEvent } from "./core/text/render.ts";
export { dial, parseServerUrl } from "./adapters/client/dial.ts";
export {
  type ClientConnection,
  ConnectError,
} from "./adapters/client/connection.ts";
export { ListenError } from "./adapters/errors.ts";
