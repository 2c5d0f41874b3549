-- Publishes a deal's stock and rules to Redis, only where absent: publishing again (a retry,
-- a restart) must never refill a deal that has already sold units.
-- KEYS[1] deal stock, KEYS[2] deal info hash
-- ARGV: stock, price, per-user limit, starts-at (epoch ms), ends-at (epoch ms), product id
-- Returns 1 when the stock was set now, 0 when it was already there.
local created = redis.call('SET', KEYS[1], ARGV[1], 'NX')
redis.call('HSETNX', KEYS[2], 'price', ARGV[2])
redis.call('HSETNX', KEYS[2], 'perUserLimit', ARGV[3])
redis.call('HSETNX', KEYS[2], 'startsAt', ARGV[4])
redis.call('HSETNX', KEYS[2], 'endsAt', ARGV[5])
redis.call('HSETNX', KEYS[2], 'productId', ARGV[6])
if created then return 1 end
return 0
