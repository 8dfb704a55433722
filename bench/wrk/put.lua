-- bench/wrk/put.lua: PUT /authors/{id} over the ids in $BENCH_IDS (each
-- thread its own), a new distinct name and book each time.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local nonce = os.getenv("BENCH_NONCE") or "x"
local ids, i, n

function init(args)
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["x-access-tokens"] = os.getenv("BENCH_TOKEN")
	ids = thread_ids()
	i, n = 0, 0
end

function request()
	i = i % #ids + 1
	n = n + 1
	local key = nonce .. "-" .. tid .. "-" .. n
	return wrk.format("PUT", "/authors/" .. ids[i], nil, '{"name":"Renamed '
		.. key .. '","book":"Revised works ' .. key
		.. '","country":"Ireland","booker_prize":true}')
end
