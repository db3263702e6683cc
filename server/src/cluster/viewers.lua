-- Records this node's viewers of a room and returns the room's total on live
-- nodes. KEYS[1] the room's hash (node -> viewers), KEYS[2] the nodes (sorted
-- set, score = last heartbeat in ms); ARGV[1] this node, ARGV[2] its viewers,
-- ARGV[3] how long a node counts as alive after its heartbeat (ms).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local alive_after = now - tonumber(ARGV[3])
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 3600000)
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
local total = 0
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do
  local node, n = counts[i], math.max(0, tonumber(counts[i + 1]))
  local beat = redis.call('ZSCORE', KEYS[2], node)
  if node == ARGV[1] or (beat and tonumber(beat) >= alive_after) then
    total = total + n
  else
    redis.call('HDEL', KEYS[1], node)
  end
end
return total
