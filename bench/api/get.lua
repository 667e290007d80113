-- wrk script: GET a list of paths (one per line in BENCH_PATHS) in turn, optionally with an
-- API key, paced by delay() to the target rate, counting status codes.
-- Env: BENCH_PATHS (file), BENCH_API_KEY (optional bearer key), BENCH_DELAY_MS (mean pause per
-- connection; 0 = as fast as possible), BENCH_ONCE=1 (each path requested once in all: thread
-- n of BENCH_THREADS takes paths n, n+T, n+2T…, and stops when its share is used up — for
-- cache misses), BENCH_THREADS (wrk -t, needed with BENCH_ONCE).

local api_key = os.getenv("BENCH_API_KEY")
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local once = os.getenv("BENCH_ONCE") == "1"
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do
  if line ~= "" then table.insert(paths, line) end
end
local headers = {}
if api_key and api_key ~= "" then headers["Authorization"] = "Bearer " .. api_key end
local threads = {}
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("id", thread_id)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  math.randomseed(os.time() + id * 7919)
end

-- Exponentially distributed pauses: arrivals from all connections then approximate a
-- Poisson process at the target rate, instead of bursts of every connection at once.
function delay()
  if pause <= 0 then return 0 end
  return math.floor(-math.log(1 - math.random()) * pause)
end

function request()
  counter = counter + 1
  local index
  if once then
    index = (counter - 1) * thread_count + id
    if index > #paths then
      wrk.thread:stop()
      index = #paths
    end
  else
    index = (counter + id * 97) % #paths + 1
  end
  return wrk.format("GET", paths[index], headers)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, n in pairs(c) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  io.write("STATUS_COUNTS {" .. table.concat(parts, ", ") .. "}\n")
  io.write(string.format("LATENCY_US p50=%d p90=%d p95=%d p99=%d max=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
  io.write(string.format("SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
