/**
 * The Lua scripts of the Redis backplane. Every step that reads and then
 * writes shared state runs as one script, so it is atomic in Redis: a claim,
 * a release, a lease renewal, the reaping of a lost node (exactly one node
 * wins it), and the re-claiming of names after an outage. Scripts that
 * announce something (a lost node's leaves, re-claimed joins) publish the
 * binary frames themselves, in the same atomic step, so no other node's
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
import { LeaveReason } from "../../core/events.ts";
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

/**
 * Claim a name: ARGV room, key, name. 1 won (or already ours), 0 taken by
 * another node, -1 this node is not registered (lost, or Redis restarted):
 * nothing was written and the node must re-sync.
 */
const CLAIM = `
if not redis.call('ZSCORE', NODES, NODE) then return -1 end
local room, key, name = ARGV[3], ARGV[4], ARGV[5]
local cur = redis.call('HGET', claims_of(room), key)
if not cur then add_claim(room, key, name) return 1 end
if split(cur) ~= NODE then return 0 end
redis.call('HSET', claims_of(room), key, NODE .. '\\n' .. name)
redis.call('SADD', set_of(NODE), room .. '\\n' .. key)
return 1
`;

/** Release a claim if this node holds it: ARGV room, key. */
const RELEASE = `
local room, key = ARGV[3], ARGV[4]
local cur = redis.call('HGET', claims_of(room), key)
if cur and split(cur) == NODE then drop_claim(room, key) end
redis.call('SREM', set_of(NODE), room .. '\\n' .. key)
return 1
`;

/**
 * Renew this node's lease for ARGV ttl ms, if it is registered. Returns
 * {1 or 0 (not registered), up to 16 node ids whose lease has expired}.
 */
const RENEW = `
local now = now_ms()
local live = redis.call('ZSCORE', NODES, NODE)
if live then redis.call('ZADD', NODES, now + tonumber(ARGV[3]), NODE) end
local expired = redis.call('ZRANGEBYSCORE', NODES, '-inf', '(' .. now,
  'LIMIT', 0, 16)
return {live and 1 or 0, expired}
`;

/**
 * Declare node ARGV lost if its lease has expired: free each of its
 * names and publish a left (node_lost) for it, as if from that node. Only
 * the first caller does it; the others get -1. Returns the count.
 */
const REAP = `
local dead = ARGV[3]
local score = redis.call('ZSCORE', NODES, dead)
if not score or tonumber(score) >= now_ms() then return -1 end
redis.call('ZREM', NODES, dead)
local n = 0
for _, set in ipairs({set_of(dead), set_of(dead) .. ':old'}) do
  for _, id in ipairs(redis.call('SMEMBERS', set)) do
    n = n + release_held(dead, id, ${LeaveReason.node_lost})
  end
  redis.call('DEL', set)
end
redis.call('SET', P .. 'reaped:' .. dead, NODE, 'PX', 86400000)
return n
`;

/**
 * Start a re-sync: register this node with ARGV ttl, and set its claim set
 * aside (as :old) to find the claims it no longer holds. Returns 1 when the
 * node had been declared lost.
 */
const SYNC_BEGIN = `
redis.call('ZADD', NODES, now_ms() + tonumber(ARGV[3]), NODE)
local set, old = set_of(NODE), set_of(NODE) .. ':old'
if redis.call('EXISTS', set) == 1 then
  if redis.call('EXISTS', old) == 1 then
    redis.call('SUNIONSTORE', old, old, set)
    redis.call('DEL', set)
  else
    redis.call('RENAME', set, old)
  end
end
return redis.call('EXISTS', P .. 'reaped:' .. NODE)
`;

/**
 * Re-claim names: ARGV quads room, key, name, announced (1 or 0). Each
 * result is 1 (this node holds it) or 0 (another node does: a conflict).
 * A join the cluster never heard of (announced 0), or one whose leave was
 * announced when this node was declared lost, is published here.
 */
const SYNC_CLAIMS = `
local reaped = redis.call('EXISTS', P .. 'reaped:' .. NODE) == 1
local out = {}
for i = 3, #ARGV, 4 do
  local room, key, name, announced = ARGV[i], ARGV[i + 1], ARGV[i + 2],
    ARGV[i + 3]
  local cur = redis.call('HGET', claims_of(room), key)
  local mine = true
  if not cur then
    add_claim(room, key, name)
  elseif split(cur) == NODE then
    redis.call('HSET', claims_of(room), key, NODE .. '\\n' .. name)
    redis.call('SADD', set_of(NODE), room .. '\\n' .. key)
  else
    mine = false
  end
  if mine and (announced == '0' or (reaped and not cur)) then
    joined(NODE, room, name)
  end
  out[#out + 1] = mine and 1 or 0
end
return out
`;

/**
 * Finish a re-sync: ARGV quads room, key, name, reason of leaves the cluster
 * did not hear. Claims set aside and not re-claimed are freed, and their
 * leaves published (with the reason given, else disconnect). Returns the
 * number of leaves published.
 */
const SYNC_END = `
local reaped = redis.call('EXISTS', P .. 'reaped:' .. NODE) == 1
local set, old = set_of(NODE), set_of(NODE) .. ':old'
local n = 0
for i = 3, #ARGV, 4 do
  local room, key, name = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local id = room .. '\\n' .. key
  if redis.call('SISMEMBER', set, id) == 0 then
    local cur = redis.call('HGET', claims_of(room), key)
    if cur and split(cur) == NODE then
      drop_claim(room, key)
      left(NODE, room, name, tonumber(ARGV[i + 3]))
      n = n + 1
    elseif not cur and not reaped then
      left(NODE, room, name, tonumber(ARGV[i + 3]))
      n = n + 1
    end
  end
  redis.call('SREM', old, id)
end
for _, id in ipairs(redis.call('SMEMBERS', old)) do
  if redis.call('SISMEMBER', set, id) == 0 then
    n = n + release_held(NODE, id, ${LeaveReason.disconnect})
  end
end
redis.call('DEL', old, P .. 'reaped:' .. NODE)
return n
`;

/** Leave the cluster on shutdown: free what is left and deregister. */
const LEAVE = `
for _, set in ipairs({set_of(NODE), set_of(NODE) .. ':old'}) do
  for _, id in ipairs(redis.call('SMEMBERS', set)) do
    local room, key = split(id)
    local cur = redis.call('HGET', claims_of(room), key)
    if cur and split(cur) == NODE then drop_claim(room, key) end
  end
  redis.call('DEL', set)
end
redis.call('ZREM', NODES, NODE)
return 1
`;

/**
 * Up to ARGV max claim values of room ARGV and the room's count:
 * {total, values}. Large rooms are sampled with HSCAN, not read whole.
 */
const ROSTER = `
local key, max = claims_of(ARGV[3]), tonumber(ARGV[4])
local total = redis.call('HLEN', key)
if total <= max then return {total, redis.call('HVALS', key)} end
local values, cursor = {}, '0'
repeat
  local r = redis.call('HSCAN', key, cursor, 'COUNT', max)
  cursor = r[1]
  for i = 2, #r[2], 2 do
    if #values < max then values[#values + 1] = r[2][i] end
  end
until cursor == '0' or #values >= max
return {total, values}
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
