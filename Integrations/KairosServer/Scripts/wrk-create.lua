-- wrk script for Scripts/wrk-benchmarks.sh: durable schedule creation, POST /v1/schedules.
--
--   wrk ... -s Scripts/wrk-create.lua URL -- RUN [keyed]
--
-- Each request is a valid schedule (a shell action on a cron trigger that does not fire during
-- the run). With "keyed", each carries an Idempotency-Key unique to the run (RUN), the wrk
-- thread and the request, so every request creates a schedule rather than replaying one.
-- The bearer token comes from wrk's -H option.
local body = '{"name": "bench", "trigger": {"type": "cron", "expression": "0 0 1 1 *", "timeZone": "UTC"}, '
  .. '"action": {"type": "shell", "command": "true"}}'

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  run = args[1] or "run"
  keyed = args[2] == "keyed"
  sent = 0
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  if not keyed then
    return wrk.request()
  end
  sent = sent + 1
  -- wrk.format replaces wrk.headers (the token, Host) by the table given: copy them.
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Idempotency-Key"] = string.format("%s-%d-%d", run, id, sent)
  return wrk.format(nil, nil, headers)
end
