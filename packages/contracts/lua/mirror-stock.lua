-- Lowers a deal's Redis stock to what Postgres has left after a sync-mode purchase.
-- Only ever lowers: mirrors of concurrent purchases arrive in any order, and an earlier, larger
-- value must not undo a later one. An absent key stays absent (the deal is not open in Redis).
-- KEYS[1] deal stock; ARGV[1] stock remaining in Postgres
-- Returns 1 when the value was lowered, 0 otherwise.
local current = tonumber(redis.call('GET', KEYS[1]))
local remaining = tonumber(ARGV[1])
if current == nil or current <= remaining then return 0 end
redis.call('SET', KEYS[1], remaining, 'KEEPTTL')
return 1
