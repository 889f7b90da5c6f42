/**
 * The Lua scripts of the Redis backplane: the prelude they share, and the
 * scripts by command name. Every step that reads and then writes shared
 * state runs as one script, so it is atomic in Redis: a claim, a release
 * (claim_scripts.ts), a lease renewal, the reaping of a lost node (exactly
 * one node wins it), the re-claiming of names after an outage
 * (lease_scripts.ts), a hand-over and history (resume_scripts.ts). Scripts
 * that announce something (a lost node's leaves, re-claimed joins) publish
 * the binary frames themselves, in the same atomic step, so no other node's
 * event can slip in between the state change and its announcement.
 *
 * Keys, under a prefix P (default `roomcast:`); docs/scaling.md lists them:
 * - `P claims:ROOM` hash: folded name key → `NODE LF display name`
 * - `P rooms` hash: room → members cluster-wide
 * - `P nodes` sorted set: node id → lease expiry (ms, Redis clock)
 * - `P node:ID` set: `ROOM LF KEY` of each claim the node holds
 *   (`P node:ID:old` while it re-claims after an outage)
 * - `P reaped:ID` string: the node was declared lost (kept one day)
 * - `P history:ROOM` stream: the room's last messages and announcements
 *   (fields `t`, ms since the epoch, and `f`, the frame), deleted with the
 *   room's last claim
 * - channel `P events`: every event, as an envelope (see redis_wire.ts)
 * - channel `P resume`: hand-overs of resumable members between nodes
 *
 * @module
 */

import { FrameType, MAGIC } from "../../core/codec/mod.ts";
import { CLAIM, RELEASE, ROSTER } from "./claim_scripts.ts";
import {
  LEAVE,
  REAP,
  RENEW,
  SYNC_BEGIN,
  SYNC_CLAIMS,
  SYNC_END,
} from "./lease_scripts.ts";
import { HAND_OVER, HISTORY_ALL } from "./resume_scripts.ts";

/** Version byte of the pub/sub envelope. */
export const ENVELOPE_VERSION = 1;

// ARGV[1] is the key prefix and ARGV[2] this node's id in every script.
const PRELUDE = `
local P, NODE = ARGV[1], ARGV[2]
local NODES, ROOMS, CHANNEL = P .. 'nodes', P .. 'rooms', P .. 'events'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function set_of(node) return P .. 'node:' .. node end
local function claims_of(room) return P .. 'claims:' .. room end
local function split(s)
  local i = string.find(s, '\\n', 1, true)
  return string.sub(s, 1, i - 1), string.sub(s, i + 1)
end
local function str(s) return struct.pack('>H', #s) .. s end
local function send(origin, ftype, payload)
  redis.call('PUBLISH', CHANNEL,
    struct.pack('>BB', ${ENVELOPE_VERSION}, #origin) .. origin ..
    struct.pack('>BBI4', ${MAGIC}, ftype, #payload) .. payload)
end
local function joined(origin, room, name)
  send(origin, ${FrameType.JOINED}, str(room) .. str(name))
end
local function left(origin, room, name, reason)
  send(origin, ${FrameType.LEFT},
    str(room) .. str(name) .. struct.pack('>B', reason))
end
local function add_claim(room, key, name)
  redis.call('HSET', claims_of(room), key, NODE .. '\\n' .. name)
  redis.call('HINCRBY', ROOMS, room, 1)
  redis.call('SADD', set_of(NODE), room .. '\\n' .. key)
end
local function drop_claim(room, key)
  redis.call('HDEL', claims_of(room), key)
  if redis.call('HINCRBY', ROOMS, room, -1) <= 0 then
    redis.call('HDEL', ROOMS, room)
    -- A room's history lives as long as the room.
    redis.call('DEL', P .. 'history:' .. room)
  end
end
-- Free the claim id (room, newline, key) if node still holds it, and announce the leave
-- as that node's. Returns 1 when it did, 0 when someone else holds the name.
local function release_held(node, id, reason)
  local room, key = split(id)
  local cur = redis.call('HGET', claims_of(room), key)
  if not cur then return 0 end
  local owner, name = split(cur)
  if owner ~= node then return 0 end
  drop_claim(room, key)
  left(node, room, name, reason)
  return 1
end
`;

/** The scripts by command name, ready for ioredis `defineCommand`. */
export const SCRIPTS = {
  rcClaim: CLAIM,
  rcRelease: RELEASE,
  rcRenew: RENEW,
  rcReap: REAP,
  rcSyncBegin: SYNC_BEGIN,
  rcSyncClaims: SYNC_CLAIMS,
  rcSyncEnd: SYNC_END,
  rcLeave: LEAVE,
  rcRoster: ROSTER,
  rcHistoryAll: HISTORY_ALL,
  rcHandOver: HAND_OVER,
} as const;

/** Arguments of every script: prefix, node id, then its own. */
type Args = (string | number)[];

/** The scripts as commands on a connection (see {@link SCRIPTS}). */
export interface ScriptCommands {
  /** @see CLAIM */
  rcClaim(...args: Args): Promise<number>;
  /** @see RELEASE */
  rcRelease(...args: Args): Promise<number>;
  /** @see RENEW */
  rcRenew(...args: Args): Promise<[number, string[]]>;
  /** @see REAP */
  rcReap(...args: Args): Promise<number>;
  /** @see SYNC_BEGIN */
  rcSyncBegin(...args: Args): Promise<number>;
  /** @see SYNC_CLAIMS */
  rcSyncClaims(...args: Args): Promise<number[]>;
  /** @see SYNC_END */
  rcSyncEnd(...args: Args): Promise<number>;
  /** @see LEAVE */
  rcLeave(...args: Args): Promise<number>;
  /** @see ROSTER */
  rcRoster(...args: Args): Promise<[number, string[]]>;
  /** @see HISTORY_ALL */
  rcHistoryAll(...args: (string | number | Uint8Array)[]): Promise<number>;
  /** @see HAND_OVER */
  rcHandOver(...args: Args): Promise<number>;
}

/** The full Lua source of a script, prelude included. */
export function scriptSource(name: keyof typeof SCRIPTS): string {
  return PRELUDE + SCRIPTS[name];
}
