/**
 * The Lua scripts of a node's lease in the Redis backplane
 * (adapters/redis/lease.ts runs them): renew the lease, reap a lost node
 * (exactly one node wins it), re-claim names after an outage (begin, claims,
 * end), and leave the cluster. Those that announce something (a lost node's
 * leaves, re-claimed joins) publish the frames themselves, in the same
 * atomic step. adapters/redis/scripts.ts runs each after its prelude.
 *
 * @module
 */

import { LeaveReason } from "../../core/events.ts";

/**
 * Renew this node's lease for ARGV ttl ms, if it is registered. Returns
 * {1 or 0 (not registered), up to 16 node ids whose lease has expired}.
 */
export const RENEW = `
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
export const REAP = `
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
export const SYNC_BEGIN = `
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
export const SYNC_CLAIMS = `
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
export const SYNC_END = `
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
export const LEAVE = `
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
