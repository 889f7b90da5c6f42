/**
 * The parts of one isolate's backplane and how they are wired together:
 * the bus and the requests over it, the lease, the claims, the other
 * isolates' events, announcement counts, the copy of the rooms' histories
 * and its start, hand-overs of resumable members, and the shared
 * connection count. adapters/isolates/backplane.ts makes them once it has
 * opened the store, and answers the chat with them.
 *
 * @module
 */

import type { LostHandler } from "../../core/backplane.ts";
import type { LogRecord } from "../../core/chat.ts";
import type { LeftEvent } from "../../core/events.ts";
import { IsolateBus } from "./bus.ts";
import { KvClaims } from "./claims.ts";
import { ConnectionShare } from "./connection_share.ts";
import { IsolateHandOvers } from "./hand_over.ts";
import { IsolateHistory } from "./history.ts";
import { HistorySync } from "./history_sync.ts";
import { StoreKeys } from "./keys.ts";
import { IsolateLease } from "./lease.ts";
import { IsolatePeers } from "./peers.ts";
import { RemoteEvents } from "./remote_events.ts";
import { IsolateRequests } from "./requests.ts";
import { Tallies } from "./tallies.ts";

/** What the parts are made from. */
export interface PartsOptions {
  /** This isolate's id. */
  readonly id: string;
  /** The open store. */
  readonly kv: Deno.Kv;
  /** Prefix of every key. */
  readonly prefix: Deno.KvKey;
  /** The BroadcastChannel's name. */
  readonly channel: string;
  /** Ports to the other isolates, instead of the channel. */
  readonly ports: readonly MessagePort[] | undefined;
  /** The lease, in ms. */
  readonly leaseMs: number;
  /** How long an announcement waits for the others' counts, in ms. */
  readonly tallyMs: number;
  /** Log sink. */
  readonly log: (record: LogRecord) => void;
  /** This isolate was declared lost and registered again. */
  readonly declaredLost: () => void;
  /** Tell the room, here and on every isolate, that a member is gone. */
  readonly left: (event: LeftEvent) => void;
}

/** One isolate's parts. */
export interface Parts {
  /** Numbered, batched messages between the isolates. */
  readonly bus: IsolateBus;
  /** Requests over the bus. */
  readonly requests: IsolateRequests;
  /** This isolate's lease, and who else is alive. */
  readonly lease: IsolateLease;
  /** The other isolates, for the HTTP adapter. */
  readonly peers: IsolatePeers;
  /** Other isolates' events, to the chat. */
  readonly remote: RemoteEvents;
  /** Names in the store. */
  readonly claims: KvClaims;
  /** Announcements' counts. */
  readonly tallies: Tallies;
  /** This isolate's copy of the rooms' histories. */
  readonly history: IsolateHistory;
  /** Taking a copy of the histories at start. */
  readonly sync: HistorySync;
  /** Hand-overs of resumable members. */
  readonly handOvers: IsolateHandOvers;
  /** Connections, counted over every isolate. */
  readonly connections: ConnectionShare;
  /** Where the chat's lost-name handler goes. */
  lost: LostHandler | undefined;
}

/**
 * Make and wire one isolate's parts.
 *
 * @param o Id, store, channel or ports, timing, log and what to tell.
 * @returns The parts.
 */
export function makeParts(o: PartsOptions): Parts {
  const { id, kv, log } = o;
  const keys = new StoreKeys(o.prefix);
  const bus = new IsolateBus({
    channel: o.channel,
    id,
    log,
    ...(o.ports ? { ports: o.ports } : {}),
  });
  const requests = new IsolateRequests(bus);
  const history = new IsolateHistory({
    id,
    stamp: (frame, time) => bus.stamp(frame, time),
  });
  const sync = new HistorySync({ history, bus, requests, log });
  // deno-lint-ignore prefer-const
  let remote: RemoteEvents;
  const lease = new IsolateLease({
    kv,
    keys,
    id,
    leaseMs: o.leaseMs,
    log,
    reaped: (dead, members) => remote.reaped(dead, members),
    declaredLost: o.declaredLost,
  });
  const peers = new IsolatePeers({ nodeId: id, bus, requests, lease });
  remote = new RemoteEvents({ nodeId: id, bus, peers, history: sync, log });
  const claims = new KvClaims({
    kv,
    keys,
    id,
    alive: (isolate) => lease.alive(isolate),
    gone: (isolate) => lease.gone(isolate),
    failed: (what, e) =>
      log({ event: "isolates", state: "store_error", what, error: text(e) }),
  });
  const tallies = new Tallies({
    timeoutMs: o.tallyMs,
    rooms: async (room) => {
      if (room === null) return (await claims.rooms()).length;
      const roster = await claims.roster(room, 1);
      return roster.total > 0 ? 1 : 0;
    },
  });
  const handOvers = new IsolateHandOvers({
    bus,
    claims,
    peers: () => lease.peers(),
    timeoutMs: Math.min(5000, o.leaseMs),
    left: o.left,
    log,
  });
  const connections = new ConnectionShare(bus);
  peers.onGone((isolate) => connections.forget(isolate));
  bus.on("tally", (p, from) => {
    const { id, delivered } = p as { id: number; delivered: number };
    tallies.answer(id, from, delivered);
  });
  bus.on("hello", (p, from) => {
    lease.seen(from);
    connections.heard(from, countIn(p));
    bus.send(from, "hi", { c: connections.own });
  });
  bus.on("hi", (p, from) => {
    lease.seen(from);
    connections.heard(from, countIn(p));
  });
  return {
    bus,
    requests,
    lease,
    peers,
    remote,
    claims,
    tallies,
    history,
    sync,
    handOvers,
    connections,
    lost: undefined,
  };
}

/** The connection count a hello or its answer carries (0 if none). */
function countIn(payload: unknown): number {
  const c = (payload as { c?: unknown } | null)?.c;
  return typeof c === "number" ? c : 0;
}

/** An error's message. */
export function text(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
