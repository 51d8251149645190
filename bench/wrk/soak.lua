-- wrk script for the soak: rotates the requests of a plan file (BENCH_SOAK_PLAN, one a line:
-- "METHOD bearer|cookie PATH [JSON BODY]"), each thread starting at a different line. Counting and the
-- BENCH_JSON summary come from stats.lua.
dofile(os.getenv("BENCH_WRK_DIR") .. "/stats.lua")
local stats_init = init
local plan = {}
local n = 0

function init(args)
  stats_init(args)
  for line in io.lines(os.getenv("BENCH_SOAK_PLAN")) do
    local method, auth, path, body = line:match("^(%S+)%s+(%S+)%s+(%S+)%s*(.*)$")
    if method then
      local headers = {}
      if auth == "bearer" then
        headers["Authorization"] = "Bearer " .. os.getenv("BENCH_SOAK_BEARER")
      else
        headers["Cookie"] = os.getenv("BENCH_SOAK_COOKIE")
      end
      if body == "" then body = nil else headers["Content-Type"] = "application/json" end
      table.insert(plan, wrk.format(method, path, headers, body))
    end
  end
  n = math.random(#plan)
end

function request()
  n = n % #plan + 1
  return plan[n]
end
