-- bench/wrk/get.lua: a fixed GET (path and headers from the command line).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
