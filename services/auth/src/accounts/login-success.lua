-- A login succeeded: the attempt login-attempt.lua counted was not a failure. The pair's
-- record is cleared (the owner from that address starts afresh), the account-wide and address
-- counts lose that one attempt, and the address becomes known to the account (exempt from the
-- account-wide throttle) for `knownTtlMs`.
--
-- KEYS: pair, account, known, address
-- ARGV: address, wasKnown (1|0), knownTtlMs
redis.call('DEL', KEYS[1])
local function uncount(key)
  if redis.call('HINCRBY', key, 'n', -1) <= 0 then redis.call('DEL', key) end
end
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then uncount(KEYS[2]) end
if redis.call('EXISTS', KEYS[4]) == 1 then uncount(KEYS[4]) end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[3]))
return 1
