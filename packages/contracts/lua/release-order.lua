-- Gives a released order's units back to the deal in Redis (checkout: an expiry or a
-- cancellation Postgres has already decided), once per order id whatever the retries.
-- KEYS: [1] deal:{id}:stock  [2] deal:{id}:buyers  [3] deal:{id}:released
-- ARGV: [1] order id  [2] user id  [3] quantity
-- Returns 'applied' (stock and the buyer's count given back now), 'duplicate' (this order was
-- given back before: nothing written) or 'absent' (no stock key: the deal is not open in Redis
-- — ended past its retention, or lost and waiting for the reconciler's restore, which counts
-- the releases not applied yet — nothing written, so a retry after the restore applies it).
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 'duplicate' end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'absent' end
local quantity = tonumber(ARGV[3])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('INCRBY', KEYS[1], quantity)
-- The per-user limit counts held + paid units: a released hold no longer counts.
if redis.call('HINCRBY', KEYS[2], ARGV[2], -quantity) <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return 'applied'
