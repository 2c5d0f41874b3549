-- Restores a deal's Redis state after Redis lost it, only if it is still missing: the stock key
-- is written last and with NX, so a gateway never sees a deal with stock but without its buyers.
-- KEYS: [1] deal:{id}:stock  [2] deal:{id}:info
-- ARGV: [1] stock remaining  [2] price  [3] per-user limit  [4] starts-at ms  [5] ends-at ms
--       [6] product id
-- Returns 1 when restored, 0 when the stock was already there (nothing written).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[2], 'price', ARGV[2], 'perUserLimit', ARGV[3], 'startsAt', ARGV[4],
  'endsAt', ARGV[5], 'productId', ARGV[6])
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return 1
