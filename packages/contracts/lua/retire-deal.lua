-- Retires a deal the relay is done with: ended (by Redis's clock, the one the reservation judges
-- the window by) more than a grace period ago, and its outbox drained. Every key of its purchase
-- state then expires a retention period after the end; `info` stays, so a late purchase is still
-- refused as `ended`. Idempotent: a retry sets the same expiries.
-- KEYS: [1] deal:{id}:stock  [2] deal:{id}:info  [3] deal:{id}:buyers
--       [4] deal:{id}:idempotency  [5] deal:{id}:outbox  [6] deal:{id}:orders
--       [7] deal:{id}:released (checkout)
-- ARGV: [1] grace ms after the end  [2] retention ms after the end
-- Returns 1 when retired (the expiries set), 0 when the deal is not done (nothing written).
local ends = tonumber(redis.call('HGET', KEYS[2], 'endsAt'))
if not ends then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if ends >= now - tonumber(ARGV[1]) then return 0 end
if redis.call('XLEN', KEYS[5]) > 0 then return 0 end
local at = ends + tonumber(ARGV[2])
for _, key in ipairs({ KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7] }) do
  redis.call('PEXPIREAT', key, at)
end
return 1
