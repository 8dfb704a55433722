-- bench/wrk/post.lua: POST $BENCH_PATH (default /authors), a distinct
-- author per request (the owner's names and books are unique), with the
-- token in $BENCH_TOKEN.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local path = os.getenv("BENCH_PATH") or "/authors"
local nonce = os.getenv("BENCH_NONCE") or "x"
local n = 0

function init(args)
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["x-access-tokens"] = os.getenv("BENCH_TOKEN")
end

function request()
	n = n + 1
	local key = nonce .. "-" .. tid .. "-" .. n
	return wrk.format("POST", path, nil, '{"name":"Writer ' .. key
		.. '","book":"Collected works ' .. key
		.. '","country":"United Kingdom","booker_prize":false}')
end
