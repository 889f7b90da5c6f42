/**
 * The Lua scripts of name claims in the Redis backplane: claim a name,
 * release it, and sample a room's members (adapters/redis/name_claims.ts
 * runs them). adapters/redis/scripts.ts runs each after its prelude: `P` the
 * prefix, `NODE` this node, `NODES`, `ROOMS`, `claims_of`, `set_of`,
 * `split`, `add_claim`, `drop_claim`.
 *
 * @module
 */

/**
 * Claim a name: ARGV room, key, name. 1 won (or already ours), 0 taken by
 * another node, -1 this node is not registered (lost, or Redis restarted):
 * nothing was written and the node must re-sync.
 */
export const CLAIM = `
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
export const RELEASE = `
local room, key = ARGV[3], ARGV[4]
local cur = redis.call('HGET', claims_of(room), key)
if cur and split(cur) == NODE then drop_claim(room, key) end
redis.call('SREM', set_of(NODE), room .. '\\n' .. key)
return 1
`;

/**
 * Up to ARGV max claim values of room ARGV and the room's count:
 * {total, values}. Large rooms are sampled with HSCAN, not read whole.
 */
export const ROSTER = `
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
