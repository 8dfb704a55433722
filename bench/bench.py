#!/usr/bin/env python3
"""bench/bench.py: the library-api benchmark harness (run it as bench/run).

Builds the product and three baselines (bench/hello.c, minimal-get.c,
minimal-insert.c), seeds databases with the product's own schema, starts
everything behind one private nginx on loopback ports (responders under
spawn-fcgi, as tests/e2e/harness.sh does), drives load with wrk and prints
one table of requests/s, latency percentiles, responder memory and the
ratio of each figure to the baselines measured in the same run.  The same
figures go to a JSON file; --compare OLD.json flags regressions over 10%.
Then the CGI mode under lighttpd (process per request) and where a cold
start's time goes.  See bench/README (or --help) for the options.

Python 3 standard library only.  Loopback only; every load run is bounded
by wrk's -d.
"""

import argparse
import base64
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
PASSWORD = "correct horse battery staple"
NAMES = ("register", "login", "users", "authors")
BASELINES = ("hello", "minimal-get", "minimal-insert")
PATH_EXTRA = ":/usr/local/sbin:/usr/sbin:/sbin"
REGRESSION = 0.10

# ---------------------------------------------------------------- helpers


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def die(msg):
    log(msg)
    sys.exit(1)


def run(cmd, env=None, cwd=None, quiet=True, check=True, logfile=None,
        stdin=None, timeout=None):
    """Run cmd; its output goes to logfile (or is captured); returns it."""
    out = subprocess.run(cmd, env=env, cwd=cwd, input=stdin, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=timeout)
    if logfile:
        with open(logfile, "a") as f:
            f.write("$ " + " ".join(cmd) + "\n" + out.stdout)
    if check and out.returncode != 0:
        tail = "\n".join(out.stdout.splitlines()[-20:])
        die("failed (%d): %s\n%s" % (out.returncode, " ".join(cmd), tail))
    return out.stdout


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(url, method="GET", headers=None, body=None, timeout=10):
    """(status, body text) of one request."""
    req = urllib.request.Request(url, method=method, headers=headers or {},
                                 data=body.encode() if body else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def wait_http(url, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, _ = http(url, timeout=5)
        if status is not None and status not in (502, 503, 504):
            return status
        time.sleep(0.1)
    die("%s did not answer" % url)


def basic(name, password):
    raw = ("%s:%s" % (name, password)).encode()
    return "Basic " + base64.b64encode(raw).decode()


def rss_kib(pid):
    """(VmRSS, VmHWM, RssAnon) of pid in KiB, or Nones."""
    v = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, rest = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon"):
                    v[k] = int(rest.split()[0])
    except OSError:
        pass
    return v.get("VmRSS"), v.get("VmHWM"), v.get("RssAnon")


def pids_of(pidfile):
    try:
        with open(pidfile) as f:
            return [int(x) for x in re.findall(r"\d+", f.read())]
    except OSError:
        return []


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except OSError:
        return None


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- build


def makefile_var(makefile, name):
    with open(makefile) as f:
        for line in f:
            if line.startswith(name + " = "):
                return line[len(name) + 3:].strip()
    return ""


def build(args, work):
    """Build the product and the baselines (make all bench-programs)."""
    b = args.build_dir
    blog = os.path.join(work, "build.log")
    open(blog, "w").close()
    t0 = time.monotonic()
    if not os.path.exists(os.path.join(b, "Makefile")):
        if not os.path.exists(os.path.join(TOP, "configure")):
            log("no configure in %s: running autoreconf -fi there" % TOP)
            run(["autoreconf", "-fi"], cwd=TOP, logfile=blog)
        os.makedirs(b, exist_ok=True)
        log("configuring in %s" % b)
        run([os.path.join(TOP, "configure")], cwd=b, logfile=blog)
    if not args.no_build:
        log("building the product and the baselines in %s (log: %s)" %
            (b, blog))
        jobs = os.environ.get("BENCH_MAKE_JOBS", "2")
        run(["make", "-j" + jobs, "all", "bench-programs"], cwd=b,
            logfile=blog)
    bindir = os.path.join(b, "bench")
    for p in (["src/admin/library-admin"] + ["cgi-bin/" + n for n in NAMES] +
              ["bench/" + n for n in BASELINES + ("hashrate",)]):
        if not os.access(os.path.join(b, p), os.X_OK):
            die("missing %s/%s after the build (make all bench-programs)"
                % (b, p))
    mk = os.path.join(b, "Makefile")
    cflags = " ".join(makefile_var(mk, v) for v in (
        "CFLAGS", "HARDEN_CPPFLAGS", "HARDEN_CFLAGS"))
    ldflags = makefile_var(mk, "HARDEN_LDFLAGS")
    log("build ready in %.1f s (CFLAGS: %s)" % (time.monotonic() - t0,
                                                 " ".join(cflags.split())))
    return {"cflags": " ".join(cflags.split()), "ldflags": ldflags,
            "bindir": bindir}


# ---------------------------------------------------------------- instance


class Instance:
    """Everything started for one run, in one temporary folder."""

    def __init__(self, args, binfo):
        self.args = args
        self.bin = binfo["bindir"]
        self.b = args.build_dir
        self.admin = os.path.join(self.b, "src/admin/library-admin")
        self.cgibin = os.path.join(self.b, "cgi-bin")
        self.spawn = os.path.join(TOP, "deploy/spawn-fcgi/library-api-spawn")
        self.ngx = os.path.join(TOP, "deploy/nginx/library-api-nginx")
        self.ltd = os.path.join(TOP, "deploy/lighttpd/library-api-lighttpd")
        self.root = os.geteuid() == 0
        base = "/tmp" if self.root else os.environ.get("TMPDIR", "/tmp")
        self.tmp = tempfile.mkdtemp(prefix="library-api-bench.", dir=base)
        os.chmod(self.tmp, 0o755)
        self.group = []
        if self.root:
            import grp
            import pwd
            self.group = ["-G", grp.getgrgid(pwd.getpwnam("nobody").pw_gid)
                          .gr_name]
        self.started = []   # (kind, data) to stop, last first
        self.env = dict(os.environ)
        self.env["PATH"] = self.env.get("PATH", "") + PATH_EXTRA
        self.dbs = {}
        self.ports = {}

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    # -- databases

    def conf_text(self):
        a = self.args
        lines = ["password_cost = %d" % a.password_cost,
                 "login_max_failures = 1000000",
                 "login_max_failures_per_address = 1000000"]
        if a.synchronous != "full":
            lines.append("synchronous = %s" % a.synchronous)
        return "\n".join(lines) + "\n"

    def db_env(self, name):
        d = self.dbs[name]
        env = dict(self.env)
        env.update(LIBRARY_CONF=d["conf"], LIBRARY_DB=d["db"],
                   LIBRARY_SECRET_FILE=d["secret"])
        # Settings that only the environment can carry to old builds.
        env["LIBRARY_PASSWORD_COST"] = str(self.args.password_cost)
        return env

    def make_db(self, name, seed_args):
        d = {"dir": self.path(name)}
        os.makedirs(d["dir"])
        os.chmod(d["dir"], 0o755)
        d.update(conf=os.path.join(d["dir"], "library-api.conf"),
                 db=os.path.join(d["dir"], "library.db"),
                 secret=os.path.join(d["dir"], "secret"))
        with open(d["conf"], "w") as f:
            f.write(self.conf_text())
        self.dbs[name] = d
        env = self.db_env(name)
        lg = self.path("log", "seed-%s.log" % name)
        run([self.admin, "init"], env=env, logfile=lg)
        for user in ("bench", "writer"):
            run([self.admin, "user", "add", user], env=env, logfile=lg,
                stdin=PASSWORD + "\n")
        out = run([sys.executable, os.path.join(HERE, "seed.py"), d["db"],
                   "--owner", "bench", "--writer", "writer"] + seed_args,
                  logfile=lg)
        d["seed"] = json.loads(out.strip().splitlines()[-1])
        log("seeded %s: %d users, %d authors in %.1f s" % (
            name, d["seed"]["users"], d["seed"]["authors"],
            d["seed"]["seconds"]))
        return d

    def writer_ids(self, name):
        import sqlite3
        db = sqlite3.connect(self.dbs[name]["db"], timeout=30)
        ids = [r[0] for r in db.execute(
            "SELECT a.id FROM authors a JOIN users u ON u.id = a.user_id "
            "WHERE u.name = 'writer' ORDER BY a.id")]
        db.close()
        return ids

    # -- processes

    def spawn_product(self, name, rundir, logdir):
        os.makedirs(self.path(rundir), exist_ok=True)
        os.makedirs(self.path(logdir), exist_ok=True)
        cmd = ["sh", self.spawn, "-b", self.cgibin, "-r", self.path(rundir),
               "-l", self.path(logdir), "-F", str(self.args.children)]
        run(cmd + self.group + ["start"], env=self.db_env(name),
            logfile=self.path("log", "spawn.log"))
        self.started.append(("spawn", cmd))

    def spawn_baseline(self, prog, dbname, rundir, exe=None, prefix=(),
                       children=None):
        """spawn-fcgi prog (exe, default the baseline of that name)."""
        rd = self.path(rundir)
        os.makedirs(rd, exist_ok=True)
        os.chmod(rd, 0o755)
        children = children or self.args.children
        env = self.db_env(dbname)
        env["BENCH_SYNCHRONOUS"] = self.args.synchronous.upper()
        logf = self.path("log", "%s-%s.log" % (rundir, prog))
        pidf = os.path.join(rd, prog + ".pid")
        cmd = ["spawn-fcgi", "-s", os.path.join(rd, prog + ".sock"),
               "-M", "0660", "-F", str(children), "-P", pidf] + \
            self.group + ["--", "/bin/sh", "-c",
                          'exec 2>>"$1"; shift; exec "$@"', "bench", logf] + \
            list(prefix) + [exe or os.path.join(self.bin, prog)]
        run(cmd, env=env, logfile=self.path("log", "spawn.log"))
        self.started.append(("pids", pidf))
        time.sleep(1.5 if prefix else 0.2)
        alive = [p for p in pids_of(pidf) if rss_kib(p)[0] is not None]
        if len(alive) != children:
            with open(logf) as f:
                die("%s did not start: %s" % (prog, f.read()[-500:]))
        return alive

    def nginx(self):
        port = free_port()
        self.ports["product"] = port
        cmd = ["sh", self.ngx, "-l", "127.0.0.1:%d" % port,
               "-r", self.path("run"), "-s", self.path("nginx"),
               "-L", self.path("log")]
        run(cmd + ["start"], env=self.env,
            logfile=self.path("log", "nginx-start.log"))
        self.started.append(("nginx", cmd))
        # More server blocks in the same nginx: the product on the large
        # database (the product's own template, another socket folder) and
        # one per baseline.
        conf = self.path("nginx", "library-api.conf")
        fcgi = self.path("nginx", "library-api-fastcgi.conf")
        with open(os.path.join(TOP, "deploy/nginx/library-api.conf.in")) as f:
            template = f.read()
        extra = []
        self.ports["large"] = free_port()
        extra.append(template.replace("@LISTEN@", "127.0.0.1:%d" %
                                      self.ports["large"])
                     .replace("@RUNDIR@", self.path("run-large"))
                     .replace("@FASTCGICONF@", fcgi))
        # Under callgrind (--callgrind): the product's authors and
        # minimal-get, one process each, in run-cg.
        self.ports["cg"] = free_port()
        extra.append(template.replace("@LISTEN@", "127.0.0.1:%d" %
                                      self.ports["cg"])
                     .replace("@RUNDIR@", self.path("run-cg"))
                     .replace("@FASTCGICONF@", fcgi))
        # The same on the large database, to count what 1M authors add.
        self.ports["cg-large"] = free_port()
        extra.append(template.replace("@LISTEN@", "127.0.0.1:%d" %
                                      self.ports["cg-large"])
                     .replace("@RUNDIR@", self.path("run-cg-large"))
                     .replace("@FASTCGICONF@", fcgi))
        for prog in BASELINES + ("cg-minimal-get",):
            self.ports[prog] = free_port()
            sock = self.path("run-bl", prog + ".sock")
            if prog.startswith("cg-"):
                sock = self.path("run-cg", prog[3:] + ".sock")
            extra.append(
                "# bench/run: the %s baseline\nserver {\n"
                "\tlisten 127.0.0.1:%d;\n\tserver_name localhost;\n"
                "\tfastcgi_keep_conn off;\n"
                "\tlocation = /authors {\n\t\tinclude %s;\n"
                "\t\tfastcgi_pass unix:%s;\n\t}\n"
                "\tlocation /authors/ {\n\t\tinclude %s;\n"
                "\t\tfastcgi_pass unix:%s;\n\t}\n}\n" % (
                    prog, self.ports[prog], fcgi, sock, fcgi, sock))
        with open(conf, "a") as f:
            f.write("\n" + "\n".join(extra))
        ncmd = ["nginx", "-p", self.path("nginx") + "/", "-c",
                self.path("nginx", "nginx.conf"), "-e",
                self.path("log", "error.log")]
        run(ncmd + ["-t", "-q"], env=self.env)
        run(ncmd + ["-s", "reload"], env=self.env)
        for key in ("large",) + BASELINES:
            wait_http(self.url(key, "/authors"))
        wait_http(self.url("cg", "/nowhere"))
        wait_http(self.url("cg-large", "/nowhere"))

    def url(self, key, path):
        return "http://127.0.0.1:%d%s" % (self.ports[key], path)

    def lighttpd(self, key, bindir, dbname):
        port = free_port()
        self.ports[key] = port
        state = self.path("lighttpd-" + key)
        cmd = ["sh", self.ltd, "-l", "127.0.0.1:%d" % port, "-b", bindir,
               "-s", state, "-L", self.path("log", "lighttpd-" + key)]
        run(cmd + ["start"], env=self.db_env(dbname),
            logfile=self.path("log", "lighttpd.log"))
        self.started.append(("lighttpd", cmd))
        wait_http(self.url(key, "/authors"))

    def product_pids(self, rundir, name):
        return pids_of(self.path(rundir, name + ".pid"))

    def stop(self):
        while self.started:
            kind, data = self.started.pop()
            try:
                if kind in ("spawn", "nginx", "lighttpd"):
                    subprocess.run(data + ["stop"], env=self.env,
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=60)
                elif kind == "pids":
                    for p in pids_of(data):
                        try:
                            os.kill(p, signal.SIGTERM)
                        except OSError:
                            pass
                elif kind == "proc":
                    data.terminate()
                    data.wait(10)
            except Exception as e:  # keep stopping the others
                log("stopping %s: %s" % (kind, e))
        if self.args.keep:
            log("kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------- load


class Bench:
    def __init__(self, args, inst):
        self.args = args
        self.inst = inst
        self.rows = []          # one per measured (target, workload, conns)
        self.nonce = 0
        self.served = {}        # requests served per responder group

    def wrk(self, url, script, conns, duration, headers=(), env=None):
        """One wrk run; its BENCHJSON figures (dict) or None."""
        threads = 1 if conns < 2 else 2
        self.nonce += 1
        e = dict(self.inst.env)
        e.update(BENCH_WRK_DIR=os.path.join(HERE, "wrk"),
                 BENCH_THREADS=str(threads),
                 BENCH_NONCE="%d%d" % (os.getpid(), self.nonce))
        if env:
            e.update(env)
        duration = max(1, int(round(duration)))  # wrk: whole seconds
        cmd = ["wrk", "-t", str(threads), "-c", str(conns), "-d",
               "%ds" % duration, "--timeout", "10s", "-s",
               os.path.join(HERE, "wrk", script)]
        for h in headers:
            cmd += ["-H", h]
        cmd.append(url)
        out = subprocess.run(cmd, env=e, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             timeout=duration + 60)
        for line in out.stdout.splitlines():
            if line.startswith("BENCHJSON "):
                r = json.loads(line[len("BENCHJSON "):])
                secs = r["duration_us"] / 1e6
                r["rps"] = r["requests"] / secs if secs > 0 else 0.0
                r["errors"] = (r["connect_errors"] + r["read_errors"] +
                               r["write_errors"] + r["status_errors"] +
                               r["timeouts"])
                return r
        log("wrk printed no figures:\n" + out.stdout[-800:])
        return None


def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])   # utime + stime
    except (OSError, IndexError, ValueError):
        return None


def wait_idle(pids, timeout=5.0):
    """Until pids used no CPU for 0.2 s (at most timeout seconds)."""
    deadline = time.monotonic() + timeout
    last, still = None, 0
    while time.monotonic() < deadline:
        now = [cpu_ticks(p) for p in pids]
        still = still + 1 if now == last else 0
        if still >= 2:
            return
        last = now
        time.sleep(0.1)


def rss_of(pids):
    """Max over pids of (VmRSS, VmHWM, RssAnon), KiB."""
    vals = [rss_kib(p) for p in pids]
    return tuple(max((v[i] for v in vals if v[i] is not None), default=None)
                 for i in range(3))


class Target:
    """A thing to measure: which server, which request, whose memory."""

    def __init__(self, name, workload, url, script="get.lua", headers=(),
                 env=None, pids=None, baseline=None, group=None,
                 conns=None, duration=None, before=None):
        self.name = name
        self.workload = workload
        self.url = url
        self.script = script
        self.headers = headers
        self.env = env or {}
        self.pids = pids or (lambda: [])
        self.baseline = baseline    # key of the minimal baseline row
        self.group = group          # responder whose requests are counted
        self.conns = conns
        self.duration = duration
        self.before = before        # callable run before each measured run
        self.results = []

    def key(self, conns):
        return "%s|%s|%d" % (self.name, self.workload, conns)


def measure(bench, targets, conns, duration, rounds, warmup):
    """Interleaved rounds over targets at conns; returns {key: row}."""
    if warmup:
        for t in targets:
            if t.before:
                t.before()
            bench.wrk(t.url, t.script, conns, warmup, t.headers, t.env)
    runs = {t.key(conns): [] for t in targets}
    rss = {t.key(conns): [None, None, None] for t in targets}
    for r in range(rounds):
        order = targets if r % 2 == 0 else list(reversed(targets))
        for t in order:
            if t.before:
                t.before()
            k = t.key(conns)
            before = rss_of(t.pids())
            if rss[k][0] is None:
                rss[k][0] = before[0]
            res = bench.wrk(t.url, t.script, conns, duration, t.headers,
                            t.env)
            # Requests that nginx had queued when wrk stopped finish
            # first (a yescrypt hash in flight holds 16 MiB).
            wait_idle(t.pids())
            after = rss_of(t.pids())
            rss[k][1] = after[0]
            rss[k][2] = after[1]
            runs[k].append(res)
            if res and t.group:
                bench.served[t.group] = (bench.served.get(t.group, 0) +
                                         res["requests"])
            log("  %-22s %-22s c=%-3d %9.0f req/s  p99 %7.2f ms%s" % (
                t.name, t.workload, conns, res["rps"] if res else 0,
                res["p99_us"] / 1000 if res else 0,
                "  (%d errors)" % res["errors"] if res and res["errors"]
                else ""))
    rows = {}
    for t in targets:
        k = t.key(conns)
        ok = [x for x in runs[k] if x]
        row = {"key": k, "target": t.name, "workload": t.workload,
               "conns": conns, "rounds": len(ok),
               "rps": median([x["rps"] for x in ok]),
               "rps_runs": [round(x["rps"], 1) for x in ok],
               "p50_ms": median([x["p50_us"] / 1000 for x in ok]),
               "p99_ms": median([x["p99_us"] / 1000 for x in ok]),
               "requests": sum(x["requests"] for x in ok),
               "errors": sum(x["errors"] for x in ok),
               "rss_before_kib": rss[k][0], "rss_after_kib": rss[k][1],
               "hwm_kib": rss[k][2], "baseline": t.baseline,
               "_runs": runs[k]}
        rows[k] = row
    return rows


def per_round_ratio(row, base, field="rps"):
    """Median over rounds of row's figure / base's figure (same round)."""
    if row is None or base is None:
        return None
    pairs = zip(row["_runs"], base["_runs"])
    vals = [a[field] / b[field] for a, b in pairs if a and b and b[field]]
    return median(vals)


# ---------------------------------------------------------------- CGI


def cgi_breakdown(args, inst, token, one_id, n):
    """Wall time per exec of each program as plain CGI, and callgrind."""
    d = inst.dbs["cgi"]
    base_env = {"PATH": "/usr/bin:/bin", "GATEWAY_INTERFACE": "CGI/1.1",
                "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "GET",
                "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
                "LIBRARY_CONF": d["conf"], "LIBRARY_DB": d["db"],
                "LIBRARY_SECRET_FILE": d["secret"],
                "HTTP_X_ACCESS_TOKENS": token}
    authors = os.path.join(inst.cgibin, "authors")
    hello = os.path.join(inst.bin, "hello")
    wrapper = inst.path("lighttpd-cgi", "bin", "authors")
    cases = [
        ("exec /bin/true (the spawn floor)", ["/bin/true"], "/authors"),
        ("hello (libfcgi, one answer)", [hello], "/authors"),
        ("minimal-get GET /authors", [os.path.join(inst.bin, "minimal-get")],
         "/authors"),
        ("authors: unknown path (start, config, key, db open, 404)",
         [authors], "/nowhere"),
        ("authors GET /authors", [authors], "/authors"),
        ("authors GET /authors/{id}", [authors], "/authors/%d" % one_id),
        ("lighttpd's wrapper (sh) + authors GET /authors",
         ["/bin/sh", wrapper], "/authors"),
    ]
    out = []
    for label, cmd, path in cases:
        env = dict(base_env, SCRIPT_NAME=path)
        times = []
        status = None
        for _ in range(n):
            t0 = time.perf_counter()
            p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
            times.append((time.perf_counter() - t0) * 1000)
            m = re.match(rb"Status: (\d+)", p.stdout)
            status = int(m.group(1)) if m else None
        out.append({"case": label, "ms_median": statistics.median(times),
                    "ms_min": min(times), "status": status})
    # Where one cold GET /authors goes, in instructions (callgrind).
    cg = None
    if shutil.which("valgrind") and shutil.which("callgrind_annotate"):
        f = inst.path("log", "callgrind.cgi.out")
        env = dict(base_env, SCRIPT_NAME="/authors")
        subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file="
                        + f, authors], env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if os.path.exists(f):
            cg = callgrind_phases(f)
    return {"exec": out, "callgrind": cg}


