/**
 * The Redis side of the sliding window (store.ts), as Lua so each admission and each settlement is one
 * atomic round trip — no check-then-act race between replicas. Time comes from Redis (TIME), so replicas
 * with skewed clocks still share one window. Keys carry a {tenant} hash tag (one slot in a cluster).
 * Tokens and requests share the store's window; a budget's micro-dollars have a window of their own, so
 * every helper takes its window `w` ({ W = length, bms = bucket length, cur = current bucket }).
 */

/** Redis time in ms, the store's window (ARGV 1 and 2) as TW, and the helpers every script shares. */
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local W = tonumber(ARGV[1]); local B = tonumber(ARGV[2]); local bms = W / B
local cur = math.floor(now / bms)
local S = B + 1
local function window(len) local b = len / B; return { W = len, bms = b, cur = math.floor(now / b) } end
local TW = { W = W, bms = bms, cur = cur }
local function carryLeft(key, limit, w)
  if limit < 0 then return 0 end
  local v = redis.call('HMGET', key, 'ca', 'ct')
  local ca = tonumber(v[1] or '0') or 0; local ct = tonumber(v[2] or '0') or 0
  if ca <= 0 then return 0 end
  return math.max(0, ca - limit * math.max(0, now - ct) / w.W)
end
-- What a limit still owes: a token debt is kept in a key of its own, not keyed by the window (a reload that changed the
-- window dropped it with the old window's keys); one an earlier version wrote into the tokens hash is still owed.
local function owed(key, debt, limit, w)
  local c = carryLeft(debt, limit, w)
  if debt ~= key then c = c + carryLeft(key, limit, w) end
  return c
end
-- A bucket ahead of now (Redis's clock stepped back) is moved to now: it leaves the window one window from now,
-- not once the clock has caught up with it.
local function load(key, w)
  local h = redis.call('HGETALL', key)
  local used = 0; local items = {}
  for i = 1, #h, 2 do
    local idx = tonumber(h[i]); local c = tonumber(h[i + 1])
    if idx ~= nil then
      if idx > w.cur then
        redis.call('HDEL', key, h[i]); redis.call('HINCRBYFLOAT', key, w.cur, c); idx = w.cur
      end
      if idx <= w.cur - S then redis.call('HDEL', key, h[i]) else used = used + c; items[#items + 1] = { idx, c } end
    end
  end
  table.sort(items, function(a, b) return a[1] < b[1] end)
  return used, items
end
`;

/** ms until a window holds none of its usage, nor any of the debt it carries (which drains at the limit's rate). */
const RESET = `
local function reset(items, w, carry, limit)
  local drain = 0
  if carry > 0 then drain = math.ceil(carry * w.W / math.max(limit, 1)) end
  local newest = nil
  for _, it in ipairs(items) do if it[2] > 0 then newest = it[1] end end
  if newest == nil then return drain end
  return math.max(drain, math.floor((newest + S) * w.bms - now))
end
`;

const ADMIT_ARGS =
  'local cost = tonumber(ARGV[3]); local lease = ARGV[4]; local ttl = tonumber(ARGV[5]); local n = tonumber(ARGV[6]); ' +
  'local usd = tonumber(ARGV[7])';

/**
 * KEYS: per spec [tokens hash, requests hash, leases zset, budget hash, token debt hash, budget debt hash], then the
 * admission's ticket.
 * ARGV: windowMs, buckets, cost, lease, leaseTtlMs, n, micro-dollars, then per spec tpm, rpm, conc, budget
 * (micro-dollars, -1 = none) and the budget's window in ms.
 * Returns: verdict, spec index or bucket, retry-after or the admission's time (ms), then per spec tokens used, tokens
 * reset, requests used, requests reset, active leases, budget used (a string: micro-dollars are fractional)
 * and budget reset.
 */
export const ADMIT = `${CLOCK}${ADMIT_ARGS}

local function retry(used, items, c, limit, w)
  if c > limit then return -1 end
  for _, it in ipairs(items) do
    used = used - it[2]
    if used + c <= limit then return math.max(1, math.floor((it[1] + S) * w.bms - now)) end
  end
  return math.floor(w.bms)
end
${RESET}-- ms until c fits under limit beside the carried debt, as the memory store's Meter.wait computes it: the first moment
-- the buckets that have left the window and the debt drained meanwhile (at the limit's rate, as carryLeft drains it)
-- leave it room. Usage is constant between two buckets' departures: each such span is tried in turn, oldest first.
local function wait(used, carry, items, c, limit, w)
  if c > limit then return -1 end
  local rate = limit / w.W
  local function fits(u, from)
    local room = limit - c - u
    if room < 0 then return -1 end
    if carry <= room then return from end
    if rate > 0 then return math.max(from, (carry - room) / rate) end
    return -1
  end
  local from = 0
  for _, it in ipairs(items) do
    if it[2] ~= 0 then
      local leaves = (it[1] + S) * w.bms - now
      local t = fits(used, from)
      if t >= 0 and t < leaves then return math.max(1, math.ceil(t)) end
      used = used - it[2]
      from = math.max(from, leaves)
    end
  end
  local t = fits(0, from)
  if t < 0 then return -1 end
  return math.max(1, math.ceil(t))
end

-- A client that gave up on this admission (its command timed out) cancelled it first: a late run does nothing.
local ticket = KEYS[#KEYS]
if redis.call('EXISTS', ticket) == 1 then return { 'cancelled' } end
local deny = nil
-- The longest wait among the limits that refuse (-1, never, over any).
local function refuse(kind, i, w)
  if deny == nil or (deny[3] >= 0 and (w < 0 or w > deny[3])) then deny = { kind, i, w } end
end
local loaded = {}
for i = 0, n - 1 do
  local a = 8 + i * 5
  local tl = tonumber(ARGV[a]); local rl = tonumber(ARGV[a + 1]); local cl = tonumber(ARGV[a + 2])
  local bl = tonumber(ARGV[a + 3]); local bw = window(tonumber(ARGV[a + 4]))
  local k = i * 6
  local tu, ti = load(KEYS[k + 1], TW)
  local tc = owed(KEYS[k + 1], KEYS[k + 5], tl, TW)
  -- The debt drains at the limit's rate per this store's window, which a reload may have lengthened (or the limit
  -- lowered) since the debt was written: its key lives until it has drained at the rate read now.
  if tc > 0 then
    redis.call('PEXPIRE', KEYS[k + 5], math.max(redis.call('PTTL', KEYS[k + 5]), math.ceil(tc * W / math.max(tl, 1) + bms)))
  end
  local ru, ri = load(KEYS[k + 2], TW)
  redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], '-inf', now)
  local active = redis.call('ZCARD', KEYS[k + 3])
  local bu, bi, bc = 0, {}, 0
  if bl >= 0 then
    bu, bi = load(KEYS[k + 4], bw)
    -- Owed beyond the window, in a key of its own (as the token debt): kept in the window's hash, a reload that changed
    -- the budget's per forgave it. Its key lives until it has drained at the rate read now, as the token debt's.
    bc = owed(KEYS[k + 4], KEYS[k + 6], bl, bw)
    if bc > 0 then
      redis.call('PEXPIRE', KEYS[k + 6], math.max(redis.call('PTTL', KEYS[k + 6]), math.ceil(bc * bw.W / math.max(bl, 1) + bw.bms)))
    end
  end
  loaded[i] = { tu + tc, ti, ru, ri, active, bu + bc, bi, bw, tc, tl, bc, bl }
  -- Every limit that refuses is read: the refusal says when all of them admit (memory-store.ts, admit).
  if rl >= 0 and ru + 1 > rl then refuse('requests', i, retry(ru, ri, 1, rl, TW)) end
  if tl >= 0 and cost > 0 and tu + tc + cost > tl then refuse('tokens', i, wait(tu, tc, ti, cost, tl, TW)) end
  if bl >= 0 and usd > 0 and bu + bc + usd > bl then refuse('budget', i, wait(bu, bc, bi, usd, bl, bw)) end
  if cl >= 0 and active >= cl then
    if cl == 0 then refuse('concurrency', i, -1) else refuse('concurrency', i, 1000) end
  end
end
local out = {}
if deny == nil then
  out[1] = 'ok'; out[2] = cur; out[3] = now
  -- What CANCEL needs to undo this admission, should the client have given up on it: kept as long as the admission counts
  -- anywhere, a budget's window too (SETTLE deletes it). Kept for the lease and the rate window alone, a CANCEL resent
  -- after a longer partition found nothing to undo, and the budget's reservation stood for the rest of its day.
  -- A window counts a bucket for one bucket past its length (S): so does the ticket.
  local keep = math.max(ttl, W + bms)
  for i = 0, n - 1 do
    if tonumber(ARGV[11 + i * 5]) >= 0 then keep = math.max(keep, tonumber(ARGV[12 + i * 5]) * S / B) end
  end
  redis.call('SET', ticket, cur .. ' ' .. now, 'PX', math.ceil(keep))
  for i = 0, n - 1 do
    local a = 8 + i * 5
    local tl = tonumber(ARGV[a]); local rl = tonumber(ARGV[a + 1]); local cl = tonumber(ARGV[a + 2]); local bl = tonumber(ARGV[a + 3])
    local l = loaded[i]
    local k = i * 6
    if tl >= 0 then
      redis.call('HINCRBY', KEYS[k + 1], cur, cost); redis.call('PEXPIRE', KEYS[k + 1], math.ceil(W + bms))
      l[1] = l[1] + cost; l[2][#l[2] + 1] = { cur, cost }
    end
    if rl >= 0 then
      redis.call('HINCRBY', KEYS[k + 2], cur, 1); redis.call('PEXPIRE', KEYS[k + 2], math.ceil(W + bms))
      l[3] = l[3] + 1; l[4][#l[4] + 1] = { cur, 1 }
    end
    if cl >= 0 then
      -- The key outlives every lease it holds: a store of a shorter leaseTtl (a reload, a replica mid-rollout) that set
      -- its own expiry erased the live leases of a longer one.
      redis.call('ZADD', KEYS[k + 3], now + ttl, lease)
      redis.call('PEXPIRE', KEYS[k + 3], math.max(redis.call('PTTL', KEYS[k + 3]), ttl))
      l[5] = l[5] + 1
    end
    if bl >= 0 then
      local bw = l[8]
      if usd > 0 then
        redis.call('HINCRBYFLOAT', KEYS[k + 4], bw.cur, usd)
        redis.call('PEXPIRE', KEYS[k + 4], math.max(redis.call('PTTL', KEYS[k + 4]), math.ceil(bw.W + bw.bms)))
        l[6] = l[6] + usd; l[7][#l[7] + 1] = { bw.cur, usd }
      end
    end
  end
else
  out[1] = deny[1]; out[2] = deny[2]; out[3] = deny[3]
end
for i = 0, n - 1 do
  local l = loaded[i]
  -- Redis answers a number as a whole one cut toward 0: a draining debt's fraction is used, so it is counted up (as the
  -- memory store floors what remains), or the remaining tokens said one more than a request could then take.
  out[#out + 1] = math.ceil(l[1]); out[#out + 1] = reset(l[2], TW, l[9], l[10]); out[#out + 1] = l[3]; out[#out + 1] = reset(l[4], TW, 0, 0)
  out[#out + 1] = l[5]; out[#out + 1] = tostring(l[6]); out[#out + 1] = reset(l[7], l[8], l[11], l[12])
end
return out
`;

/**
 * The token and request windows of each limit as ADMIT reads them, writing nothing and counting nothing: the
 * x-ratelimit-* headers of a refusal before admission (limiter.ts, rateHeadersOf). Its own read of a window — load()
 * tidies the hash it reads (drops old buckets, moves one ahead of now), and a read-only answer must not write.
 * KEYS: per spec [tokens hash, requests hash, token debt hash]. ARGV: windowMs, buckets, n, then per spec tpm and rpm
 * (-1 = none). Returns per spec: tokens used, tokens reset, requests used, requests reset.
 */
export const PEEK = `${CLOCK}${RESET}
local n = tonumber(ARGV[3])
local function peek(key)
  local h = redis.call('HGETALL', key)
  local used = 0; local items = {}
  for i = 1, #h, 2 do
    local idx = tonumber(h[i]); local c = tonumber(h[i + 1])
    if idx ~= nil then
      if idx > cur then idx = cur end
      if idx > cur - S then used = used + c; items[#items + 1] = { idx, c } end
    end
  end
  table.sort(items, function(a, b) return a[1] < b[1] end)
  return used, items
end
local out = {}
for i = 0, n - 1 do
  local tl = tonumber(ARGV[4 + i * 2]); local rl = tonumber(ARGV[5 + i * 2])
  local k = i * 3
  local tu, ti, tc, ru, ri = 0, {}, 0, 0, {}
  if tl >= 0 then
    tu, ti = peek(KEYS[k + 1])
    tc = owed(KEYS[k + 1], KEYS[k + 3], tl, TW)
  end
  if rl >= 0 then ru, ri = peek(KEYS[k + 2]) end
  out[#out + 1] = math.ceil(tu + tc); out[#out + 1] = reset(ti, TW, tc, tl)
  out[#out + 1] = ru; out[#out + 1] = reset(ri, TW, 0, 0)
end
return out
`;

const SETTLE_ARGS =
  'local bucket = tonumber(ARGV[3]); local delta = tonumber(ARGV[4]); local lease = ARGV[5]; local n = tonumber(ARGV[6]); ' +
  'local bat = tonumber(ARGV[7]); local bdelta = tonumber(ARGV[8])';

/**
 * KEYS: per spec [tokens hash, leases zset, budget hash, token debt hash, budget debt hash], then the admission's ticket. ARGV: windowMs, buckets, bucket, delta, lease, n,
 * the admission's time (ms: each budget window finds its own bucket from it), budget delta (micro-dollars), then per spec the tpm limit, the budget (-1 = none) and the
 * budget's window in ms. A refund goes back into the reservation's bucket; debt goes into the window as far
 * as the limit leaves room, and the rest carries over (fields ca/ct of the debt hash: each a key of its own, not the
 * window's, store.ts).
 */
export const SETTLE = `${CLOCK}${SETTLE_ARGS}
-- The admission's ticket still stands while its reservation is counted (ADMIT keeps it for every window it counts in):
-- gone, the reservation went with it (Redis flushed or restarted since), and a refund would come out of what other
-- requests admitted since then reserved in the same bucket: their limits read as room, and admitted past them.
local held = redis.call('EXISTS', KEYS[#KEYS]) == 1
local function settle(key, debt, limit, w, b, d, incr)
  if limit < 0 or d == 0 then return end
  if b > w.cur then load(key, w); b = w.cur end
  if d < 0 then
    if not held or b <= w.cur - S then return end
    local c = tonumber(redis.call('HGET', key, b) or '0')
    if c + d < 0 then d = -c end
    if d ~= 0 then redis.call(incr, key, b, d) end
    return
  end
  local used = load(key, w)
  local carry = owed(key, debt, limit, w)
  local inWindow = math.min(d, math.max(0, limit - used - carry))
  -- A draining carry leaves a fraction of room: token buckets hold whole tokens (HINCRBY refuses a fraction, and the
  -- script stopped there, charging nothing and holding the lease), so the fraction carries with the rest.
  if incr == 'HINCRBY' then inWindow = math.floor(inWindow) end
  if inWindow > 0 then
    if b > w.cur - S then redis.call(incr, key, b, inWindow) else redis.call(incr, key, w.cur, inWindow) end
    redis.call('PEXPIRE', key, math.max(redis.call('PTTL', key), math.ceil(w.W + w.bms)))
  end
  if d > inWindow then
    local ca = carry + d - inWindow
    redis.call('HSET', debt, 'ca', tostring(ca), 'ct', tostring(now))
    if debt ~= key then redis.call('HDEL', key, 'ca', 'ct') end
    -- Never shortened: a reader with a slower drain (a reload that lengthened the budget's per or lowered the limit;
    -- ADMIT keeps the key as long as it drains the debt) set it longer. Set from this settlement's rate alone: a request
    -- admitted before such a reload, the key expired while its debt stood, forgiven whole.
    redis.call('PEXPIRE', debt, math.max(redis.call('PTTL', debt), math.ceil(w.W + w.bms), math.ceil(ca * w.W / math.max(limit, 1) + w.bms)))
  end
end
-- The slots first: a command Redis refuses ends the script where it is, keeping what it wrote before, and a lease
-- still held then kept its tenant's slot for leaseTtl.
for i = 0, n - 1 do redis.call('ZREM', KEYS[i * 5 + 2], lease) end
redis.call('DEL', KEYS[#KEYS])
for i = 0, n - 1 do
  local a = 9 + i * 3
  settle(KEYS[i * 5 + 1], KEYS[i * 5 + 4], tonumber(ARGV[a]), TW, bucket, delta, 'HINCRBY')
  local bl = tonumber(ARGV[a + 1])
  if bl >= 0 then
    local bw = window(tonumber(ARGV[a + 2]))
    settle(KEYS[i * 5 + 3], KEYS[i * 5 + 5], bl, bw, math.floor(bat / bw.bms), bdelta, 'HINCRBYFLOAT')
  end
end
return 1
`;

/**
 * Undoes an admission its client gave up on (the command timed out: the script may still run when Redis wakes).
 * KEYS and ARGV as ADMIT's. Idempotent, and whichever of the two runs first: after the admission it refunds what
 * the ticket says was counted and frees the lease; before it, it leaves the ticket as a tombstone ADMIT refuses on.
 */
export const CANCEL = `${CLOCK}${ADMIT_ARGS}
local ticket = KEYS[#KEYS]
local keep = math.ceil(math.max(ttl, W))
local v = redis.call('GET', ticket)
redis.call('SET', ticket, 'cancelled', 'PX', keep)
if not v or v == 'cancelled' then return 0 end
local sp = string.find(v, ' ', 1, true)
local bucket = tonumber(string.sub(v, 1, sp - 1)); local at = tonumber(string.sub(v, sp + 1))
local function refund(key, w, b, d, incr)
  if d <= 0 or b <= w.cur - S then return end
  if b > w.cur then load(key, w); b = w.cur end
  local c = tonumber(redis.call('HGET', key, b) or '0') or 0
  if d > c then d = c end
  if d > 0 then redis.call(incr, key, b, -d) end
end
for i = 0, n - 1 do
  local a = 8 + i * 5
  local k = i * 6
  if tonumber(ARGV[a]) >= 0 then refund(KEYS[k + 1], TW, bucket, cost, 'HINCRBY') end
  if tonumber(ARGV[a + 1]) >= 0 then refund(KEYS[k + 2], TW, bucket, 1, 'HINCRBY') end
  redis.call('ZREM', KEYS[k + 3], lease)
  if tonumber(ARGV[a + 3]) >= 0 then
    local bw = window(tonumber(ARGV[a + 4]))
    refund(KEYS[k + 4], bw, math.floor(at / bw.bms), usd, 'HINCRBYFLOAT')
  end
end
return 1
`;

/** KEYS: leases zsets. ARGV: lease. Frees a concurrency lease before the request's tokens are known. */
export const RELEASE = `
for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
`;

/**
 * KEYS: leases zsets. ARGV: lease, leaseTtlMs. Adds the lease back when it is missing — Redis restarted or was
 * flushed while the request lived — so the slot it holds is counted again. A renew never follows its lease's
 * release: the settle stage stops the renewals first, and both go over the one connection, in order.
 */
export const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + tonumber(ARGV[2]), ARGV[1])
  -- Never shortened: other leases in the key may have a longer leaseTtl (ADMIT says why).
  redis.call('PEXPIRE', KEYS[i], math.max(redis.call('PTTL', KEYS[i]), tonumber(ARGV[2])))
end
return 1
`;
