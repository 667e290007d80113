-- wrk script: POST /api/v1/compliance/check with a different article every request (so no
-- request is a duplicate), paced by delay() to the target rate, counting status codes.
-- Env: BENCH_API_KEY (bearer key), BENCH_DELAY_MS (mean pause per connection between requests;
-- 0 = as fast as possible).

local api_key = os.getenv("BENCH_API_KEY")
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local threads = {}
counter = 0  -- global: done() reads it from each thread
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
  local body = string.format(
    '{"article_text": "Article %d-%d-%d. Earn up to %d%% on savings; terms apply. Risk-free growth for %d years.", "guidelines": ["no-guarantees", "unsubstantiated-superlatives"]}',
    id, counter, math.random(1, 1000000000), math.random(1, 9), math.random(1, 30))
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. api_key,
  }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  local sent = 0
  for _, thread in ipairs(threads) do
    sent = sent + thread:get("counter")
    local c = thread:get("counts")
    for status, n in pairs(c) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  -- Requests written (a job may be created for one whose answer wrk no longer waited for).
  io.write(string.format("SENT %d\n", sent))
  io.write("STATUS_COUNTS {" .. table.concat(parts, ", ") .. "}\n")
  io.write(string.format("LATENCY_US p50=%d p90=%d p95=%d p99=%d max=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
  io.write(string.format("SUMMARY requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
end
