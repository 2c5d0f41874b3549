-- Replaces a scheduled deal's stock and rules in Redis, but only while the deal has not
-- started by Redis's own clock: once purchases may have reserved units, overwriting the stock
-- would refill it.
-- KEYS[1] deal stock, KEYS[2] deal info hash
-- ARGV: stock, price, per-user limit, starts-at (epoch ms), ends-at (epoch ms)
-- Returns 1 when replaced, 0 when the deal has already started.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local startsAt = tonumber(redis.call('HGET', KEYS[2], 'startsAt'))
if startsAt == nil or now >= startsAt then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'price', ARGV[2], 'perUserLimit', ARGV[3], 'startsAt', ARGV[4], 'endsAt', ARGV[5])
return 1
