-- wrk script for bench/run.py: the thread writes, spread over customers 1..N.
-- Usage: wrk ... -s bench/wrk_threads.lua URL -- create API_KEY CUSTOMERS
--        wrk ... -s bench/wrk_threads.lua URL -- append API_KEY CUSTOMERS THREADS_FILE
-- create: POST /v1/communications/{customer}/threads, a new thread with its first communication.
-- append: PUT /v1/communications/{customer}/threads/{thread} on the lines "customer thread" of
--   THREADS_FILE in turn (one thread per customer, created by bench/run.py before the measurement);
--   each thread's status alternates ONGOING, CLOSED, ONGOING, ... so every append changes it
--   (bench/run.py sets every thread to CLOSED before each wrk run). Taken in turn, a thread's
--   previous append has long been answered when its next one is sent.
-- INCOMING communications: consent is never checked, so no request is refused.
-- No response() hook on purpose: defining one makes wrk parse every body and slows the client.

local mode, api_key, customers
local threads = {}
local state = {}
local turn = 0
local prefix = "/v1/communications/"

local function body(status)
  return '{"communicationThreadStatus":"' .. status .. '","subject":"Bench",'
    .. '"content":"Hello from the bench","communicationDirection":"INCOMING",'
    .. '"communicationChannel":"EMAIL"}'
end

local create_body = body("CREATED")
local append_body = { [true] = body("ONGOING"), [false] = body("CLOSED") }

function init(args)
  mode = args[1] or "create"
  api_key = args[2] or ""
  customers = tonumber(args[3] or "100")
  if mode == "append" then
    local file = assert(io.open(args[4] or "", "r"), "append needs a THREADS_FILE")
    for line in file:lines() do
      local customer, thread = line:match("^(%d+)%s+(%d+)%s*$")
      if customer then
        threads[#threads + 1] = prefix .. customer .. "/threads/" .. thread
      end
    end
    file:close()
    assert(#threads > 0, "no threads in " .. args[4])
  elseif mode ~= "create" then
    error("unknown mode " .. tostring(mode) .. " (create or append)")
  end
end

function request()
  local headers = { ["X-API-KEY"] = api_key, ["Content-Type"] = "application/json" }
  if mode == "append" then
    turn = turn % #threads + 1
    local i = turn
    local ongoing = not state[i]
    state[i] = ongoing
    return wrk.format("PUT", threads[i], headers, append_body[ongoing])
  end
  turn = turn % customers + 1
  return wrk.format("POST", prefix .. turn .. "/threads", headers, create_body)
end
