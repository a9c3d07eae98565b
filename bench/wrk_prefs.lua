-- wrk script for bench/run.py: GET or PUT communication preferences, spread over customers 1..N.
-- Usage: wrk ... -s bench/wrk_prefs.lua URL -- METHOD API_KEY CUSTOMERS
-- Customers are taken in turn (1, 2, ..., N, 1, ...): with 16 connections a customer's previous
-- request has long been answered when its next one is sent, so every PUT, which flips
-- NEWSLETTER/EMAIL of its customer (true, false, true, ...), really changes it (bench/run.py sets
-- it to false for every customer before each wrk run, and counts the effective writes).
-- No response() hook on purpose: defining one makes wrk parse every body and slows the client.

local method, api_key, customers
local state = {}
local turn = 0
local prefix = "/v1/communications/"
local suffix = "/communication-preferences"

function init(args)
  method = args[1] or "GET"
  api_key = args[2] or ""
  customers = tonumber(args[3] or "100")
end

function request()
  turn = turn % customers + 1
  local id = turn
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
