-- bench/wrk/register.lua: POST /register, a distinct user name per request.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local nonce = os.getenv("BENCH_NONCE") or "x"
local n = 0

function init(args)
	wrk.headers["Content-Type"] = "application/json"
end

function request()
	n = n + 1
	return wrk.format("POST", "/register", nil, '{"name":"reader-' .. nonce
		.. "-" .. tid .. "-" .. n
		.. '","password":"correct horse battery staple"}')
end
