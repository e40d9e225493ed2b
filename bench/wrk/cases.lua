-- The wrk side of `make bench` (bench/run.py): random requests over the whole city from a
-- fixed seed. run.py writes the configuration (SEED, CITY, KIND, PATH, HEADERS, BODY) above a
-- copy of this file; wrk runs the result with -s.
--
-- Every thread seeds its own generator from SEED and its number, so that a run is repeatable
-- and the threads do not send the same sequence. Answers that are not 2xx or 3xx are reported
-- from wrk's own count (done()'s summary.errors.status): a case answering errors fast must show
-- its errors, not only its speed. No response() hook counts them: wrk hands such a hook every
-- body as a Lua string, which for the 580 kB Open311 list cost wrk 0.6 ms of CPU a request,
-- taken from the cores the servers share with it.

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(SEED * 1000 + thread_number)
end

-- Ray casting over the city's boundary ring.
local function inside(x, y)
  local ring, within, j = CITY.ring, false, #CITY.ring
  for i = 1, #ring do
    local xi, yi, xj, yj = ring[i][1], ring[i][2], ring[j][1], ring[j][2]
    if ((yi > y) ~= (yj > y)) and (x < (xj - xi) * (y - yi) / (yj - yi) + xi) then
      within = not within
    end
    j = i
  end
  return within
end

-- A point drawn uniformly over the city (inside its boundary, not only its bounding box).
local function random_point()
  while true do
    local x = CITY.west + math.random() * (CITY.east - CITY.west)
    local y = CITY.south + math.random() * (CITY.north - CITY.south)
    if inside(x, y) then return x, y end
  end
end

-- The XYZ tile holding a point at zoom z.
local function tile_of(x, y, z)
  local n = 2 ^ z
  local lat = math.rad(y)
  local tx = math.floor((x + 180) / 360 * n)
  local ty = math.floor((1 - math.log(math.tan(lat) + 1 / math.cos(lat)) / math.pi) / 2 * n)
  return tx, ty
end

local function bbox_around(x, y, half_m)
  local dy = half_m / 111320
  local dx = half_m / (111320 * math.cos(math.rad(y)))
  return string.format("%.6f,%.6f,%.6f,%.6f", x - dx, y - dy, x + dx, y + dy)
end

-- What each kind of case fills PATH (and BODY) with.
local makers = {
  fixed = function() return PATH, BODY end,
  bbox = function()
    local x, y = random_point()
    return string.format(PATH, bbox_around(x, y, BBOX_HALF_M)), BODY
  end,
  point = function()
    local x, y = random_point()
    return string.format(PATH, y, x), BODY
  end,
  post = function()
    local x, y = random_point()
    return PATH, string.format(BODY, y, x)
  end,
  tile = function()
    local x, y = random_point()
    local z = math.random(MIN_ZOOM, MAX_ZOOM)
    local tx, ty = tile_of(x, y, z)
    return string.format(PATH, z, tx, ty), BODY
  end,
  page = function() return string.format(PATH, math.random(1, MAX_PAGE)), BODY end,
}

function request()
  local path, body = makers[KIND]()
  return wrk.format(METHOD, path, HEADERS, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, ' ..
    '"p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "non_2xx": %d, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
