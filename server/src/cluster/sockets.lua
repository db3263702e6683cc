-- Opens one more socket for a user unless their sockets on live nodes reach
-- the cap. KEYS[1] the user's hash (node -> open sockets), KEYS[2] the nodes
-- (sorted set, score = last heartbeat in ms); ARGV[1] this node, ARGV[2] the
-- cap, ARGV[3] how long a node counts as alive after its heartbeat (ms).
-- Returns 1 opened, 0 refused. Dead nodes' counts are dropped on the way.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local alive_after = now - tonumber(ARGV[3])
local open = 0
local counts = redis.call('HGETALL', KEYS[1])
for i = 1, #counts, 2 do
  local node, n = counts[i], math.max(0, tonumber(counts[i + 1]))
  local beat = redis.call('ZSCORE', KEYS[2], node)
  if node == ARGV[1] or (beat and tonumber(beat) >= alive_after) then
    open = open + n
  else
    redis.call('HDEL', KEYS[1], node)
  end
end
if open >= tonumber(ARGV[2]) then
  return 0
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1
