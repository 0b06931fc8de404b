-- The clients of the benchmarks, run by wrk (bench/loadgen.py starts it): one wrk thread
-- per client, each with one connection, doing its share of the work once and then waiting,
-- idle, until every client is done.
-- Every request is logged to the thread's own file as "kind start_us end_us status ok";
-- bench/loadgen.py computes the figures from those lines, the same way for every side.
--
-- Settings come from the environment (wrk passes script arguments to init() only, and the
-- thread set-up needs some of them): LOADGEN_DIR (the thread files), LOADGEN_MODE,
-- LOADGEN_HOSTS ("127.0.0.1:port,..." - clients are spread over them in turn),
-- LOADGEN_CLIENTS, LOADGEN_PARK (host:port where a client that is done waits), and for the
-- registration modes LOADGEN_REGISTRANTS and LOADGEN_SLUG.
--
-- Modes:
--   scan           POST /api/checkin once per code of in-<id>.txt (line 1 the session
--                  cookie, line 2 the CSRF token, then the codes); ok = a first check-in
--   scan-bare      POST /scan with the same body; ok = 200
--   register       per registrant: GET /events/<slug>/register, then POST the form with
--                  its CSRF token and submission key in the session the GET opened
--   register-bare  per registrant: GET /form, then POST /insert

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } loadgen_timespec;
int clock_gettime(int clock_id, loadgen_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("loadgen_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000000 + math.floor(tonumber(timespec.tv_nsec) / 1000)
end

local dir = os.getenv("LOADGEN_DIR")
local mode = os.getenv("LOADGEN_MODE")
local clients = tonumber(os.getenv("LOADGEN_CLIENTS"))

-- set-up, in wrk's main thread ----------------------------------------------------------

local next_id = 0
local hosts = {}
for host, port in string.gmatch(os.getenv("LOADGEN_HOSTS"), "([^:,]+):(%d+)") do
  table.insert(hosts, { host, port })
end

function setup(thread)
  thread:set("id", next_id)
  local target = hosts[(next_id % #hosts) + 1]
  thread.addr = wrk.lookup(target[1], target[2])[1]
  next_id = next_id + 1
end

-- each client's own state ------------------------------------------------------------------

local log, started, kind, finished
local codes, position, cookie, csrf
local registrant, registrants, slug, phase, form_key

local function urlencode(text)
  return (string.gsub(text, "[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function finish()
  finished = true
  log:close()
  -- Park: the next connection goes to a socket that bench/loadgen.py listens on and never
  -- answers, so a client that is done waits there without sending the servers anything.
  -- (Stopping the thread instead would leave wrk's next connection to the server open with
  -- nothing sent, and a gunicorn sync worker waiting on it.)
  local host, port = string.match(os.getenv("LOADGEN_PARK"), "([^:]+):(%d+)")
  wrk.thread.addr = wrk.lookup(host, port)[1]
  local marker = io.open(dir .. "/done-" .. id, "w")
  marker:close()
end

function init(args)
  log = io.open(dir .. "/log-" .. id .. ".txt", "w")
  finished = false
  if mode == "scan" or mode == "scan-bare" then
    codes = {}
    local lines = io.lines(dir .. "/in-" .. id .. ".txt")
    cookie, csrf = lines(), lines()
    for code in lines do table.insert(codes, code) end
    position = 1
  else
    registrants = tonumber(os.getenv("LOADGEN_REGISTRANTS"))
    slug = os.getenv("LOADGEN_SLUG")
    registrant = id
    phase = "get"
  end
end

-- Every request carries one browser's User-Agent, as a real device's do. The staff sessions
-- of the scan mode are signed in with the same one (bench/loadgen.py USER_AGENT): Flask-Login
-- ties a session to its address and User-Agent, and a request whose pair differs from the
-- sign-in's marks the session "not fresh" and so rewrites its cookie on every answer.
local USER_AGENT = os.getenv("LOADGEN_USER_AGENT")

local function scan_request()
  local body = string.format('{"event": "bench-day", "code": "%s", "gate": "gate-%d", "nonce": "%d-%d-%d"}',
    codes[position], id, id, position, now_us())
  if mode == "scan" then
    return wrk.format("POST", "/api/checkin", {
      ["Content-Type"] = "application/json", ["Cookie"] = cookie, ["X-CSRFToken"] = csrf,
      ["User-Agent"] = USER_AGENT,
    }, body)
  end
  return wrk.format("POST", "/scan", { ["Content-Type"] = "application/json", ["User-Agent"] = USER_AGENT }, body)
end

local function register_request()
  if phase == "get" then
    cookie = nil
    kind = "G"
    return wrk.format("GET", mode == "register" and ("/events/" .. slug .. "/register") or "/form",
      { ["User-Agent"] = USER_AGENT })
  end
  kind = "P"
  local headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["User-Agent"] = USER_AGENT }
  if cookie then headers["Cookie"] = cookie end
  local name = urlencode("市民" .. registrant)
  if mode == "register-bare" then
    return wrk.format("POST", "/insert", headers, "name=" .. name)
  end
  local body = "csrf_token=" .. urlencode(csrf or "") .. "&submission_key=" .. urlencode(form_key or "")
      .. "&slot=am&name=" .. name .. string.format("&phone=1390%07d", registrant)
      .. "&party_size=1&consent=y&email=&website="
  return wrk.format("POST", "/events/" .. slug .. "/register", headers, body)
end

function request()
  if finished then
    return wrk.format("GET", "/parked")  -- to the parking socket (finish), never answered
  end
  started = now_us()
  if mode == "scan" or mode == "scan-bare" then
    kind = "S"
    return scan_request()
  end
  return register_request()
end

local function remember_form(headers, body)
  local set_cookie = headers["Set-Cookie"] or headers["set-cookie"]
  if set_cookie then cookie = string.match(set_cookie, "^([^;]+)") end
  -- The form's own token, or (once every seat is gone and the page shows no form) the one
  -- in the page header's preferences form: the same session token either way.
  csrf = string.match(body, 'name="csrf_token"[^>]*value="([^"]+)"')
  form_key = string.match(body, 'name="submission_key" type="hidden" value="([^"]+)"')
end

function response(status, headers, body)
  if finished then return end
  local ok
  if mode == "scan" then
    ok = status == 200 and string.find(body, '"result": *"ok"') ~= nil
  elseif mode == "scan-bare" then
    ok = status == 200
  else
    ok = status < 500
  end
  log:write(string.format("%s %d %d %d %d\n", kind, started, now_us(), status, ok and 1 or 0))
  if mode == "scan" or mode == "scan-bare" then
    position = position + 1
    if position > #codes then finish() end
    return
  end
  if phase == "get" then
    if status == 200 then
      remember_form(headers, body)
      phase = "post"
      return
    end
  end
  -- the registrant is done (a POST, or a GET that failed): on to this client's next one
  phase = "get"
  registrant = registrant + clients
  if registrant >= registrants then finish() end
end
