-- wrk script: GET /api/v1/jobs/{id}/status over a list of job ids whose status is cached,
-- paced by delay() to the target rate, counting status codes.
-- Env: BENCH_API_KEY, BENCH_DELAY_MS (mean pause), BENCH_JOB_IDS (file with one job id per line).

local api_key = os.getenv("BENCH_API_KEY")
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local ids = {}
for line in io.lines(os.getenv("BENCH_JOB_IDS")) do
  table.insert(ids, line)
end
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
  return math.floor(-math.log(1 - math.random()) * pause)
end

function request()
  counter = counter + 1
  local job = ids[(counter + id * 97) % #ids + 1]
  return wrk.format("GET", "/api/v1/jobs/" .. job .. "/status", {
    ["Authorization"] = "Bearer " .. api_key,
  })
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
  io.write(string.format("LATENCY_US p50=%d p90=%d p99=%d max=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
