/**
 * The Redis side of the sliding window (store.ts), as Lua so each admission and each settlement is one
 * atomic round trip — no check-then-act race between replicas. Time comes from Redis (TIME), so replicas
 * with skewed clocks still share one window. Keys carry a {tenant} hash tag (one slot in a cluster).
 */

/** Redis time in ms, the window (ARGV 1 and 2), the current bucket, and the span of buckets counted (store.ts). */
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local W = tonumber(ARGV[1]); local B = tonumber(ARGV[2]); local bms = W / B
local cur = math.floor(now / bms)
local S = B + 1
local function carryLeft(key, limit)
  if limit < 0 then return 0 end
  local v = redis.call('HMGET', key, 'ca', 'ct')
  local ca = tonumber(v[1] or '0') or 0; local ct = tonumber(v[2] or '0') or 0
  if ca <= 0 then return 0 end
  return math.max(0, ca - limit * (now - ct) / W)
end
local function load(key)
  local h = redis.call('HGETALL', key)
  local used = 0; local items = {}
  for i = 1, #h, 2 do
    local idx = tonumber(h[i]); local c = tonumber(h[i + 1])
    if idx ~= nil then
      if idx <= cur - S then redis.call('HDEL', key, h[i]) else used = used + c; items[#items + 1] = { idx, c } end
    end
  end
  table.sort(items, function(a, b) return a[1] < b[1] end)
  return used, items
end
`;

const ADMIT_ARGS = 'local cost = tonumber(ARGV[3]); local lease = ARGV[4]; local ttl = tonumber(ARGV[5]); local n = tonumber(ARGV[6])';

/**
 * KEYS: per spec [tokens hash, requests hash, leases zset].
 * ARGV: windowMs, buckets, cost, lease, leaseTtlMs, n, then per spec tpm, rpm, conc (-1 = none).
 */
export const ADMIT = `${CLOCK}${ADMIT_ARGS}

local function retry(used, items, c, limit)
  if c > limit then return -1 end
  for _, it in ipairs(items) do
    used = used - it[2]
    if used + c <= limit then return math.max(1, math.floor((it[1] + S) * bms - now)) end
  end
  return math.floor(bms)
end
local function reset(items)
  local newest = nil
  for _, it in ipairs(items) do if it[2] > 0 then newest = it[1] end end
  if newest == nil then return 0 end
  return math.max(0, math.floor((newest + S) * bms - now))
end

local deny = nil
local loaded = {}
for i = 0, n - 1 do
  local tl = tonumber(ARGV[7 + i * 3]); local rl = tonumber(ARGV[8 + i * 3]); local cl = tonumber(ARGV[9 + i * 3])
  local tu, ti = load(KEYS[i * 3 + 1])
  local tc = carryLeft(KEYS[i * 3 + 1], tl)
  local ru, ri = load(KEYS[i * 3 + 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[i * 3 + 3], '-inf', now)
  local active = redis.call('ZCARD', KEYS[i * 3 + 3])
  loaded[i] = { tu + tc, ti, ru, ri, active }
  if deny == nil then
    if rl >= 0 and ru + 1 > rl then deny = { 'requests', i, retry(ru, ri, 1, rl) }
    elseif tl >= 0 and tu + tc + cost > tl then
      local r = -1
      if cost <= tl then r = math.max(retry(tu, ti, math.min(cost + tc, tl), tl), math.ceil(tc * W / tl)) end
      deny = { 'tokens', i, r }
    elseif cl >= 0 and active >= cl then
      if cl == 0 then deny = { 'concurrency', i, -1 } else deny = { 'concurrency', i, 1000 } end
    end
  end
end
local out = {}
if deny == nil then
  out[1] = 'ok'; out[2] = cur; out[3] = 0
  for i = 0, n - 1 do
    local tl = tonumber(ARGV[7 + i * 3]); local rl = tonumber(ARGV[8 + i * 3]); local cl = tonumber(ARGV[9 + i * 3])
    local l = loaded[i]
    if tl >= 0 then
      redis.call('HINCRBY', KEYS[i * 3 + 1], cur, cost); redis.call('PEXPIRE', KEYS[i * 3 + 1], math.ceil(W + bms))
      l[1] = l[1] + cost; l[2][#l[2] + 1] = { cur, cost }
    end
    if rl >= 0 then
      redis.call('HINCRBY', KEYS[i * 3 + 2], cur, 1); redis.call('PEXPIRE', KEYS[i * 3 + 2], math.ceil(W + bms))
      l[3] = l[3] + 1; l[4][#l[4] + 1] = { cur, 1 }
    end
    if cl >= 0 then
      redis.call('ZADD', KEYS[i * 3 + 3], now + ttl, lease); redis.call('PEXPIRE', KEYS[i * 3 + 3], ttl)
      l[5] = l[5] + 1
    end
  end
else
  out[1] = deny[1]; out[2] = deny[2]; out[3] = deny[3]
end
for i = 0, n - 1 do
  local l = loaded[i]
  out[#out + 1] = l[1]; out[#out + 1] = reset(l[2]); out[#out + 1] = l[3]; out[#out + 1] = reset(l[4]); out[#out + 1] = l[5]
end
return out
`;

const SETTLE_ARGS = 'local bucket = tonumber(ARGV[3]); local delta = tonumber(ARGV[4]); local lease = ARGV[5]; local n = tonumber(ARGV[6])';

/**
 * KEYS: per spec [tokens hash, leases zset]. ARGV: windowMs, buckets, bucket, delta, lease, n, then per spec
 * the tpm limit (-1 = none). A refund goes back into the reservation's bucket; debt goes into the window as
 * far as the limit leaves room, and the rest carries over (fields ca/ct of the tokens hash, store.ts).
 */
export const SETTLE = `${CLOCK}${SETTLE_ARGS}
local function add(tk, d)
  if bucket > cur - S then redis.call('HINCRBY', tk, bucket, d)
  else redis.call('HINCRBY', tk, cur, d) end
  redis.call('PEXPIRE', tk, math.max(redis.call('PTTL', tk), math.ceil(W + bms)))
end
for i = 0, n - 1 do
  local tk = KEYS[i * 2 + 1]
  local tl = tonumber(ARGV[7 + i])
  if tl >= 0 and delta < 0 and bucket > cur - S then
    local c = tonumber(redis.call('HGET', tk, bucket) or '0')
    local d = delta
    if c + d < 0 then d = -c end
    if d ~= 0 then redis.call('HINCRBY', tk, bucket, d) end
  elseif tl >= 0 and delta > 0 then
    local used = load(tk)
    local carry = carryLeft(tk, tl)
    local inWindow = math.min(delta, math.max(0, tl - used - carry))
    if inWindow > 0 then add(tk, inWindow) end
    if delta > inWindow then
      local ca = carry + delta - inWindow
      redis.call('HSET', tk, 'ca', tostring(ca), 'ct', tostring(now))
      redis.call('PEXPIRE', tk, math.max(math.ceil(W + bms), math.ceil(ca * W / math.max(tl, 1) + bms)))
    end
  end
  redis.call('ZREM', KEYS[i * 2 + 2], lease)
end
return 1
`;

/** KEYS: leases zsets. ARGV: lease. Frees a concurrency lease before the request's tokens are known. */
export const RELEASE = `
for i = 1, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
`;

/** KEYS: leases zsets. ARGV: lease, leaseTtlMs. */
export const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[2]))
end
return 1
`;
