-- Counts a login attempt and decides whether it may be evaluated, in one atomic step, before
-- the password is checked: concurrent attempts cannot all read "under the limit" and then all
-- be evaluated (the check-then-act race of counting after the argon2 verify).
--
-- Three throttles, each a hash {n = attempts counted, next = epoch ms before which no attempt
-- is evaluated}, expiring `window` ms after the last attempt:
--   pair     (account, address):  after `pairLimit` attempts, progressive delays
--   account  (from addresses that never logged into it): after `accountLimit`, progressive delays;
--            a known address (one that logged in successfully before) is exempt, so a stranger
--            cannot lock the owner out of the places they already use
--   address  (every account):      after `addressLimit`, progressive delays (password spraying)
-- The delay after the limit doubles per attempt: base, 2 base, 4 base... capped at `maxDelay`.
-- A refused attempt is not counted (it was not evaluated); a successful one is uncounted by
-- login-success.lua.
--
-- KEYS: pair, account, known (set of addresses), address
-- ARGV: address, pairLimit, accountLimit, addressLimit, windowMs, baseDelayMs, maxDelayMs
-- Returns {1, 0, known} when the attempt may be evaluated, {0, waitMs, dimension} when not.
local address = ARGV[1]
local limits = { tonumber(ARGV[2]), tonumber(ARGV[3]), nil, tonumber(ARGV[4]) }
local window = tonumber(ARGV[5])
local base = tonumber(ARGV[6])
local maxDelay = tonumber(ARGV[7])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local known = redis.call('SISMEMBER', KEYS[3], address) == 1

-- Which throttles apply: the account-wide one only to addresses it does not know.
local applies = { 1, 4 }
if not known then applies = { 1, 2, 4 } end
local names = { 'pair', 'account', nil, 'address' }

for _, i in ipairs(applies) do
  local nextAt = tonumber(redis.call('HGET', KEYS[i], 'next') or '0')
  if nextAt > now then return { 0, nextAt - now, names[i] } end
end

for _, i in ipairs(applies) do
  local n = redis.call('HINCRBY', KEYS[i], 'n', 1)
  local delay = 0
  if n >= limits[i] then
    delay = math.min(base * 2 ^ math.min(n - limits[i], 40), maxDelay)
    redis.call('HSET', KEYS[i], 'next', now + delay)
  end
  redis.call('PEXPIRE', KEYS[i], window + delay)
end
if known then return { 1, 0, 1 } end
return { 1, 0, 0 }
