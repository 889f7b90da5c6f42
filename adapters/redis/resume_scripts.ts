/**
 * The Lua scripts of history and resume in the Redis backplane (the rest
 * are in adapters/redis/scripts.ts, which runs them after its prelude: `P`
 * the prefix, `NODE` this node, `ROOMS`, `claims_of`, `set_of`, `split`).
 *
 * @module
 */

/**
 * Keep an announcement to every room in each room's history: ARGV maxlen,
 * time (ms), frame. Returns the number of rooms.
 */
export const HISTORY_ALL = `
local rooms = redis.call('HKEYS', ROOMS)
for _, room in ipairs(rooms) do
  redis.call('XADD', P .. 'history:' .. room, 'MAXLEN', ARGV[3], '*',
    't', ARGV[4], 'f', ARGV[5])
end
return #rooms
`;

/**
 * Hand a name this node holds over to node ARGV (a member resumes there):
 * ARGV room, key, to. 1 done, 0 this node does not hold it.
 */
export const HAND_OVER = `
local room, key, to = ARGV[3], ARGV[4], ARGV[5]
local cur = redis.call('HGET', claims_of(room), key)
if not cur then return 0 end
local owner, name = split(cur)
if owner ~= NODE then return 0 end
local id = room .. '\\n' .. key
redis.call('HSET', claims_of(room), key, to .. '\\n' .. name)
redis.call('SREM', set_of(NODE), id)
redis.call('SADD', set_of(to), id)
return 1
`;
