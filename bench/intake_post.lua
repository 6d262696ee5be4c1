-- wrk script of `bench/intake_bench.py --http`: the same JSON body as the in-process bench, a fresh idempotency key
-- per request (per thread and counter), the bearer token from the environment; the path is the script's argument.
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  path = args[1]
  token = os.getenv("BENCH_TOKEN")
  run = os.getenv("BENCH_RUN")
  category = os.getenv("BENCH_CATEGORY")
  places = {}
  for id in string.gmatch(os.getenv("BENCH_PLACES"), "%d+") do table.insert(places, id) end
end

function request()
  counter = counter + 1
  local body = '{"category": "' .. category .. '", "place_id": ' .. places[counter % #places + 1] ..
      ', "description": "基准来电 ' .. counter .. '：楼道灯不亮", "reporter_name": "王女士", "channel": "phone"}'
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token,
                   ["Idempotency-Key"] = run .. "-" .. tid .. "-" .. counter}
  return wrk.format("POST", path, headers, body)
end
