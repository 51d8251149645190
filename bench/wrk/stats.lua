-- wrk script for `make bench`: counts responses by status class in every thread and prints one
-- JSON line (prefixed BENCH_JSON) with the counts, socket errors and latency percentiles (µs).
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  c2, c3, c4, c5, cother = 0, 0, 0, 0, 0
end

function response(status, headers, body)
  if status >= 200 and status < 300 then c2 = c2 + 1
  elseif status < 400 and status >= 300 then c3 = c3 + 1
  elseif status < 500 and status >= 400 then c4 = c4 + 1
  elseif status >= 500 then c5 = c5 + 1
  else cother = cother + 1 end
end

function done(summary, latency, requests)
  local t = {s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0, other = 0}
  for _, thread in ipairs(threads) do
    t.s2xx = t.s2xx + thread:get("c2")
    t.s3xx = t.s3xx + thread:get("c3")
    t.s4xx = t.s4xx + thread:get("c4")
    t.s5xx = t.s5xx + thread:get("c5")
    t.other = t.other + thread:get("cother")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "s2xx": %d, "s3xx": %d, "s4xx": %d, "s5xx": %d, "other": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d}\n',
    summary.requests, summary.duration, summary.bytes, t.s2xx, t.s3xx, t.s4xx, t.s5xx, t.other,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
