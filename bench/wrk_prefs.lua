-- wrk script for bench/run.py: GET or PUT communication preferences, spread over customers 1..N.
-- Usage: wrk ... -s bench/wrk_prefs.lua URL -- METHOD API_KEY CUSTOMERS
-- PUT flips NEWSLETTER/EMAIL per customer (true, false, true, ...) so nearly every PUT really writes.
-- No response() hook on purpose: defining one makes wrk parse every body and slows the client.

local method, api_key, customers
local state = {}
local prefix = "/v1/communications/"
local suffix = "/communication-preferences"

function init(args)
  method = args[1] or "GET"
  api_key = args[2] or ""
  customers = tonumber(args[3] or "100")
  math.randomseed(os.time())
end

function request()
  local id = math.random(1, customers)
  local path = prefix .. id .. suffix
  if method == "PUT" then
    local active = not state[id]
    state[id] = active
    local body = '[{"messageCategory":"NEWSLETTER","channels":[{"communicationChannel":"EMAIL","active":'
      .. tostring(active) .. '}]}]'
    return wrk.format("PUT", path, { ["X-API-KEY"] = api_key, ["Content-Type"] = "application/json" }, body)
  end
  return wrk.format("GET", path, { ["X-API-KEY"] = api_key })
end