def callgrind_phases(f):
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                          "--threshold=100", f], text=True,
                         stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    total = None
    incl = {}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*:(\S+?)( \[.*\])?$", line)
        if m:
            fn = m.group(2)
            if fn not in incl:
                incl[fn] = int(m.group(1).replace(",", ""))
    # (label, candidate functions): the first one callgrind saw counts.
    phases = [
        ("dynamic loading and relocation (ld.so)", ["_dl_start"]),
        ("configuration (config_load)", ["config_load"]),
        ("key file (token_key_load)", ["token_key_load"]),
        ("database open: open, pragmas, schema check, prepare all",
         ["app_open_store", "store_open_opts", "store_open"]),
        ("  of which sqlite3_prepare_v3", ["sqlite3_prepare_v3"]),
        ("  of which the schema version check (migrate)", ["migrate"]),
        ("FastCGI/CGI setup (io_open)", ["io_open"]),
        ("the request (app_handle: token, queries, JSON)", ["app_handle"]),
        ("  of which the token check (token_verify_claims)",
         ["token_verify_claims"]),
        ("    of which OpenSSL's first HMAC: init, config file, fetch",
         ["EVP_MAC_fetch"]),
        ("    of which reading openssl.cnf", ["CONF_modules_load_file_ex"]),
        ("  of which the queries (store_user_auth + store_author_list)",
         ["store_author_list"]),
        ("rendering (response_render)", ["response_render"]),
        ("database close (store_close)", ["store_close"]),
        ("exit handlers (atexit: OpenSSL, libc)", ["exit"]),
    ]
    res = []
    for label, fns in phases:
        fn = next((f for f in fns if f in incl), None)
        if fn:
            res.append({"phase": label, "function": fn, "ir": incl[fn],
                        "share": incl[fn] / total if total else None})
    return {"total_ir": total, "phases": res}


