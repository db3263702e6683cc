-- Counts per node in one hash (KEYS[1]: node -> count), summed over live nodes
-- (KEYS[2]: sorted set of heartbeats, score = ms). ARGV[1] this node, ARGV[2]
-- how long a node counts as alive after its heartbeat (ms), ARGV[3] the mode:
--   'set', ARGV[4] = this node's count: records it; returns the total.
--   'open', ARGV[4] = a cap: adds one for this node unless the total reaches
--     the cap; returns 1 added, 0 refused.
-- Dead nodes' counts are dropped on the way. The clock is Redis's.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local alive_after = now - tonumber(ARGV[2])
local mode, n = ARGV[3], tonumber(ARGV[4])
if mode == 'set' then
  if n > 0 then
    redis.call('HSET', KEYS[1], ARGV[1], n)
  else
    redis.call('HDEL', KEYS[1], ARGV[1])
  end
end
local total = 0
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do
  local node, c = counts[i], math.max(0, tonumber(counts[i + 1]))
  local beat = redis.call('ZSCORE', KEYS[2], node)
  if node == ARGV[1] or (beat and tonumber(beat) >= alive_after) then
    total = total + c
  else
    redis.call('HDEL', KEYS[1], node)
  end
end
if mode == 'set' then
  redis.call('PEXPIRE', KEYS[1], 3600000)
  return total
end
if total >= n then
  return 0
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1
