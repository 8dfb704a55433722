-- bench/wrk/delete.lua: DELETE /authors/{id}, each id in $BENCH_IDS once
-- (each thread its own); past the end of its list a thread asks for id 0,
-- which is a 404 and shows in the status error count.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local ids, i

function init(args)
	wrk.headers["x-access-tokens"] = os.getenv("BENCH_TOKEN")
	ids = thread_ids()
	i = 0
end

function request()
	i = i + 1
	return wrk.format("DELETE", "/authors/" .. (ids[i] or "0"))
end
