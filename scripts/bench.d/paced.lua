-- A workload (WORKLOAD: the path of creds.lua, token.lua or sequence.lua) at a bounded rate:
-- each connection waits a random 0..2*MEAN_DELAY_MS ms before each request, so C connections
-- send about C / (MEAN_DELAY_MS + latency) requests per millisecond, spread out in time.
dofile(os.getenv("WORKLOAD"))
local mean = tonumber(os.getenv("MEAN_DELAY_MS"))
delay = function()
  return math.random(0, 2 * mean)
end
