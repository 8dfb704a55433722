-- bench/wrk/report.lua: loaded by every workload script of bench/run.
-- done() prints one line "BENCHJSON {...}" with wrk's counts and latency
-- percentiles (microseconds), which bench/run parses; setup() numbers the
-- threads (global tid in each, from 0) so that each can write rows of its
-- own. wrk starts a thread right after its setup(), so the number of
-- threads comes from $BENCH_THREADS (wrk -t), not from counting setups.

local next_id = 0
nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format('BENCHJSON {"requests": %d, "duration_us": %d, '
		.. '"bytes": %d, "connect_errors": %d, "read_errors": %d, '
		.. '"write_errors": %d, "status_errors": %d, "timeouts": %d, '
		.. '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
		.. '"mean_us": %.1f}\n',
		summary.requests, summary.duration, summary.bytes, e.connect,
		e.read, e.write, e.status, e.timeout,
		latency:percentile(50), latency:percentile(90),
		latency:percentile(99), latency.max, latency.mean))
end

-- The ids this thread works on: every nthreads-th line of $BENCH_IDS,
-- starting at its own number (disjoint between threads).
function thread_ids()
	local ids, n = {}, 0
	local f = assert(io.open(os.getenv("BENCH_IDS"), "r"))
	for line in f:lines() do
		if n % nthreads == tid then
			table.insert(ids, line)
		end
		n = n + 1
	end
	f:close()
	return ids
end
