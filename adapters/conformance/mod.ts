/**
 * The protocol conformance kit: the cases of docs/protocol.md run against
 * any server that claims to speak it, over TCP, a Unix socket or UDP, with
 * a pass/fail table (`deno task conformance --server URL`). It speaks only
 * the wire (with the shared codec), starts nothing but its clients and a
 * local relay that loses UDP datagrams on purpose, and is the one home of
 * the protocol's cases: roomcast's own tests run it against roomcast
 * (tests/adapters/conformance/), and run its chat, framing and bad-input cases with
 * the transports' own clients too (tests/adapters/_conformance.ts).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CASE_GROUPS } from "./mod.ts";
 * const groups = CASE_GROUPS.map((g) => g.name);
 * assert.ok(groups.includes("handshake") && groups.includes("loss"));
 * ```
 *
 * @example
 * ```ts ignore
 * import { formatTable, runConformance } from "./mod.ts";
 * const results = await runConformance({ server: "tcp://127.0.0.1:7878" });
 * console.log(formatTable(results, "tcp://127.0.0.1:7878"));
 * ```
 *
 * @module
 */

// The core's types in the kit's signatures.
export type { Command, Decoded, Frame } from "../../core/codec/mod.ts";
export type { ChatEvent } from "../../core/events.ts";
export type { ErrorCodeName } from "../../core/errors.ts";
export {
  appliesTo,
  type ConformanceCase,
  type Spec,
  type Wire,
  wireOf,
} from "./case.ts";
export { CASE_GROUPS, type CaseGroup } from "./cases.ts";
export { BAD_INPUT_CASES } from "./cases_bad_input.ts";
export { CHAT_CASES } from "./cases_chat.ts";
export { FRAMING_CASES } from "./cases_framing.ts";
export { type ConformanceClient, WAIT_MS } from "./client.ts";
export {
  type AnnouncedLimits,
  type Closeable,
  expectEvent,
  Harness,
  type HarnessOptions,
} from "./harness.ts";
export { EventInbox } from "./inbox.ts";
export { lossy, type RelayPolicy, UdpRelay, udpTarget } from "./relay.ts";
export {
  CASE_DEADLINE_MS,
  type CaseResult,
  type ConformanceOptions,
  runCase,
  runConformance,
  transportOf,
} from "./run.ts";
export { connectStream, openStream, StreamClient } from "./stream_client.ts";
export { formatTable } from "./table.ts";
export { UdpClient, type UdpClientOptions } from "./udp_client.ts";
export {
  decoded,
  envelope,
  framesOf,
  MIN_HELLO_DATAGRAM,
  paddedHello,
  rawMember,
  type RawSession,
  rawSession,
  RawUdp,
} from "./udp_raw.ts";
export { concat, field, rawFrame } from "./wire.ts";