# ---------------------------------------------------------------- callgrind


def callgrind_steady(args, inst, bench, tok, one_id, ltok, lone_id):
    """Instructions per request in steady state, product vs minimal-get.

    One process of each under callgrind behind the same nginx; after a
    warm-up the counters are zeroed, a counted number of requests is sent
    (one connection), and the dump divided by it.  Deterministic where
    requests/s are not: the ratio of these is the noise-free one.
    """
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        return {"error": "valgrind not installed (apt-get install valgrind)"}
    out = {}
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" +
          inst.path("log", "cg.%p.out")]
    pid_prod = inst.spawn_baseline("authors", "small", "run-cg",
                                   exe=os.path.join(inst.cgibin, "authors"),
                                   prefix=vg, children=1)[0]
    pid_min = inst.spawn_baseline("minimal-get", "small", "run-cg",
                                  prefix=vg, children=1)[0]
    pid_large = inst.spawn_baseline("authors", "large", "run-cg-large",
                                    exe=os.path.join(inst.cgibin, "authors"),
                                    prefix=vg, children=1)[0]
    hdr = ["x-access-tokens: " + tok]
    secs = max(3, args.duration)
    cases = [("library-api", "GET /authors", "cg", "/authors", pid_prod),
             ("minimal-get", "GET /authors", "cg-minimal-get", "/authors",
              pid_min),
             ("library-api", "GET /authors/{id}", "cg", "/authors/%d" %
              one_id, pid_prod),
             ("minimal-get", "GET /authors/{id}", "cg-minimal-get",
              "/authors/%d" % one_id, pid_min),
             ("library-api 1M db", "GET /authors", "cg-large", "/authors",
              pid_large),
             ("library-api 1M db", "GET /authors/{id}", "cg-large",
              "/authors/%d" % lone_id, pid_large)]
    rows = []
    for name, wl, key, path, pid in cases:
        hdr = ["x-access-tokens: " + (ltok if "1M" in name else tok)]
        url = inst.url(key, path)
        wait_http(url, timeout=60)
        bench.wrk(url, "get.lua", 1, 1, hdr)          # warm-up
        subprocess.run(["callgrind_control", "-z", str(pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r = bench.wrk(url, "get.lua", 1, secs, hdr)
        tag = re.sub(r"\W+", "-", "%s-%s" % (
            name, "one" if "{id}" in wl else "list"))
        before = set(os.listdir(inst.path("log")))
        subprocess.run(["callgrind_control", "--dump=" + tag, str(pid)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dump = None
        for _ in range(100):
            new = [f for f in set(os.listdir(inst.path("log"))) - before
                   if f.startswith("cg.%d.out" % pid)]
            if new:
                dump = inst.path("log", sorted(new)[-1])
                time.sleep(0.3)
                break
            time.sleep(0.1)
        if not dump or not r or not r["requests"]:
            rows.append({"target": name, "workload": wl, "error": "no dump"})
            continue
        ann = subprocess.run(["callgrind_annotate", "--threshold=100",
                              dump], text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
        total, top = annotate_self(ann)
        # Entries at (nearly) the whole total are the callers of
        # everything (main, the loop), not costs of their own.
        top = [t for t in top if total and t["ir"] < 0.5 * total]
        keep = os.path.join(args.work, "results", "callgrind-%s.txt" % tag)
        with open(keep, "w") as f:
            f.write(ann)
        inc = subprocess.run(["callgrind_annotate", "--inclusive=yes",
                              "--threshold=100", dump], text=True,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
        with open(keep.replace(".txt", "-inclusive.txt"), "w") as f:
            f.write(inc)
        n = r["requests"]
        rows.append({"target": name, "workload": wl, "requests": n,
                     "ir_per_request": total / n if total else None,
                     "top": [dict(t, ir_per_request=t["ir"] / n)
                             for t in top[:args.profile_top]],
                     "inclusive": inclusive_of(inc, n),
                     "annotate": keep})
    for pid in (pid_prod, pid_min, pid_large):
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    byk = {(r["target"], r["workload"]): r for r in rows}
    for wl in ("GET /authors", "GET /authors/{id}"):
        p, m = byk.get(("library-api", wl)), byk.get(("minimal-get", wl))
        if p and m and p.get("ir_per_request") and m.get("ir_per_request"):
            out[wl] = m["ir_per_request"] / p["ir_per_request"]
    scale = {}
    for wl in ("GET /authors", "GET /authors/{id}"):
        p, lg = byk.get(("library-api", wl)), byk.get(("library-api 1M db",
                                                       wl))
        if p and lg and p.get("ir_per_request") and lg.get("ir_per_request"):
            scale[wl] = lg["ir_per_request"] / p["ir_per_request"]
    return {"rows": rows, "ratio_min_over_product": out,
            "ratio_large_over_small": scale}


def annotate_self(ann):
    """(total Ir, [{ir, function, object}]) from callgrind_annotate."""
    total = None
    top = []
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(\S*?):(\S+)"
                     r"(?: \[(.*)\])?$", line)
        if m:
            top.append({"ir": int(m.group(1).replace(",", "")),
                        "function": m.group(3),
                        "object": os.path.basename(m.group(4) or
                                                   m.group(2))})
    return total, top


# Inclusive costs worth naming in GET /authors, if callgrind saw them.
INCLUSIVE = ("FCGX_Accept_r", "request_from", "route_match", "app_handle",
             "app_authenticate", "app_keys", "token_key_refresh",
             "token_verify_claims", "jwt_decode", "jwt_verify_sha_hmac",
             "HMAC", "EVP_MAC_fetch", "claim_int", "json_tokener_parse",
             "store_user_auth", "store_author_list", "store_author_get",
             "author_json", "list_add", "respond_author", "response_render",
             "json_object_to_json_string_length", "response_free",
             "request_free", "FCGX_Finish_r", "io_write", "store_stale",
             "bl_token_user", "row_json", "send_json")


def inclusive_of(ann, n):
    incl = {}
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(\S+?)(?: \[.*\])?$",
                     line)
        if m and m.group(2) not in incl:
            incl[m.group(2)] = int(m.group(1).replace(",", ""))
    return [{"function": f, "ir_per_request": incl[f] / n}
            for f in INCLUSIVE if f in incl]


# ---------------------------------------------------------------- profile


def perf_profile(args, inst, bench, url, token, conns, duration):
    if not shutil.which("perf"):
        return {"error": "perf not installed (apt-get install linux-perf)"}
    pids = inst.product_pids("run", "authors")
    data = inst.path("log", "perf.data")
    p = subprocess.Popen(["perf", "record", "-q", "-F", "2999", "-g", "-o",
                          data, "-p", ",".join(map(str, pids))],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(0.5)
    res = bench.wrk(url, "get.lua", conns, duration,
                    ["x-access-tokens: " + token])
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        err = ""
    if not os.path.exists(data):
        return {"error": "perf record failed: " + (err or "")[-300:]}
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio",
                          "--no-children", "--sort", "dso,sym",
                          "--percent-limit", "0.5", "-g", "none"],
                         text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    top = []
    for line in rep.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)$", line)
        if m:
            top.append({"percent": float(m.group(1)), "dso": m.group(2),
                        "symbol": m.group(4).strip()})
    dso = subprocess.run(["perf", "report", "-i", data, "--stdio",
                          "--no-children", "--sort", "dso", "-g", "none"],
                         text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    by_dso = []
    for line in dso.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s*$", line)
        if m:
            by_dso.append({"percent": float(m.group(1)),
                           "dso": m.group(2)})
    keep = os.path.join(args.work, "results", "perf-get-authors.txt")
    with open(keep, "w") as f:
        f.write(rep)
    return {"rps_while_profiled": res["rps"] if res else None,
            "top": top[:args.profile_top], "by_dso": by_dso[:12],
            "report": keep}


# ---------------------------------------------------------------- output


def fmt(v, spec, width):
    if v is None:
        return "-".rjust(width)
    return format(v, spec).rjust(width)


def print_table(res, out=sys.stdout):
    rows = res["rows"]
    hdr = ("%-24s %-26s %4s %9s %8s %8s %6s %15s %7s %7s" % (
        "target", "workload", "conn", "req/s", "p50 ms", "p99 ms", "errs",
        "RSS KiB bef>aft", "x hello", "x min"))
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    for r in rows:
        rss = "%s>%s" % (r["rss_before_kib"] or "-", r["rss_after_kib"] or "-")
        print("%-24s %-26s %4d %s %s %s %6d %15s %s %s" % (
            r["target"][:24], r["workload"][:26], r["conns"],
            fmt(r["rps"], ".0f", 9), fmt(r["p50_ms"], ".2f", 8),
            fmt(r["p99_ms"], ".2f", 8), r["errors"], rss,
            fmt(r.get("x_hello"), ".2f", 7), fmt(r.get("x_min"), ".2f", 7)),
            file=out)


def print_report(res, out=sys.stdout):
    s = res["settings"]
    print("", file=out)
    print("library-api benchmark, %s, git %s, %d cores, load %s -> %s" % (
        res["date"], res["git"], res["host"]["nproc"],
        res["host"]["load_before"], res["host"]["load_after"]), file=out)
    print("nginx 1 worker, %d FastCGI processes per responder (unix "
          "sockets), wrk %s s per run, %d round(s) interleaved, "
          "synchronous=%s, yescrypt cost %s" % (
              s["children"], s["duration"], s["rounds"],
              s["synchronous"].upper(), s["password_cost_label"]), file=out)
    print("small db: %s; large db: %s" % (s["small_db"], s["large_db"]),
          file=out)
    print("", file=out)
    print_table(res, out)
    if res.get("hash"):
        h = res["hash"]
        print("\nyescrypt: %.1f hashes/s on one core (%.1f ms each), cost %s,"
              " setting %s" % (h["hashes_per_s"], h["ms_per_hash"],
                               s["password_cost_label"], h["setting"]),
              file=out)
    if res.get("memory"):
        m = res["memory"]
        print("\nmemory, KiB, max over each responder's processes (RSS: "
              "VmRSS, shared libraries included; anon: RssAnon, the "
              "process's own):", file=out)
        for name, v in sorted(m.items()):
            print("  %-16s RSS start %5s end %5s peak %5s | anon start %5s "
                  "end %5s | %s requests" % (
                      name, v.get("start"), v.get("end"), v.get("hwm"),
                      v.get("anon_start"), v.get("anon_end"),
                      v.get("served", "-")), file=out)
    if res.get("cgi"):
        c = res["cgi"]
        print("\nCGI cold start, direct exec (median of %d, ms):"
              % s["cgi_execs"], file=out)
        for e in c["exec"]:
            print("  %7.2f  %s (status %s)" % (e["ms_median"], e["case"],
                                              e["status"]), file=out)
        if c.get("callgrind"):
            cg = c["callgrind"]
            print("  where one cold GET /authors goes, in instructions "
                  "(callgrind, %s Ir in all):" % format(cg["total_ir"], ","),
                  file=out)
            for p in cg["phases"]:
                print("    %5.1f%%  %12s  %s" % (100 * p["share"], format(
                    p["ir"], ","), p["phase"]), file=out)
    if res.get("profile"):
        p = res["profile"]
        print("", file=out)
        if p.get("error"):
            print("profile: " + p["error"], file=out)
        else:
            print("profile of the authors responders under GET /authors "
                  "(perf, cpu-clock, %s req/s while sampled):" %
                  fmt(p["rps_while_profiled"], ".0f", 0), file=out)
            for t in p["by_dso"]:
                print("  %6.2f%%  %s" % (t["percent"], t["dso"]), file=out)
            print("  top symbols:", file=out)
            for t in p["top"]:
                print("  %6.2f%%  %-28s %s" % (t["percent"], t["dso"][:28],
                                               t["symbol"]), file=out)
    if res.get("callgrind"):
        cg = res["callgrind"]
        print("", file=out)
        if cg.get("error"):
            print("callgrind: " + cg["error"], file=out)
        else:
            print("instructions per request in steady state (callgrind, one "
                  "process, one connection):", file=out)
            for r in cg["rows"]:
                print("  %-12s %-18s %s Ir/request (%s requests)" % (
                    r["target"], r["workload"],
                    fmt(r.get("ir_per_request"), ",.0f", 9),
                    r.get("requests")), file=out)
            for wl, v in cg["ratio_min_over_product"].items():
                print("  %s: minimal-get / library-api = %.2fx" % (wl, v),
                      file=out)
            for wl, v in cg.get("ratio_large_over_small", {}).items():
                print("  %s: 1M-author db / small db = %.2fx" % (wl, v),
                      file=out)
            for r in cg["rows"]:
                if r["target"] != "library-api" or "{id}" in r["workload"]:
                    continue
                print("  library-api %s, top functions (self Ir per "
                      "request):" % r["workload"], file=out)
                for t in r["top"]:
                    print("    %9.0f  %-34s %s" % (t["ir_per_request"],
                                                   t["function"][:34],
                                                   t["object"]), file=out)
                print("  inclusive Ir per request:", file=out)
                for t in r["inclusive"]:
                    print("    %9.0f  %s" % (t["ir_per_request"],
                                             t["function"]), file=out)
    if res.get("targets"):
        print("\ntargets:", file=out)
        for t in res["targets"]:
            print("  %-4s %s" % ("ok" if t["ok"] else ("--" if t["ok"] is None
                                                     else "FAIL"),
                                 t["text"]), file=out)


def compare(res, old_path, absolute=False, out=sys.stdout):
    """Print res against the JSON at old_path; the number of regressions.

    Flagged (over 10% for the worse): the ratios to the baselines, which
    are measured in one run and so survive a busy machine, callgrind's
    instructions per request (deterministic) and the responders' memory.
    Requests/s and p99 move with the machine's load: shown, marked
    "worse", and counted only with absolute=True (--compare-absolute).
    """
    with open(old_path) as f:
        old = json.load(f)
    old_rows = {r["key"]: r for r in old.get("rows", [])}
    flagged = 0
    print("\ncompared with %s (%s, git %s); regressions over %d%% flagged:"
          % (old_path, old.get("date"), old.get("git"), REGRESSION * 100),
          file=out)
    os_, ns = old.get("settings", {}), res.get("settings", {})
    diff = [k for k in ("quick", "duration", "rounds", "children",
                        "synchronous", "password_cost")
            if os_.get(k) != ns.get(k)]
    if diff:
        print("  note: the runs differ in %s: fewer or shorter rounds make "
              "noisier ratios" % ", ".join(diff), file=out)
    print("  %-60s %10s %10s %8s  %s" % ("figure", "old", "new", "change",
                                          ""), file=out)

    def one(label, a, b, higher_better, counted):
        nonlocal flagged
        if a is None or b is None or a == 0:
            return
        ch = (b - a) / a
        bad = (ch < -REGRESSION) if higher_better else (ch > REGRESSION)
        mark = ""
        if bad and (counted or absolute):
            flagged += 1
            mark = "REGRESSION"
        elif bad:
            mark = "worse (absolute, not flagged)"
        print("  %-60s %10.2f %10.2f %+7.1f%%  %s" % (
            label[:60], a, b, 100 * ch, mark), file=out)

    for r in res["rows"]:
        o = old_rows.get(r["key"])
        if o is None:
            continue
        # To hello, only a read at the comparison concurrency counts: a
        # write's or a hash's share of hello's rate says little, and the
        # other levels run one round.
        main_read = (r["workload"].startswith("GET /authors") and
                     r["conns"] == ns.get("primary"))
        for field, higher_better, counted in (
                ("x_min", True, True), ("x_hello", True, main_read),
                ("rps", True, False), ("p99_ms", False, False)):
            one(r["key"] + " " + field, o.get(field), r.get(field),
                higher_better, counted)
    ocg = {(x["target"], x["workload"]): x for x in
           (old.get("callgrind") or {}).get("rows", [])}
    for x in (res.get("callgrind") or {}).get("rows", []):
        o = ocg.get((x["target"], x["workload"]))
        if o:
            one("%s|%s Ir/request" % (x["target"], x["workload"]),
                o.get("ir_per_request"), x.get("ir_per_request"), False, True)
    om = old.get("memory") or {}
    for name, v in sorted((res.get("memory") or {}).items()):
        if name in om:
            one("%s RSS end KiB" % name, om[name].get("end"), v.get("end"),
                False, True)
    print("  %d regression(s) flagged" % flagged, file=out)
    return flagged


# ---------------------------------------------------------------- main


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/run",
        description="Benchmark library-api against baselines measured in "
        "the same run (see bench/README).")
    ap.add_argument("--quick", action="store_true",
                    help="under a minute: 1 s runs, one round, 32 "
                    "connections, short CGI phase")
    ap.add_argument("--duration", type=int, help="seconds per load run "
                    "(default 4, quick 1)")
    ap.add_argument("--rounds", type=int, help="interleaved rounds of each "
                    "comparison (default 3, quick 1)")
    ap.add_argument("--connections", help="comma-separated concurrency "
                    "levels (default 1,8,32,64; quick 32); the comparisons "
                    "run at --primary")
    ap.add_argument("--primary", type=int, default=32,
                    help="concurrency of the comparisons (default 32)")
    ap.add_argument("--children", type=int, default=2,
                    help="FastCGI processes per responder (default 2)")
    ap.add_argument("--synchronous", choices=("full", "normal"),
                    default="full", help="SQLite durability of the product "
                    "and minimal-insert (default full, the product's)")
    ap.add_argument("--password-cost", type=int, default=0,
                    help="yescrypt cost, 0 = libxcrypt's default (5)")
    ap.add_argument("--build-dir", default=os.path.join(TOP, "_build",
                                                         "bench"),
                    help="product build folder (configured if needed; "
                    "default _build/bench)")
    ap.add_argument("--no-build", action="store_true",
                    help="use the build folder as it is (no make)")
    ap.add_argument("--json", help="write the results here (default "
                    "BUILD/bench-work/results/bench-DATE.json)")
    ap.add_argument("--compare", metavar="OLD.json",
                    help="flag regressions over 10%% against OLD.json "
                    "(exit status 3 if any)")
    ap.add_argument("--compare-absolute", action="store_true",
                    help="with --compare, flag requests/s and p99 too (only "
                    "meaningful on a quiet machine)")
    ap.add_argument("--profile", action="store_true",
                    help="perf record the authors responders during one "
                    "more GET /authors run and show the top entries")
    ap.add_argument("--profile-top", type=int, default=25)
    ap.add_argument("--callgrind", action="store_true",
                    help="instructions per GET request of the product and "
                    "minimal-get under callgrind (deterministic), with the "
                    "top functions")
    ap.add_argument("--soak", type=int, default=0, metavar="N",
                    help="then N more GET /authors requests, memory before "
                    "and after (e.g. 1000000)")
    ap.add_argument("--no-cgi", action="store_true",
                    help="skip the CGI mode under lighttpd")
    ap.add_argument("--large-authors", type=int, default=1000000)
    ap.add_argument("--large-users", type=int, default=10000)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary instance folder")
    a = ap.parse_args(argv)
    a.duration = max(1, a.duration or (1 if a.quick else 4))
    a.rounds = a.rounds or (1 if a.quick else 3)
    levels = a.connections or ("32" if a.quick else "1,8,32,64")
    a.levels = sorted({int(x) for x in levels.split(",") if x})
    if a.primary not in a.levels:
        a.levels.append(a.primary)
        a.levels.sort()
    if not 0 <= a.password_cost <= 11:
        ap.error("--password-cost must be 0-11")
    a.build_dir = os.path.abspath(a.build_dir)
    a.work = os.path.join(a.build_dir, "bench-work")
    return a


def check_tools(args):
    path = os.environ.get("PATH", "") + PATH_EXTRA
    need = ["nginx", "spawn-fcgi", "wrk", "cc", "pkg-config", "make"]
    if not args.no_cgi:
        need.append("lighttpd")
    missing = [t for t in need if shutil.which(t, path=path) is None]
    if missing:
        die("missing %s: run deploy/deps.sh (as root) first" %
            ", ".join(missing))


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", TOP, "describe", "--always",
                              "--dirty"], text=True, capture_output=True)
        return rev.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def main(argv):
    args = parse_args(argv)
    check_tools(args)
    t_start = time.monotonic()
    os.makedirs(os.path.join(args.work, "results"), exist_ok=True)
    binfo = build(args, args.work)
    hr = json.loads(run([os.path.join(binfo["bindir"], "hashrate"),
                         str(args.password_cost),
                         "0.5" if args.quick else "1.5"]))
    inst = Instance(args, binfo)
    os.makedirs(inst.path("log"))
    os.chmod(inst.path("log"), 0o755)
    res = {"version": 1,
           "date": datetime.datetime.now().isoformat(timespec="seconds"),
           "git": git_rev(),
           "host": {"nproc": os.cpu_count(), "load_before": loadavg(),
                    "kernel": os.uname().release},
           "build": binfo, "hash": hr}
    try:
        status = body(args, inst, res)
    finally:
        inst.stop()
    res["host"]["load_after"] = loadavg()
    res["seconds"] = round(time.monotonic() - t_start, 1)
    for r in res["rows"]:
        r.pop("_runs", None)
    path = args.json or os.path.join(
        args.work, "results", "bench-%s.json" %
        datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    shutil.copyfile(path, os.path.join(args.work, "results", "latest.json"))
    print_report(res)
    print("\n%.0f s in all; JSON: %s" % (res["seconds"], path))
    if args.compare:
        if compare(res, args.compare, args.compare_absolute) > 0:
            return 3
    return status


def body(args, inst, res):
    a = args
    D = a.duration
    warm = 0 if a.quick else 1
    cost_label = ("%d" % a.password_cost if a.password_cost else
                  "0 (libxcrypt default, %s)" % res["hash"]["setting"])
    res["settings"] = {
        "quick": a.quick, "duration": D, "rounds": a.rounds,
        "levels": a.levels, "primary": a.primary, "children": a.children,
        "synchronous": a.synchronous, "password_cost": a.password_cost,
        "password_cost_label": cost_label,
        "small_db": "2 users (bench: 10 authors; writer: its rows only for "
                    "the write runs, seeded after the GET runs)",
        "large_db": "%d users, %d authors (bench: the same 10)" % (
            a.large_users, a.large_authors)}
    # Databases: the product's schema from library-admin init.
    inst.make_db("small", [])
    inst.make_db("large", ["--users", str(a.large_users), "--authors",
                           str(a.large_authors)])
    # Responders and nginx.
    inst.spawn_product("small", "run", "log")
    inst.spawn_product("large", "run-large", "log-large")
    for prog in BASELINES:
        inst.spawn_baseline(prog, "small", "run-bl")
    inst.nginx()

    def token(key, user):
        st, txt = http(inst.url(key, "/login"),
                       headers={"Authorization": basic(user, PASSWORD)})
        if st != 200:
            die("login of %s on %s: %s %s" % (user, key, st, txt))
        return json.loads(txt)["token"]

    tok = token("product", "bench")
    wtok = token("product", "writer")
    ltok = token("large", "bench")
    small_ids = inst.dbs["small"]["seed"]["owner_author_ids"]
    large_ids = inst.dbs["large"]["seed"]["owner_author_ids"]
    one, lone = small_ids[0], large_ids[0]
    # Sanity: every GET target answers the same 10 rows.
    for key, t in (("product", tok), ("minimal-get", tok), ("large", ltok)):
        st, txt = http(inst.url(key, "/authors"),
                       headers={"x-access-tokens": t})
        if st != 200 or len(json.loads(txt)["list_of_authors"]) != 10:
            die("GET /authors on %s: %s %s" % (key, st, txt[:200]))
    hdr = ["x-access-tokens: " + tok]
    lhdr = ["x-access-tokens: " + ltok]

    def pids(rundir, name):
        return lambda: inst.product_pids(rundir, name)

    bl_pids = {p: (lambda p=p: pids_of(inst.path("run-bl", p + ".pid")))
               for p in BASELINES}
    bench = Bench(a, inst)
    rows = {}
    mem_start, mem_anon = {}, {}

    def snap(name, pidf):
        v = rss_of(pidf())
        mem_start[name], mem_anon[name] = v[0], v[2]

    groups = {"authors": pids("run", "authors"),
              "authors (1M db)": pids("run-large", "authors"),
              "login": pids("run", "login"),
              "register": pids("run", "register"),
              "users": pids("run", "users")}
    groups.update({p: bl_pids[p] for p in BASELINES})
    for name, pf in groups.items():
        snap(name, pf)

    # 1. GETs: the product against the baselines, small and large db.
    def get_targets():
        return [
            Target("hello", "GET (fixed body)", inst.url("hello", "/authors"),
                   headers=hdr, pids=bl_pids["hello"], group="hello"),
            Target("minimal-get", "GET /authors",
                   inst.url("minimal-get", "/authors"), headers=hdr,
                   pids=bl_pids["minimal-get"], group="minimal-get"),
            Target("library-api", "GET /authors",
                   inst.url("product", "/authors"), headers=hdr,
                   pids=pids("run", "authors"), baseline="minimal-get|GET "
                   "/authors", group="authors"),
            Target("minimal-get", "GET /authors/{id}",
                   inst.url("minimal-get", "/authors/%d" % one), headers=hdr,
                   pids=bl_pids["minimal-get"], group="minimal-get"),
            Target("library-api", "GET /authors/{id}",
                   inst.url("product", "/authors/%d" % one), headers=hdr,
                   pids=pids("run", "authors"),
                   baseline="minimal-get|GET /authors/{id}", group="authors"),
            Target("library-api 1M db", "GET /authors",
                   inst.url("large", "/authors"), headers=lhdr,
                   pids=pids("run-large", "authors"),
                   baseline="minimal-get|GET /authors",
                   group="authors (1M db)"),
            Target("library-api 1M db", "GET /authors/{id}",
                   inst.url("large", "/authors/%d" % lone), headers=lhdr,
                   pids=pids("run-large", "authors"),
                   baseline="minimal-get|GET /authors/{id}",
                   group="authors (1M db)"),
        ]

    log("GET runs at %d connections, %d round(s) of %g s" % (
        a.primary, a.rounds, D))
    rows.update(measure(bench, get_targets(), a.primary, D, a.rounds, warm))
    for c in a.levels:
        if c == a.primary:
            continue
        log("GET runs at %d connections" % c)
        ts = [t for t in get_targets() if "1M" not in t.name]
        rows.update(measure(bench, ts, c, max(1, int(D * 0.6)), 1, 0))

    # 2. Writes: the writer's rows, seeded now (after the GET runs).
    reserve = int(min(300000, max(5000, a.rounds * D * 12000)))
    run([sys.executable, os.path.join(HERE, "seed.py"),
         inst.dbs["small"]["db"], "--owner", "bench", "--owner-authors", "0",
         "--writer", "writer", "--writer-authors", str(reserve),
         "--keep-journal"], logfile=inst.path("log", "seed-small.log"))
    ids = inst.writer_ids("small")
    put_ids, del_pool = ids[:1000], ids[1000:]
    idfile = inst.path("put-ids")
    with open(idfile, "w") as f:
        f.write("\n".join(map(str, put_ids)) + "\n")
    delfile = inst.path("delete-ids")

    def refill_delete():
        # Every writer row still there, PUT's excepted: what earlier runs
        # deleted is gone from the database, what they did not reach is
        # handed out again (each id once per run).
        left = inst.writer_ids("small")[1000:]
        with open(delfile, "w") as f:
            f.write("\n".join(map(str, left)) + "\n")

    whdr = ["x-access-tokens: " + wtok]
    wenv = {"BENCH_TOKEN": wtok}
    write_targets = [
        Target("minimal-insert", "POST /authors",
               inst.url("minimal-insert", "/authors"), script="post.lua",
               env=wenv, pids=bl_pids["minimal-insert"],
               group="minimal-insert"),
        Target("library-api", "POST /authors", inst.url("product", "/authors"),
               script="post.lua", env=wenv, pids=pids("run", "authors"),
               baseline="minimal-insert|POST /authors", group="authors"),
        Target("library-api", "PUT /authors/{id}",
               inst.url("product", "/authors"), script="put.lua",
               env=dict(wenv, BENCH_IDS=idfile), pids=pids("run", "authors"),
               baseline="minimal-insert|POST /authors", group="authors"),
        Target("library-api", "DELETE /authors/{id}",
               inst.url("product", "/authors"), script="delete.lua",
               env=dict(wenv, BENCH_IDS=delfile), pids=pids("run", "authors"),
               baseline="minimal-insert|POST /authors", group="authors",
               before=refill_delete),
    ]
    log("write runs at %d connections, synchronous=%s" % (a.primary,
                                                          a.synchronous))
    rows.update(measure(bench, write_targets, a.primary, D, a.rounds, 0))

    # 3. Password hashing: register and login.
    hash_targets = [
        Target("library-api", "POST /register",
               inst.url("product", "/register"), script="register.lua",
               pids=pids("run", "register"), group="register"),
        Target("library-api", "GET /login", inst.url("product", "/login"),
               headers=["Authorization: " + basic("bench", PASSWORD)],
               pids=pids("run", "login"), group="login"),
    ]
    log("hashing runs (yescrypt cost %s)" % cost_label)
    rows.update(measure(bench, hash_targets, 8, max(D, 2), 1, 0))

    # 4. Profile and soak, on the small database.
    if a.profile:
        log("profiling GET /authors (perf)")
        res["profile"] = perf_profile(a, inst, bench,
                                      inst.url("product", "/authors"), tok,
                                      a.primary, max(D, 5))
    if a.callgrind:
        log("callgrind: instructions per request, product vs minimal-get")
        res["callgrind"] = callgrind_steady(a, inst, bench, tok, one, ltok,
                                            lone)
    if a.soak:
        log("soak: %d GET /authors" % a.soak)
        t = Target("library-api soak", "GET /authors",
                   inst.url("product", "/authors"), headers=hdr,
                   pids=pids("run", "authors"), group="authors")
        left, got, runs_ = a.soak, 0, []
        before = rss_of(t.pids())[0]
        rate = rows.get("library-api|GET /authors|%d" % a.primary,
                        {}).get("rps") or 5000
        while left > 0 and len(runs_) < 20:
            secs = max(1.0, min(300.0, left / rate * 1.05))
            r = bench.wrk(t.url, t.script, a.primary, secs, t.headers)
            if not r:
                break
            runs_.append(r)
            got += r["requests"]
            left -= r["requests"]
            rate = r["rps"] or rate
        bench.served["authors"] = bench.served.get("authors", 0) + got
        after = rss_of(t.pids())
        res["soak"] = {"requests": got, "rss_before_kib": before,
                       "rss_after_kib": after[0], "hwm_kib": after[1],
                       "rps": got / sum(r["duration_us"] / 1e6
                                        for r in runs_) if runs_ else None}

    # Memory of every responder process at the end.
    mem = {}
    for name, pf in groups.items():
        rss, hwm, anon = rss_of(pf())
        mem[name] = {"start": mem_start.get(name), "end": rss, "hwm": hwm,
                     "anon_start": mem_anon.get(name), "anon_end": anon,
                     "served": bench.served.get(name, 0)}
    res["memory"] = mem

    # 5. CGI mode under lighttpd: a process per request.
    if not a.no_cgi:
        inst.make_db("cgi", ["--writer-authors", "20000"])
        ctok = None
        hello_bin = inst.path("hello-cgi-bin")
        os.makedirs(hello_bin)
        for n in NAMES:
            os.symlink(os.path.join(inst.bin, "hello"),
                       os.path.join(hello_bin, n))
        inst.lighttpd("cgi", inst.cgibin, "cgi")
        inst.lighttpd("hello-cgi", hello_bin, "cgi")
        ctok = token("cgi", "bench")
        cwtok = token("cgi", "writer")
        cids = inst.dbs["cgi"]["seed"]["owner_author_ids"]
        wids = inst.writer_ids("cgi")
        cput = inst.path("cgi-put-ids")
        cdel = inst.path("cgi-delete-ids")
        with open(cput, "w") as f:
            f.write("\n".join(map(str, wids[:500])) + "\n")
        with open(cdel, "w") as f:
            f.write("\n".join(map(str, wids[500:])) + "\n")
        chdr = ["x-access-tokens: " + ctok]
        cenv = {"BENCH_TOKEN": cwtok}
        cgi_targets = [
            Target("hello CGI", "GET (fixed body)",
                   inst.url("hello-cgi", "/authors"), headers=chdr),
            Target("library-api CGI", "GET /authors",
                   inst.url("cgi", "/authors"), headers=chdr),
            Target("library-api CGI", "GET /authors/{id}",
                   inst.url("cgi", "/authors/%d" % cids[0]), headers=chdr),
            Target("library-api CGI", "POST /authors",
                   inst.url("cgi", "/authors"), script="post.lua", env=cenv),
            Target("library-api CGI", "PUT /authors/{id}",
                   inst.url("cgi", "/authors"), script="put.lua",
                   env=dict(cenv, BENCH_IDS=cput)),
            Target("library-api CGI", "DELETE /authors/{id}",
                   inst.url("cgi", "/authors"), script="delete.lua",
                   env=dict(cenv, BENCH_IDS=cdel)),
            Target("library-api CGI", "POST /register",
                   inst.url("cgi", "/register"), script="register.lua"),
            Target("library-api CGI", "GET /login",
                   inst.url("cgi", "/login"),
                   headers=["Authorization: " + basic("bench", PASSWORD)]),
        ]
        log("CGI runs under lighttpd (4 connections)")
        rows.update(measure(bench, cgi_targets, 4,
                            1.0 if a.quick else 2.0, 1, 0))
        n = 30 if a.quick else 100
        res["settings"]["cgi_execs"] = n
        log("CGI cold start breakdown (%d execs per case)" % n)
        res["cgi"] = cgi_breakdown(a, inst, ctok, cids[0], n)

    # Ratios: to hello (medians) and to the row's minimal baseline
    # (median of the per-round ratios: each pair ran back to back).
    order = list(rows.values())
    hello = {r["conns"]: r for r in order if r["target"] == "hello"}
    hello_cgi = next((r for r in order if r["target"] == "hello CGI"), None)
    for r in order:
        h = hello_cgi if "CGI" in r["target"] else hello.get(r["conns"])
        if r["target"] not in ("hello", "hello CGI") and h and h["rps"] and \
                r["rps"]:
            r["x_hello"] = r["rps"] / h["rps"]
        if r["baseline"]:
            b = rows.get("%s|%d" % (r["baseline"], r["conns"]))
            r["x_min"] = per_round_ratio(r, b)
    res["rows"] = order
    res["targets"] = targets(a, rows, res)
    return 0


def targets(a, rows, res):
    c = a.primary
    out = []

    def row(name, wl):
        return rows.get("%s|%s|%d" % (name, wl, c))

    def cg_note(wl):
        v = (res.get("callgrind") or {}).get("ratio_min_over_product",
                                               {}).get(wl)
        return "" if v is None else "; in instructions (callgrind) %.2fx" % v

    for wl, lim in (("GET /authors", 0.9), ("GET /authors/{id}", 0.9)):
        r = row("library-api", wl)
        v = r and r.get("x_min")
        out.append({"name": wl, "value": v, "limit": lim,
                    "ok": None if v is None else v >= lim,
                    "text": "%s through nginx: %sx minimal-get (target >= "
                    "%.1fx)%s" % (wl, fmt(v, ".2f", 0), lim, cg_note(wl))})
    r = row("library-api", "POST /authors")
    v = r and r.get("x_min")
    out.append({"name": "POST /authors", "value": v, "limit": 0.8,
                "ok": None if v is None else v >= 0.8,
                "text": "POST /authors: %sx minimal-insert at synchronous=%s "
                "(target >= 0.8x)" % (fmt(v, ".2f", 0),
                                      a.synchronous.upper())})
    mem = res.get("memory", {})
    prod = {k: v for k, v in mem.items() if v.get("end") and
            k not in BASELINES}
    worst = max((v["end"] for v in prod.values()), default=None)
    who = next((k for k, v in prod.items() if v["end"] == worst), "-")
    peak = max(((v.get("hwm") or 0, k) for k, v in prod.items()),
               default=(None, "-"))
    out.append({"name": "rss", "value": worst, "limit": 8192,
                "ok": None if worst is None else worst < 8192,
                "text": "every responder under 8 MiB RSS between requests: "
                "largest %s KiB (%s); peak %s KiB (%s: a yescrypt hash holds "
                "its memory cost, 16 MiB at the default, while it runs)" % (
                    worst, who, peak[0], peak[1])})
    au = mem.get("authors", {})
    growth = None
    if au.get("start") and au.get("end"):
        growth = (au["end"] - au["start"]) / au["start"]
    soak = res.get("soak")
    if soak and soak.get("rss_before_kib") and soak.get("rss_after_kib"):
        sg = (soak["rss_after_kib"] - soak["rss_before_kib"]) / \
            soak["rss_before_kib"]
        out.append({"name": "soak", "value": sg, "limit": 0.05,
                    "ok": sg <= 0.05,
                    "text": "authors RSS over the %d-request soak: %s -> %s "
                    "KiB (%+.1f%%, target within 5%%)" % (
                        soak["requests"], soak["rss_before_kib"],
                        soak["rss_after_kib"], 100 * sg)})
    out.append({"name": "flat", "value": growth, "limit": 0.05,
                "ok": None if growth is None else growth <= 0.05,
                "text": "authors RSS from its first request to the end of "
                "the run (%s requests): %s -> %s KiB (%s; target within 5%%;"
                " --soak 1000000 for the 1M figure)" % (
                    au.get("served"), au.get("start"), au.get("end"),
                    "-" if growth is None else "%+.1f%%" % (100 * growth))})
    for wl in ("GET /authors", "GET /authors/{id}"):
        s, lg = row("library-api", wl), row("library-api 1M db", wl)
        v = per_round_ratio(lg, s, "p99_us") if s and lg else None
        out.append({"name": "scale " + wl, "value": v, "limit": 1.5,
                    "ok": None if v is None else v <= 1.5,
                    "text": "%s p99 on the 1M-author db: %sx the small db's "
                    "(target <= 1.5x)" % (wl, fmt(v, ".2f", 0))})
    return out


def on_signal(sig, frame):
    raise SystemExit(128 + sig)  # stop what was started (finally)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
