-- Restores part of a deal's buyers and idempotency records after Redis lost the deal, before
-- restore-deal opens it again, and only while its stock is still missing: once a deal is open,
-- reserve.lua owns these hashes, and an older count from Postgres must never overwrite them.
-- KEYS: [1] deal:{id}:stock  [2] deal:{id}:buyers  [3] deal:{id}:idempotency
-- ARGV: [1] n, the number of buyers; then n pairs (user id, units bought); then pairs
--       (idempotency field, idempotency record) up to the end
-- Returns 1 when written, 0 when the stock was there (nothing written).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local buyers = tonumber(ARGV[1])
for i = 2, 1 + 2 * buyers, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
for i = 2 + 2 * buyers, #ARGV, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
end
return 1
