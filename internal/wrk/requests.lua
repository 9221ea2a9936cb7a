-- wrk script of package wrk: sends the requests of the file args[1] (a
-- path, then tab-separated "Header: value" fields, per line) in turn, each
-- of the args[2] threads from its own place in the list; with args[3] ==
-- "statuses" it counts the responses by status. When done it writes wrk's
-- figures as one line of JSON, durations in nanoseconds.
local threads, reqs, n = {}, {}, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  for line in io.lines(args[1]) do
    local path, headers = nil, {}
    for field in line:gmatch("[^\t]+") do
      if path == nil then
        path = field
      else
        local k, v = field:match("^(.-): (.*)$")
        headers[k] = v
      end
    end
    table.insert(reqs, wrk.format("GET", path, headers))
  end
  n = math.floor((id - 1) * #reqs / tonumber(args[2]))
  statuses = {}
  if args[3] == "statuses" then
    response = function(status)
      statuses[status] = (statuses[status] or 0) + 1
    end
  end
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

function done(summary, latency)
  local counts, parts = {}, {}
  for _, t in ipairs(threads) do
    for status, c in pairs(t:get("statuses")) do
      counts[status] = (counts[status] or 0) + c
    end
  end
  for status, c in pairs(counts) do
    table.insert(parts, string.format('"%d":%d', status, c))
  end
  local e, us = summary.errors, function(x) return math.floor(x) * 1000 end
  io.write(string.format('\n{"Requests":%d,"Bytes":%d,"Elapsed":%d,"Connect":%d,"Read":%d,"Write":%d,"Timeout":%d,"Status":%d,'
      .. '"P50":%d,"P90":%d,"P99":%d,"Max":%d,"Statuses":{%s}}\n',
    summary.requests, summary.bytes, us(summary.duration), e.connect, e.read, e.write, e.timeout, e.status,
    us(latency:percentile(50)), us(latency:percentile(90)), us(latency:percentile(99)), us(latency.max),
    table.concat(parts, ",")))
end
