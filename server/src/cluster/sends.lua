-- Takes the quotas of a batch of sends, atomically and in order (a user may
-- appear more than once). KEYS[1] is the room's rules version (returned first,
-- so the caller knows whether its rules are current). Per send: KEYS[2i] the
-- user's rate key, KEYS[2i+1] their slow-mode key in the room; ARGV[3i-2] the rate's period (µs per
-- message), ARGV[3i-1] its burst, ARGV[3i] the slow-mode interval (ms, 0: off).
-- Then per send {0, 0} taken, {1, wait_ms} over the rate, {2, wait_ms} in
-- slow mode. A refused send takes nothing. The clock is Redis's, one for all
-- nodes.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local out = { tonumber(redis.call('GET', KEYS[1]) or '0') }
for i = 1, (#KEYS - 1) / 2 do
  local rate_key, slow_key = KEYS[2 * i], KEYS[2 * i + 1]
  local period = tonumber(ARGV[3 * i - 2])
  local burst = tonumber(ARGV[3 * i - 1])
  local slow_ms = tonumber(ARGV[3 * i])
  local slow_left = 0
  if slow_ms > 0 then
    slow_left = redis.call('PTTL', slow_key)
  end
  if slow_left > 0 then
    out[#out + 1] = 2
    out[#out + 1] = slow_left
  else
    -- GCRA: the theoretical arrival time, at most burst periods ahead of now.
    local tat = tonumber(redis.call('GET', rate_key) or now)
    if tat < now then tat = now end
    local new_tat = tat + period
    local allowed_at = new_tat - burst * period
    if allowed_at > now then
      out[#out + 1] = 1
      out[#out + 1] = math.ceil((allowed_at - now) / 1000)
    else
      redis.call('SET', rate_key, string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
      if slow_ms > 0 then
        redis.call('SET', slow_key, '1', 'PX', slow_ms)
      end
      out[#out + 1] = 0
      out[#out + 1] = 0
    end
  end
end
return out
