-- Reserves stock for one purchase, atomically, in one round trip: the whole decision and its
-- effects happen inside Redis, so no two buyers can both take the last unit.
--
-- KEYS: [1] deal:{id}:stock  [2] deal:{id}:info  [3] deal:{id}:buyers
--       [4] deal:{id}:idempotency  [5] deal:{id}:outbox  [6] deal:{id}:orders
-- ARGV: [1] user id  [2] Idempotency-Key  [3] quantity  [4] order id (UUIDv7)  [5] deal id
--       [6] traceparent ('' when none)
--
-- Returns { outcome, order id, number } where outcome is one of
--   accepted (order id, unit price)   replayed (order id of the first purchase)
--   idempotency_key_reused            deal_not_found          deal_unavailable
--   not_started   ended   quantity_above_limit (limit)   limit_reached (limit)   sold_out
-- The checks run in the order of the sync path: idempotency, window, limit, stock.

local user, key, quantity = ARGV[1], ARGV[2], tonumber(ARGV[3])

local info = redis.call('HMGET', KEYS[2], 'price', 'perUserLimit', 'startsAt', 'endsAt')
if not info[1] then return { 'deal_not_found', '', 0 } end
-- The window is judged by Redis's clock, the one clock every gateway instance shares.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local stock = redis.call('GET', KEYS[1])
if not stock then
  -- Info without stock: a deal over for longer than its retention (its purchase state expired),
  -- or one being restored by the reconciler: refuse, never guess.
  if now >= tonumber(info[4]) then return { 'ended', '', 0 } end
  return { 'deal_unavailable', '', 0 }
end

-- A retry of a purchase already made answers with that purchase, even after a sell-out.
local field = user .. ':' .. key
local first = redis.call('HGET', KEYS[4], field)
if first then
  local sep = string.find(first, ':', 1, true)
  local order = string.sub(first, 1, sep - 1)
  if tonumber(string.sub(first, sep + 1)) ~= quantity then
    return { 'idempotency_key_reused', order, 0 }
  end
  return { 'replayed', order, 0 }
end

if now < tonumber(info[3]) then return { 'not_started', '', 0 } end
if now >= tonumber(info[4]) then return { 'ended', '', 0 } end

local limit = tonumber(info[2])
if quantity > limit then return { 'quantity_above_limit', '', limit } end
local bought = tonumber(redis.call('HGET', KEYS[3], user) or '0')
if bought + quantity > limit then return { 'limit_reached', '', limit } end
if tonumber(stock) < quantity then return { 'sold_out', '', 0 } end

redis.call('DECRBY', KEYS[1], quantity)
redis.call('HINCRBY', KEYS[3], user, quantity)
redis.call('HSET', KEYS[4], field, ARGV[4] .. ':' .. quantity)
local accepted_at = string.format('%d', now)
-- The order itself, readable by id at the 202's Location before the relay or the consumer has
-- seen it (userId:quantity:unitPrice:acceptedAtMs).
redis.call('HSET', KEYS[6], ARGV[4], user .. ':' .. ARGV[3] .. ':' .. info[1] .. ':' .. accepted_at)
-- The outbox record is written in the same atomic step as the reservation: an accepted
-- purchase cannot exist without its record, whatever happens to Kafka afterwards. One field, its
-- values space-separated (orderId dealId userId quantity unitPrice acceptedAtMs traceparent
-- Idempotency-Key; none holds a space, the key comes last): one bulk string per entry instead of
-- sixteen, which the relay reads and parses for every order, and fewer bytes in the AOF.
redis.call('XADD', KEYS[5], '*', 'order', table.concat({
  ARGV[4], ARGV[5], user, ARGV[3], info[1], accepted_at, ARGV[6], key }, ' '))
return { 'accepted', ARGV[4], tonumber(info[1]) }
