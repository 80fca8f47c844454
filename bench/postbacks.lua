-- wrk script: postbacks with distinct transaction ids, every fifth one a
-- repeat of the one before (a 20% share of duplicates). Each thread counts
-- what it sent, so the run can be checked against the conversions stored.
local threads = {}
sent = 0

function setup(thread)
  table.insert(threads, thread)
  -- RUN_TAG tells the warm-up from the measured run: wrk's random numbers
  -- are the same in every run.
  thread:set("tag", os.getenv("RUN_TAG") .. "t" .. #threads)
end

function init(args)
  base = os.getenv("POSTBACK_PATH")
end

function request()
  sent = sent + 1
  local n = sent
  if n % 5 == 0 then n = n - 1 end
  return wrk.format("GET", base .. "&transaction_id=" .. tag .. "-" .. n)
end

function done(summary, latency, requests)
  local distinct = 0
  for _, thread in ipairs(threads) do
    local n = thread:get("sent")
    distinct = distinct + n - math.floor(n / 5)
  end
  io.write("DISTINCT " .. distinct .. "\n")
end
