#!/usr/bin/env python3
"""Resource-fault tests of the library-api responders, printing TAP.

Run by tests/faults/faults.test (make check), which exports top_builddir.
No web server is involved. Each responder of $top_builddir/cgi-bin runs
either

  - as a plain CGI program (RFC 3875): the request in the environment
    (REQUEST_METHOD, SCRIPT_NAME as nginx sets it, QUERY_STRING,
    CONTENT_TYPE, CONTENT_LENGTH, HTTP_X_ACCESS_TOKENS, HTTP_AUTHORIZATION,
    REMOTE_ADDR) with the LIBRARY_* settings, the body on standard input,
    the answer (a Status: header block and a JSON body) on standard
    output, its log on standard error; or
  - as a FastCGI responder: a listening unix socket is passed as its
    standard input, as spawn-fcgi does, and the FastCGI client below
    sends BEGIN_REQUEST, PARAMS and STDIN records and reads STDOUT and
    END_REQUEST. FastCGI mode proves that a responder recovers without a
    restart: the very process started before the fault (still alive)
    answers 2xx once the cause is gone.

Each case sets up its own instance (library-admin init, user add, a few
authors created through the API) in a temporary folder, breaks one
resource and checks the answers (status, JSON error code, Retry-After),
the log line naming the cause, that nothing stored before is lost (rows
read again after the recovery, integrity_check) and the recovery:

   1 database missing (renamed away, deleted while running, never made)
   2 database unreadable (mode 000)
   3 database read-only (mode 0444, read-only folder, read-only mount)
   4 database locked by another program (BEGIN EXCLUSIVE held)
   5 database corrupt (header, then a table page; replaced, and damaged
     and repaired in place under a running responder)
   6 disk full (RLIMIT_FSIZE in a CGI run, a full tmpfs)
   7 key file missing at start, garbled or removed while running,
     readable by others, and a bad configuration file
   8 clients that disconnect mid-request or mid-response
   9 SIGTERM while idle and while a slow request is in hand: a write
     waiting for a lock, a login at password cost 9, a large answer
     blocked on a client that does not read yet (also to a
     LIBRARY_WORKERS supervisor when the build has one)
  10 no sanitizer report in any responder's log

Run as root, the responders and library-admin run as user nobody (root
ignores file modes), and the read-only and full-disk cases also use small
tmpfs mounts (umounted afterwards, even on failure). Run as another user
(make distcheck), the mount parts are skipped and the rest runs as that
user.

Environment: top_builddir (default: two folders up), FAULTS_CASES (e.g.
"4,9": run only those cases), FAULTS_TIME_SCALE (multiplies every time
bound; default 1, or 4 when the responders are built with a sanitizer),
FAULTS_KEEP=1 keeps the temporary folder; ASAN_OPTIONS, UBSAN_OPTIONS and
LSAN_OPTIONS are passed on to the programs.

Standard library only. Exit status 0 when every test passed, 1 otherwise.
"""

import atexit
import base64
import ctypes
import errno
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_BUILDDIR = os.path.abspath(os.environ.get("top_builddir") or
                               os.path.join(HERE, "..", ".."))
CGI_BIN = os.path.join(TOP_BUILDDIR, "cgi-bin")
ADMIN = os.path.join(TOP_BUILDDIR, "src", "admin", "library-admin")
PASS_ENV = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
            "LD_LIBRARY_PATH")
USER = "alice"
PASSWORD = "faults password 1"
# Retry-After of a 503: library-api(7) documents 1 for service_unavailable
# (busy), 5 for storage_unavailable.
RETRY_STORAGE = "5"
SLOW_USER = "slowhash"    # added at a high password cost (case 9)

# What a log line has to say, besides the file's path, for each cause.
CAUSE_MISSING = (r"no such file|does not exist|missing|not found|"
                 r"unable to open|cannot open|can't open")
CAUSE_UNREADABLE = (r"permission|not readable|unreadable|unable to open|"
                    r"cannot open|access")
CAUSE_READONLY = (r"read-?only|EROFS|not writable|cannot be written|"
                  r"attempt to write|permission")
CAUSE_CORRUPT = r"not a database|malformed|corrupt"
CAUSE_FULL = r"full|no space|ENOSPC|too large|EFBIG|I/O error|disk"
CAUSE_BUSY = r"busy|locked|lock"
CAUSE_KEY = (r"key|secret|no such file|missing|cannot|unable|not found|"
             r"unusable")
SANITIZER = re.compile(r"ERROR: [A-Za-z]+Sanitizer|runtime error:|"
                       r"LeakSanitizer")

# ------------------------------------------------------------------- TAP


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = []

    @staticmethod
    def _clean(desc):
        return " ".join(desc.replace("#", "no.").split())

    def ok(self, cond, desc, diag=()):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, self._clean(desc)))
        else:
            print("not ok %d - %s" % (self.n, self._clean(desc)))
            self.failed.append(self.n)
            if isinstance(diag, str):
                diag = [diag]
            for d in diag:
                for line in str(d).splitlines() or [""]:
                    print("#   " + line)
        sys.stdout.flush()
        return bool(cond)

    def skip(self, desc, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, self._clean(desc),
                                        self._clean(reason)))
        sys.stdout.flush()

    def note(self, text):
        for line in str(text).splitlines():
            print("# " + line)
        sys.stdout.flush()


TAP = Tap()

# ------------------------------------------------------- the environment

IS_ROOT = os.geteuid() == 0


def sanitizer_build():
    try:
        with open(os.path.join(CGI_BIN, "authors"), "rb") as f:
            data = f.read()
    except OSError:
        return False
    return b"__asan_init" in data or b"__ubsan_handle" in data


try:
    SCALE = float(os.environ.get("FAULTS_TIME_SCALE") or
                  (4 if sanitizer_build() else 1))
except ValueError:
    SCALE = 1.0


def T(seconds):
    """A time bound, scaled for slow (sanitizer) builds."""
    return seconds * SCALE


TMP = None          # the temporary folder of this run
CONF = None         # an empty configuration file (LIBRARY_CONF)
SOCK_DIR = None     # FastCGI sockets (short paths)
LOG_DIR = None      # FastCGI responders' logs
RUN_AS = None       # (uid, gid, name) the programs run as, or None: as we
MODES_ENFORCED = not IS_ROOT   # file modes apply to the programs
MOUNTS = []         # mount points to umount at exit, innermost last
LIVE = []           # FastCGI responders still running
ALL_LOGS = []       # (label, text) of every program's log, for case 10
TRACED = []         # FastCGI responders, for their logs at the end

try:
    _LIBC = ctypes.CDLL(None, use_errno=True)
except OSError:
    _LIBC = None


def child_setup(fsize=None):
    """preexec_fn: die with us (PR_SET_PDEATHSIG; set after the user
    switch, which clears it), and an optional RLIMIT_FSIZE."""
    def setup():
        if _LIBC is not None:
            _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    return setup


def as_service_user():
    if RUN_AS is None:
        return {}
    return {"user": RUN_AS[0], "group": RUN_AS[1], "extra_groups": []}


def chown_service(path):
    if RUN_AS is not None:
        os.chown(path, RUN_AS[0], RUN_AS[1])


def pick_service_user():
    """As root: nobody, if it can run our programs (the build tree must
    be reachable); else None (the programs then run as root and the
    cases that need file modes are skipped)."""
    global RUN_AS, MODES_ENFORCED
    if not IS_ROOT:
        return
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        TAP.note("no user nobody: the programs run as root")
        return
    try:
        subprocess.run([ADMIN], user=pw.pw_uid, group=pw.pw_gid,
                       extra_groups=[], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=base_env(), timeout=T(10), cwd="/")
    except (OSError, subprocess.SubprocessError) as e:
        TAP.note("user nobody cannot run %s (%s): the programs run as root"
                 % (ADMIN, e))
        return
    RUN_AS = (pw.pw_uid, pw.pw_gid, "nobody")
    MODES_ENFORCED = True


def base_env():
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"}
    for k in PASS_ENV:
        if os.environ.get(k):
            env[k] = os.environ[k]
    return env


def run_cmd(argv, timeout=20):
    return subprocess.run(argv, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=T(timeout))


def mount_tmpfs(path, size="2m"):
    """Mount a small tmpfs at path (root only): None or why not."""
    if not IS_ROOT:
        return "not root"
    if not shutil.which("mount"):
        return "no mount command"
    os.makedirs(path, exist_ok=True)
    try:
        r = run_cmd(["mount", "-t", "tmpfs", "-o",
                     "size=%s,mode=0755" % size, "tmpfs", path])
    except (OSError, subprocess.SubprocessError) as e:
        return "mount: %s" % e
    if r.returncode != 0:
        return "mount: %s" % r.stdout.decode(errors="replace").strip()
    MOUNTS.append(path)
    chown_service(path)
    return None


def remount(path, mode):
    r = run_cmd(["mount", "-o", "remount,%s" % mode, path])
    return r.returncode == 0, r.stdout.decode(errors="replace").strip()


def umount(path):
    if path not in MOUNTS:
        return
    try:
        r = run_cmd(["umount", path])
        if r.returncode != 0:
            run_cmd(["umount", "-l", path])
    except (OSError, subprocess.SubprocessError):
        pass
    MOUNTS.remove(path)


def cleanup_all():
    for resp in list(LIVE):
        resp.kill()
    for m in reversed(list(MOUNTS)):
        umount(m)
    if TMP and os.path.isdir(TMP):
        if os.environ.get("FAULTS_KEEP") == "1":
            print("# FAULTS_KEEP=1: kept %s" % TMP)
        else:
            for dirpath, dirnames, _ in os.walk(TMP):
                for d in dirnames:
                    try:
                        os.chmod(os.path.join(dirpath, d), 0o755)
                    except OSError:
                        pass
            shutil.rmtree(TMP, ignore_errors=True)


# ------------------------------------------------------------- answers


class SetupError(Exception):
    pass


class Resp:
    """One answer: status (None if there was none), headers, body, the
    parsed JSON, the program's log lines for it, how long it took."""

    def __init__(self, label):
        self.label = label
        self.status = None
        self.headers = {}
        self.body = b""
        self.json = None
        self.complete = False   # a header block and the whole body
        self.log = ""
        self.rc = None          # CGI: exit status
        self.elapsed = 0.0
        self.error = None

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    @property
    def code(self):
        if isinstance(self.json, dict):
            return self.json.get("error")
        return None

    def describe(self):
        out = ["%s: status %s, %.2f s" % (self.label, self.status,
                                          self.elapsed)]
        if self.error:
            out.append("problem: " + self.error)
        if self.rc is not None:
            out.append("exit status %s" % self.rc)
        if self.headers:
            out.append("headers: " + "; ".join(
                "%s: %s" % (k, ", ".join(v))
                for k, v in sorted(self.headers.items())))
        if self.body:
            b = self.body[:300].decode("utf-8", "replace")
            out.append("body: " + b + (" ..." if len(self.body) > 300
                                       else ""))
        log = self.log.strip().splitlines()
        for line in log[-8:]:
            out.append("log: " + line)
        return out


def parse_cgi(r, data):
    """Fill r from a CGI answer (also what a FastCGI STDOUT carries)."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = data.find(sep)
        if i >= 0:
            head, body = data[:i], data[i + len(sep):]
            break
    else:
        if not r.error:
            r.error = "no header block in %d bytes of output" % len(data)
        r.body = data
        return
    r.body = body
    for line in re.split(rb"\r?\n", head):
        name, sep, value = line.partition(b":")
        if not sep:
            r.error = r.error or "bad header line %r" % line[:80]
            continue
        r.headers.setdefault(name.strip().lower().decode("latin-1"),
                             []).append(value.strip().decode("latin-1"))
    st = r.header("status")
    m = re.match(r"(\d{3})(?: |$)", st or "")
    if m is None:
        r.error = r.error or "no valid Status header (%r)" % st
    else:
        r.status = int(m.group(1))
    cl = r.header("content-length")
    if cl is not None and cl.isdigit():
        r.complete = len(body) == int(cl)
        if not r.complete and not r.error:
            r.error = "body of %d bytes, Content-Length %s" % (len(body), cl)
    else:
        r.complete = True
    if (r.header("content-type") or "").startswith("application/json"):
        try:
            r.json = json.loads(body.decode("utf-8"))
        except ValueError as e:
            r.error = r.error or "body is not JSON: %s" % e


def request_params(method, path, query="", body=None, token=None,
                   basic=None):
    """CGI meta-variables (as nginx's fastcgi_params set them) and the
    body bytes."""
    p = {
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "faults.py",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": path,
        "REQUEST_URI": path + ("?" + query if query else ""),
        "QUERY_STRING": query,
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
    }
    data = b""
    if body is not None:
        data = body if isinstance(body, bytes) else \
            json.dumps(body).encode("utf-8")
        p["CONTENT_LENGTH"] = str(len(data))
        p["CONTENT_TYPE"] = "application/json"
    if token is not None:
        p["HTTP_X_ACCESS_TOKENS"] = token
    if basic is not None:
        p["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(
            ("%s:%s" % basic).encode("utf-8")).decode("ascii")
    return p, data


def prog_for(path):
    if path.startswith("/register"):
        return "register"
    if path.startswith("/login") or path.startswith("/logout"):
        return "login"
    if path.startswith("/users"):
        return "users"
    return "authors"


def expect(r, desc, status, code=None, retry=None):
    """One TAP line: r has the status (an int or a tuple), the error code
    (when given), a complete body and, with retry "1" or "5", that
    Retry-After, or with retry "any", a positive number of seconds."""
    probs = []
    if r.error:
        probs.append(r.error)
    statuses = status if isinstance(status, tuple) else (status,)
    if r.status not in statuses:
        probs.append("status %s, expected %s" % (
            r.status, " or ".join(str(s) for s in statuses)))
    if code is not None:
        codes = code if isinstance(code, tuple) else (code,)
        if r.code not in codes:
            probs.append("error code %r, expected %s" % (
                r.code, " or ".join(repr(c) for c in codes)))
    ra = r.header("retry-after")
    if retry not in (None, "any") and ra != retry:
        probs.append("Retry-After %r, expected %r" % (ra, retry))
    if retry == "any" and not (ra and ra.isdigit() and int(ra) >= 1):
        probs.append("Retry-After %r, expected a number of seconds" % ra)
    if r.status is not None and r.json is None:
        probs.append("no JSON body")
    return TAP.ok(not probs, desc, probs + r.describe() if probs else ())


def expect_log(text, desc, cause, path=None):
    """A log line that names path (when given) and matches cause."""
    lines = [ln for ln in text.splitlines()
             if re.search(cause, ln, re.I) and (path is None or path in ln)]
    diag = ["wanted a line%s matching /%s/" % (
        " naming %s" % path if path else "", cause)]
    diag += ["log: " + ln for ln in text.strip().splitlines()[-10:]] or \
        ["(log empty)"]
    return TAP.ok(lines, desc, diag)


def retry_until(fn, good, timeout):
    """Call fn until good(result) or timeout seconds; (result, tries)."""
    deadline = time.monotonic() + timeout
    tries = 0
    while True:
        r = fn()
        tries += 1
        if good(r) or time.monotonic() >= deadline:
            return r, tries
        time.sleep(0.1)


# ------------------------------------------------------------- FastCGI

FCGI_BEGIN_REQUEST, FCGI_ABORT_REQUEST, FCGI_END_REQUEST = 1, 2, 3
FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT, FCGI_STDERR = 4, 5, 6, 7
FCGI_RESPONDER = 1


def fcgi_record(rtype, content, reqid=1):
    pad = -len(content) % 8
    return struct.pack("!BBHHBB", 1, rtype, reqid, len(content), pad, 0) + \
        content + b"\0" * pad


def fcgi_stream(rtype, data):
    """data as records of rtype, then the empty record that ends it."""
    out = [fcgi_record(rtype, data[i:i + 32768])
           for i in range(0, len(data), 32768)]
    out.append(fcgi_record(rtype, b""))
    return b"".join(out)


def fcgi_nv(name, value):
    def ln(n):
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return ln(len(name)) + ln(len(value)) + name + value


def fcgi_request(params, stdin):
    """(BEGIN_REQUEST, PARAMS stream, STDIN stream) bytes of request 1."""
    begin = fcgi_record(FCGI_BEGIN_REQUEST,
                        struct.pack("!HB5x", FCGI_RESPONDER, 0))
    pdata = b"".join(fcgi_nv(k.encode(), v.encode("utf-8"))
                     for k, v in params.items())
    return begin, fcgi_stream(FCGI_PARAMS, pdata), \
        fcgi_stream(FCGI_STDIN, stdin)


def fcgi_read(sock, deadline):
    """Read records until END_REQUEST: (stdout, ended, problem)."""
    buf = b""
    out = []
    while True:
        while len(buf) >= 8:
            _, rtype, _, clen, plen, _ = struct.unpack("!BBHHBB", buf[:8])
            if len(buf) < 8 + clen + plen:
                break
            content = buf[8:8 + clen]
            buf = buf[8 + clen + plen:]
            if rtype == FCGI_STDOUT:
                out.append(content)
            elif rtype == FCGI_END_REQUEST:
                return b"".join(out), True, None
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(out), False, "no END_REQUEST in time"
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return b"".join(out), False, "no END_REQUEST in time"
        except OSError as e:
            return b"".join(out), False, "recv: %s" % e
        if not chunk:
            return b"".join(out), False, "connection closed before " \
                "END_REQUEST"
        buf += chunk


class Responder:
    """One responder process serving FastCGI on a unix socket."""
    seq = 0

    def __init__(self, inst, prog, extra=None):
        Responder.seq += 1
        self.inst, self.prog = inst, prog
        self.label = "%s/%s#%d" % (inst.name, prog, Responder.seq)
        self.sock_path = os.path.join(SOCK_DIR, "%d.sock" % Responder.seq)
        self.log_path = os.path.join(LOG_DIR, "%s-%s-%d.log" % (
            inst.name, prog, Responder.seq))
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            ls.bind(self.sock_path)
            ls.listen(64)
            self.logf = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [os.path.join(CGI_BIN, prog)], stdin=ls.fileno(),
                stdout=subprocess.DEVNULL, stderr=self.logf,
                env=inst.env(extra), preexec_fn=child_setup(), cwd="/",
                **as_service_user())
        finally:
            ls.close()
        self.pid = self.proc.pid
        self.started = time.monotonic()
        LIVE.append(self)
        TRACED.append(self)

    def alive(self):
        return self.proc.poll() is None

    def mark(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def log(self, since=0):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def connect(self, timeout=None):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout or T(10))
        s.connect(self.sock_path)
        return s

    def request(self, method, path, query="", body=None, token=None,
                basic=None, timeout=None):
        r = Resp("FastCGI %s %s%s (pid %d)" % (
            method, path, "?" + query if query else "", self.pid))
        params, data = request_params(method, path, query, body, token,
                                      basic)
        mark = self.mark()
        t0 = time.monotonic()
        deadline = t0 + (timeout or T(10))
        try:
            s = self.connect()
        except OSError as e:
            r.error = "connect: %s" % e
            return self._finish(r, mark, t0)
        try:
            s.sendall(b"".join(fcgi_request(params, data)))
            out, ended, problem = fcgi_read(s, deadline)
        except OSError as e:
            out, ended, problem = b"", False, "send: %s" % e
        finally:
            s.close()
        r.elapsed = time.monotonic() - t0
        if problem:
            r.error = problem
        parse_cgi(r, out)
        if not ended and r.error is None:
            r.error = "no END_REQUEST"
        return self._finish(r, mark, t0)

    def _finish(self, r, mark, t0):
        r.elapsed = time.monotonic() - t0
        if not self.alive():
            r.error = (r.error or "") + "; the responder exited (%s)" % \
                describe_rc(self.proc.returncode)
        r.log = self.log(mark)
        return r

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=None):
        """SIGTERM, then SIGKILL; the exit status."""
        if self.alive():
            self.signal(signal.SIGTERM)
            if self.wait(timeout or T(5)) is None:
                self.kill()
        self.kill()
        return self.proc.returncode

    def kill(self):
        if self.alive():
            try:
                self.proc.kill()
            except OSError:
                pass
            self.wait(T(5))
        if self in LIVE:
            LIVE.remove(self)
            self.logf.close()
            try:
                os.unlink(self.sock_path)
            except OSError:
                pass


def describe_rc(rc):
    if rc is None:
        return "running"
    if rc < 0:
        try:
            return "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit status %d" % rc


# ------------------------------------------------------------ instances


class Instance:
    """A private installation: an empty configuration, a database and a
    key file made by library-admin init, user alice."""

    def __init__(self, name, base=None, init=True):
        self.name = name
        self.dir = os.path.join(base or TMP, name)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        chown_service(self.dir)
        self.db = os.path.join(self.dir, "library.db")
        self.secret = os.path.join(self.dir, "secret")
        self.settings = {}
        if init:
            self.init_db()

    def init_db(self, extra=None):
        r = self.admin("init", extra=extra)
        if r.returncode != 0:
            raise SetupError("library-admin init: " + r.stdout)
        r = self.admin("user", "add", USER, input=PASSWORD + "\n",
                       extra=extra)
        if r.returncode != 0:
            raise SetupError("library-admin user add: " + r.stdout)

    def env(self, extra=None):
        env = base_env()
        env.update({
            "LIBRARY_CONF": CONF,
            "LIBRARY_DB": self.db,
            "LIBRARY_SECRET_FILE": self.secret,
            "LIBRARY_PASSWORD_COST": "1",
            "LIBRARY_BUSY_TIMEOUT": "300",
            "LIBRARY_LOGIN_MAX_FAILURES": "100000",
            "LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
        })
        env.update(self.settings)
        env.update(extra or {})
        return env

    def admin(self, *args, input=None, extra=None):
        try:
            r = subprocess.run([ADMIN] + list(args), env=self.env(extra),
                               input=(input or "").encode("utf-8"),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=T(20),
                               cwd="/", preexec_fn=child_setup(),
                               **as_service_user())
        except (OSError, subprocess.SubprocessError) as e:
            raise SetupError("library-admin %s: %s" % (" ".join(args), e))
        r.stdout = r.stdout.decode("utf-8", "replace")
        ALL_LOGS.append(("library-admin " + " ".join(args), r.stdout))
        return r

    def cgi(self, method, path, query="", body=None, token=None, basic=None,
            extra=None, fsize=None, timeout=None, prog=None):
        prog = prog or prog_for(path)
        r = Resp("CGI %s %s%s (%s)" % (method, path,
                                       "?" + query if query else "", prog))
        params, data = request_params(method, path, query, body, token,
                                      basic)
        env = self.env(extra)
        env.update(params)
        t0 = time.monotonic()
        try:
            pr = subprocess.run(
                [os.path.join(CGI_BIN, prog)], env=env, input=data,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=timeout or T(10), cwd="/",
                preexec_fn=child_setup(fsize), **as_service_user())
        except subprocess.TimeoutExpired as e:
            r.elapsed = time.monotonic() - t0
            r.error = "no answer within %.0f s" % e.timeout
            return r
        except OSError as e:
            r.error = "cannot run %s: %s" % (prog, e)
            return r
        r.elapsed = time.monotonic() - t0
        r.rc = pr.returncode
        r.log = pr.stderr.decode("utf-8", "replace")
        ALL_LOGS.append((r.label, r.log))
        parse_cgi(r, pr.stdout)
        if pr.returncode < 0:
            r.error = "%s%s" % (describe_rc(pr.returncode),
                                "; " + r.error if r.error else "")
        return r

    # -- data through the API

    def login(self, via=None):
        """A token for alice (via: a login Responder, else CGI)."""
        fn = via.request if via is not None else self.cgi
        r = fn("GET", "/login", basic=(USER, PASSWORD))
        if r.status != 200 or not isinstance(r.json, dict) or \
                not isinstance(r.json.get("token"), str):
            raise SetupError("login failed: " + "; ".join(r.describe()))
        return r.json["token"]

    def create(self, token, n, tag, via=None):
        """n authors created through the API: their JSON objects."""
        fn = via.request if via is not None else self.cgi
        out = []
        for i in range(n):
            r = fn("POST", "/authors", body=author_body(tag, i), token=token)
            if r.status != 201 or not isinstance(r.json, dict):
                raise SetupError("create: " + "; ".join(r.describe()))
            out.append(r.json["author"])
        return out

    def sql(self, timeout=2.0):
        """A connection of ours to the database (never creates it)."""
        return sqlite3.connect("file:%s?mode=rw" % self.db, uri=True,
                               timeout=timeout, isolation_level=None)

    def quiesce(self):
        """Everything into the main file: checkpoint and close (as the
        last connection, which removes -wal and -shm)."""
        c = self.sql()
        try:
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            c.close()
        for sfx in ("-wal", "-shm"):
            if os.path.exists(self.db + sfx):
                raise SetupError("%s%s still there after the last close" %
                                 (self.db, sfx))

    def check(self):
        """(integrity_check result, number of authors)."""
        c = self.sql()
        try:
            ic = c.execute("PRAGMA integrity_check").fetchall()
            n = c.execute("SELECT count(*) FROM authors").fetchone()[0]
        finally:
            c.close()
        return " ".join(str(x[0]) for x in ic), n


def author_body(tag, i):
    return {"name": "Author %s-%d" % (tag, i),
            "book": "Book %s-%d" % (tag, i),
            "country": "Ireland", "booker_prize": i % 2 == 0}


def authors_of(r):
    if r.status == 200 and isinstance(r.json, dict) and \
            isinstance(r.json.get("list_of_authors"), list):
        return r.json["list_of_authors"]
    return None


def rows_check(r, rows, desc):
    """GET /authors answered 200 with exactly the rows stored before."""
    got = authors_of(r)
    diag = []
    if got is None:
        diag = r.describe()
    elif got != rows:
        have = {a.get("id") for a in got}
        want = {a["id"] for a in rows}
        diag = ["%d rows, expected %d" % (len(got), len(rows)),
                "missing ids: %s" % sorted(want - have),
                "unexpected ids: %s" % sorted(have - want)]
        diag += ["differs: %r" % a for a in got
                 if a.get("id") in want and a not in rows][:5]
    return TAP.ok(got == rows, desc, diag)


def integrity(inst, nrows, desc):
    try:
        ic, n = inst.check()
    except sqlite3.Error as e:
        return TAP.ok(False, desc, "sqlite3: %s" % e)
    return TAP.ok(ic == "ok" and n == nrows, desc,
                  ["integrity_check: %s" % ic[:500],
                   "%d authors, expected %d" % (n, nrows)])


def install_copy(data, dest, mode=0o600):
    """Put bytes at dest as a new file (rename over it), owned by the
    service user."""
    tmp = dest + ".new"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    chown_service(tmp)
    os.replace(tmp, dest)


def write_in_place(path, data):
    with open(path, "r+b") as f:
        f.write(data)
        f.truncate()


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def fill_fs(path):
    """Write zeros to path until the file system is full: its size."""
    size = 0
    with open(path, "wb", buffering=0) as f:
        for chunk in (1 << 20, 65536, 4096, 512, 1):
            block = b"\0" * chunk
            while True:
                try:
                    n = f.write(block)
                except OSError as e:
                    if e.errno in (errno.ENOSPC, errno.EDQUOT):
                        break
                    raise
                size += n or 0
                if not n:
                    break
    return size


class Ctx:
    """What one case made, undone at its end whatever happened."""

    def __init__(self, num):
        self.num = num
        self.responders = []
        self.conns = []
        self.modes = []     # (path, mode) to restore
        self.mounts = []

    def instance(self, name, **kw):
        return Instance("c%d-%s" % (self.num, name), **kw)

    def responder(self, inst, prog, extra=None):
        r = Responder(inst, prog, extra)
        self.responders.append(r)
        return r

    def conn(self, inst):
        c = inst.sql(timeout=0)
        self.conns.append(c)
        return c

    def chmod(self, path, mode):
        self.modes.append((path, os.stat(path).st_mode & 0o7777))
        os.chmod(path, mode)

    def mount(self, path, size="2m"):
        why = mount_tmpfs(path, size)
        if why is None:
            self.mounts.append(path)
        return why

    def cleanup(self):
        for r in self.responders:
            r.kill()
        for c in self.conns:
            try:
                c.close()
            except sqlite3.Error:
                pass
        for path, mode in reversed(self.modes):
            try:
                os.chmod(path, mode)
            except OSError:
                pass
        for m in reversed(self.mounts):
            remount(m, "rw")
            umount(m)


# ----------------------------------------------------------------- cases

CASES = []


def case(num, title):
    def deco(fn):
        CASES.append((num, title, fn))
        return fn
    return deco


def alive_check(resp, desc):
    return TAP.ok(resp.alive(), desc, "the responder %s" %
                  describe_rc(resp.proc.returncode))


def recovered(resp, fn, status, desc, timeout=5):
    """fn() (a request to resp) answers status within timeout seconds,
    from the same process: the TAP line; the last answer."""
    r, tries = retry_until(fn, lambda r: r.status == status,
                           T(timeout))
    ok = r.status == status and r.error is None and resp.alive()
    diag = r.describe() + ["%d tries in %.0f s" % (tries, T(timeout))]
    TAP.ok(ok, desc + " (pid %d, %d tr%s)" % (
        resp.pid, tries, "y" if tries == 1 else "ies"), diag)
    return r


@case(1, "database missing")
def c_missing(ctx):
    inst = ctx.instance("missing")
    tok = inst.login()
    rows = inst.create(tok, 3, "m")
    away = inst.db + ".away"
    os.rename(inst.db, away)

    # 1a: CGI, a fresh process per request.
    r = inst.cgi("GET", "/authors", token=tok)
    expect(r, "1a CGI GET /authors, database renamed away: 503 "
           "storage_unavailable with Retry-After", 503,
           "storage_unavailable", RETRY_STORAGE)
    expect_log(r.log, "1a CGI: a log line names the database and the cause",
               CAUSE_MISSING, inst.db)
    r = inst.cgi("POST", "/authors", body=author_body("m", 9), token=tok)
    expect(r, "1a CGI POST /authors, database missing: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    r = inst.cgi("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "1a CGI GET /login, database missing: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    TAP.ok(not os.path.exists(inst.db), "1a no empty database was created "
           "in place of the missing one", "%s exists" % inst.db)

    # 1b: FastCGI started while it is missing, then it comes back.
    fa = ctx.responder(inst, "authors")
    r = fa.request("GET", "/authors", token=tok)
    expect(r, "1b FastCGI started without its database: GET /authors 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    expect_log(fa.log(), "1b FastCGI: a log line names the database and "
               "the cause", CAUSE_MISSING, inst.db)
    alive_check(fa, "1b the responder keeps running without its database")
    os.rename(away, inst.db)
    r = recovered(fa, lambda: fa.request("GET", "/authors", token=tok), 200,
                  "1b database back: the same process answers GET /authors "
                  "200")
    rows_check(r, rows, "1b every row stored before is there")
    r = fa.request("POST", "/authors", body=author_body("m", 3), token=tok)
    if expect(r, "1b the same process writes again: POST /authors 201", 201):
        rows.append(r.json["author"])

    # 1c: deleted under the running responder, then a copy put back.
    good = inst.sql()
    copy = sqlite3.connect(":memory:")
    good.backup(copy)
    good.close()
    saved = copy.serialize()
    copy.close()
    os.unlink(inst.db)
    mark = fa.mark()
    r = fa.request("POST", "/authors", body=author_body("m", 4), token=tok)
    expect(r, "1c database deleted under a running responder: POST "
           "/authors 503 storage_unavailable (no write acknowledged into "
           "the deleted file)", 503, "storage_unavailable", RETRY_STORAGE)
    r = fa.request("GET", "/authors", token=tok)
    expect(r, "1c database deleted: GET /authors 503 storage_unavailable",
           503, "storage_unavailable", RETRY_STORAGE)
    expect_log(fa.log(mark), "1c a log line names the database and the "
               "cause", CAUSE_MISSING + r"|deleted|replaced|gone|again",
               inst.db)
    TAP.ok(not os.path.exists(inst.db), "1c no empty database was created "
           "in place of the deleted one", "%s exists" % inst.db)
    install_copy(saved, inst.db)
    r = recovered(fa, lambda: fa.request("GET", "/authors", token=tok), 200,
                  "1c copy put back: the same process answers GET /authors "
                  "200")
    rows_check(r, rows, "1c the responder serves the file now at the path: "
               "every row of the copy, nothing else")
    r = fa.request("POST", "/authors", body=author_body("m", 5), token=tok)
    if expect(r, "1c the same process writes into the file put back: POST "
              "/authors 201", 201):
        rows.append(r.json["author"])
    rows_check(inst.cgi("GET", "/authors", token=tok), rows,
               "1c a fresh CGI process sees that write")
    fa.stop()
    integrity(inst, len(rows), "1c integrity_check ok, every row there")

    # 1d: a database that was never created (no library-admin init).
    never = os.path.join(inst.dir, "never.db")
    extra = {"LIBRARY_DB": never}
    r = inst.cgi("GET", "/login", basic=(USER, PASSWORD), extra=extra)
    expect(r, "1d CGI GET /login, database never created: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    expect_log(r.log, "1d CGI: a log line names the database and the cause",
               CAUSE_MISSING, never)
    TAP.ok(not os.path.exists(never), "1d the responder did not create the "
           "database", "%s exists" % never)
    fl = ctx.responder(inst, "login", extra)
    r = fl.request("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "1d FastCGI login started without a database: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    inst.init_db(extra)
    recovered(fl, lambda: fl.request("GET", "/login", basic=(USER, PASSWORD)),
              200, "1d after library-admin init and user add: the same "
              "process answers GET /login 200")


@case(2, "database unreadable")
def c_unreadable(ctx):
    if not MODES_ENFORCED:
        TAP.skip("2 database unreadable (mode 000)", "root without a user "
                 "that can run the programs: file modes do not apply")
        return
    inst = ctx.instance("unreadable")
    tok = inst.login()
    rows = inst.create(tok, 3, "u")
    ctx.chmod(inst.db, 0)
    r = inst.cgi("GET", "/authors", token=tok)
    expect(r, "2a CGI GET /authors, database mode 000: 503 "
           "storage_unavailable with Retry-After", 503,
           "storage_unavailable", RETRY_STORAGE)
    expect_log(r.log, "2a CGI: a log line names the database and the cause",
               CAUSE_UNREADABLE, inst.db)
    r = inst.cgi("POST", "/authors", body=author_body("u", 9), token=tok)
    expect(r, "2a CGI POST /authors, database mode 000: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    r = inst.cgi("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "2a CGI GET /login, database mode 000: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    fa = ctx.responder(inst, "authors")
    r = fa.request("GET", "/authors", token=tok)
    expect(r, "2b FastCGI started with the database mode 000: GET /authors "
           "503 storage_unavailable", 503, "storage_unavailable",
           RETRY_STORAGE)
    expect_log(fa.log(), "2b FastCGI: a log line names the database and "
               "the cause", CAUSE_UNREADABLE, inst.db)
    os.chmod(inst.db, 0o600)
    r = recovered(fa, lambda: fa.request("GET", "/authors", token=tok), 200,
                  "2b mode 0600 again: the same process answers GET "
                  "/authors 200")
    rows_check(r, rows, "2b every row stored before is there")
    r = fa.request("POST", "/authors", body=author_body("u", 3), token=tok)
    if expect(r, "2b the same process writes again: POST /authors 201", 201):
        rows.append(r.json["author"])
    fa.stop()
    integrity(inst, len(rows), "2 integrity_check ok, every row there")


@case(3, "database read-only")
def c_readonly(ctx):
    if not MODES_ENFORCED:
        TAP.skip("3a/3b database file and folder read-only (modes)",
                 "root without a user that can run the programs")
    else:
        inst = ctx.instance("ro")
        tok = inst.login()
        rows = inst.create(tok, 3, "r")
        ctx.chmod(inst.db, 0o444)
        r = inst.cgi("POST", "/authors", body=author_body("r", 9), token=tok)
        expect(r, "3a CGI POST /authors, database mode 0444: 503 "
               "storage_unavailable with Retry-After", 503,
               "storage_unavailable", RETRY_STORAGE)
        expect_log(r.log, "3a CGI: a log line names the database and the "
                   "cause", CAUSE_READONLY, inst.db)
        r = inst.cgi("GET", "/authors", token=tok)
        if expect(r, "3a CGI GET /authors, database mode 0444: 200, or 503 "
                  "storage_unavailable", (200, 503),
                  (None, "storage_unavailable")) and r.status == 200:
            rows_check(r, rows, "3a the rows read from a read-only "
                       "database are all there")
        fa = ctx.responder(inst, "authors")
        r = fa.request("POST", "/authors", body=author_body("r", 8),
                       token=tok)
        expect(r, "3a FastCGI started with the database mode 0444: POST "
               "/authors 503 storage_unavailable", 503,
               "storage_unavailable", RETRY_STORAGE)
        expect_log(fa.log(), "3a FastCGI: a log line names the database "
                   "and the cause", CAUSE_READONLY, inst.db)
        os.chmod(inst.db, 0o600)
        r = recovered(fa, lambda: fa.request(
            "POST", "/authors", body=author_body("r", 3), token=tok), 201,
            "3a mode 0600 again: the same process writes (POST /authors "
            "201)")
        if r.status == 201:
            rows.append(r.json["author"])
        rows_check(fa.request("GET", "/authors", token=tok), rows,
                   "3a every row there, nothing else")
        fa.stop()
        inst.quiesce()

        # 3b: the folder read-only (no -wal or -shm can be made).
        ctx.chmod(inst.dir, 0o555)
        r = inst.cgi("POST", "/authors", body=author_body("r", 7), token=tok)
        expect(r, "3b CGI POST /authors, database folder mode 0555: 503 "
               "storage_unavailable", 503, "storage_unavailable",
               RETRY_STORAGE)
        expect_log(r.log, "3b CGI: a log line names the database",
                   CAUSE_READONLY + "|" + CAUSE_UNREADABLE, inst.db)
        r = inst.cgi("GET", "/authors", token=tok)
        expect(r, "3b CGI GET /authors, folder mode 0555: 200, or 503 "
               "storage_unavailable", (200, 503),
               (None, "storage_unavailable"))
        os.chmod(inst.dir, 0o755)
        r = inst.cgi("POST", "/authors", body=author_body("r", 4), token=tok)
        if expect(r, "3b folder writable again: CGI POST /authors 201",
                  201):
            rows.append(r.json["author"])
        integrity(inst, len(rows), "3b integrity_check ok, every row there")

    # 3c: a read-only mount (root only).
    mnt = os.path.join(TMP, "c3-mnt")
    why = ctx.mount(mnt, "4m")
    if why:
        TAP.skip("3c database on a read-only mount", why)
        return
    inst = ctx.instance("romnt", base=mnt)
    tok = inst.login()
    rows = inst.create(tok, 3, "m")
    inst.quiesce()
    ok, out = remount(mnt, "ro")
    if not ok:
        TAP.skip("3c database on a read-only mount", "remount,ro: " + out)
        return
    fa = ctx.responder(inst, "authors")
    r = fa.request("POST", "/authors", body=author_body("m", 9), token=tok)
    expect(r, "3c FastCGI started on a read-only mount: POST /authors 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    expect_log(fa.log(), "3c FastCGI: a log line names the database and the "
               "cause", CAUSE_READONLY + "|" + CAUSE_UNREADABLE, inst.db)
    r = fa.request("GET", "/authors", token=tok)
    expect(r, "3c read-only mount: GET /authors 200, or 503 "
           "storage_unavailable", (200, 503), (None, "storage_unavailable"))
    r = inst.cgi("POST", "/authors", body=author_body("m", 8), token=tok)
    expect(r, "3c CGI POST /authors on a read-only mount: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    ok, out = remount(mnt, "rw")
    TAP.ok(ok, "3c remount,rw", out)
    r = recovered(fa, lambda: fa.request(
        "POST", "/authors", body=author_body("m", 3), token=tok), 201,
        "3c mount writable again: the same process writes (POST /authors "
        "201)")
    if r.status == 201:
        rows.append(r.json["author"])
    rows_check(fa.request("GET", "/authors", token=tok), rows,
               "3c every row there, nothing else")
    fa.stop()
    integrity(inst, len(rows), "3c integrity_check ok, every row there")


@case(4, "database locked by another program")
def c_locked(ctx):
    inst = ctx.instance("locked")
    tok = inst.login()
    rows = inst.create(tok, 3, "l")
    fa = ctx.responder(inst, "authors")
    r = fa.request("GET", "/authors", token=tok)
    expect(r, "4 FastCGI responder serving: GET /authors 200", 200)
    holder = ctx.conn(inst)
    holder.execute("BEGIN EXCLUSIVE")
    TAP.note("4: another connection holds BEGIN EXCLUSIVE; "
             "LIBRARY_BUSY_TIMEOUT=300")
    bound = 0.3 + T(2.5)

    def in_time(r, desc):
        TAP.ok(0.2 <= r.elapsed <= bound, desc + " (%.2f s)" % r.elapsed,
               "took %.2f s, expected 0.2 to %.1f s" % (r.elapsed, bound))

    r = inst.cgi("POST", "/authors", body=author_body("l", 9), token=tok)
    expect(r, "4 CGI POST /authors while locked: 503 service_unavailable, "
           "Retry-After: 1", 503, "service_unavailable", "1")
    in_time(r, "4 CGI: refused after about the busy timeout")
    expect_log(r.log, "4 CGI: a log line says the database is busy",
               CAUSE_BUSY)
    r = inst.cgi("GET", "/authors", token=tok)
    rows_check(r, rows, "4 CGI GET /authors while locked: 200, every row "
               "(readers are not blocked)")
    r = fa.request("POST", "/authors", body=author_body("l", 8), token=tok)
    expect(r, "4 FastCGI POST /authors while locked: 503 "
           "service_unavailable, Retry-After: 1", 503,
           "service_unavailable", "1")
    in_time(r, "4 FastCGI: refused after about the busy timeout")
    expect_log(r.log, "4 FastCGI: a log line says the database is busy",
               CAUSE_BUSY)
    r = fa.request("GET", "/authors", token=tok)
    rows_check(r, rows, "4 FastCGI GET /authors while locked: 200, every "
               "row")
    r = inst.cgi("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "4 CGI GET /login while locked (it counts the attempt): 503 "
           "service_unavailable, Retry-After: 1", 503,
           "service_unavailable", "1")
    holder.execute("ROLLBACK")
    r = recovered(fa, lambda: fa.request(
        "POST", "/authors", body=author_body("l", 3), token=tok), 201,
        "4 lock released: the same process writes (POST /authors 201)", 2)
    if r.status == 201:
        rows.append(r.json["author"])
    r = inst.cgi("POST", "/authors", body=author_body("l", 4), token=tok)
    if expect(r, "4 lock released: CGI POST /authors 201", 201):
        rows.append(r.json["author"])
    rows_check(fa.request("GET", "/authors", token=tok), rows,
               "4 every row there, nothing else")
    fa.stop()
    integrity(inst, len(rows), "4 integrity_check ok, every row there")


@case(5, "database corrupt")
def c_corrupt(ctx):
    inst = ctx.instance("corrupt")
    tok = inst.login()
    rows = inst.create(tok, 3, "c")
    c = inst.sql()
    root = c.execute("SELECT rootpage FROM sqlite_master WHERE type = "
                     "'table' AND name = 'authors'").fetchone()[0]
    c.close()
    inst.quiesce()
    good = read_file(inst.db)
    page = struct.unpack(">H", good[16:18])[0]
    page = 65536 if page == 1 else page

    # 5a: the header overwritten.
    bad = (b"this is no database, just bytes " * 4)[:100] + good[100:]
    write_in_place(inst.db, bad)
    r = inst.cgi("GET", "/authors", token=tok)
    expect(r, "5a CGI GET /authors, database header overwritten: 503 "
           "storage_unavailable with Retry-After", 503,
           "storage_unavailable", RETRY_STORAGE)
    expect_log(r.log, "5a CGI: a log line names the database and the cause",
               CAUSE_CORRUPT, inst.db)
    r = inst.cgi("POST", "/authors", body=author_body("c", 9), token=tok)
    expect(r, "5a CGI POST /authors, database header overwritten: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    TAP.ok(read_file(inst.db) == bad, "5a the damaged file was left as it "
           "was (not overwritten or made again)")
    fa = ctx.responder(inst, "authors")
    r = fa.request("GET", "/authors", token=tok)
    expect(r, "5a FastCGI started on the damaged file: GET /authors 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    expect_log(fa.log(), "5a FastCGI: a log line names the database and the "
               "cause", CAUSE_CORRUPT, inst.db)
    install_copy(good, inst.db)
    r = recovered(fa, lambda: fa.request("GET", "/authors", token=tok), 200,
                  "5a good copy put back: the same process answers GET "
                  "/authors 200")
    rows_check(r, rows, "5a every row of the good copy is there")
    r = fa.request("POST", "/authors", body=author_body("c", 3), token=tok)
    if expect(r, "5a the same process writes again: POST /authors 201",
              201):
        rows.append(r.json["author"])
    fa.stop()

    # 5b: the authors table's page overwritten (the header is fine).
    inst.quiesce()
    good = read_file(inst.db)
    off = (root - 1) * page
    bad = good[:off] + b"\xff" * page + good[off + page:]
    write_in_place(inst.db, bad)
    r = inst.cgi("GET", "/authors", token=tok)
    expect(r, "5b CGI GET /authors, the authors page overwritten: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    expect_log(r.log, "5b CGI: a log line names the database and the cause",
               CAUSE_CORRUPT, inst.db)
    fb = ctx.responder(inst, "authors")
    r = fb.request("GET", "/authors", token=tok)
    expect(r, "5b FastCGI GET /authors, the authors page overwritten: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    install_copy(good, inst.db)
    r = recovered(fb, lambda: fb.request("GET", "/authors", token=tok), 200,
                  "5b good copy put back: the same process answers GET "
                  "/authors 200")
    rows_check(r, rows, "5b every row of the good copy is there")
    fb.stop()

    # 5c: damaged in place under a running responder, then a good copy
    # written over it in place (as cp does: the same inode, so only the
    # error itself tells the responder to open the database again).
    inst.quiesce()
    fc = ctx.responder(inst, "authors")
    time.sleep(T(0.2))      # opened the good file, read no authors yet
    write_in_place(inst.db, bad)
    mark = fc.mark()
    r = fc.request("GET", "/authors", token=tok)
    expect(r, "5c authors page damaged under a running responder: GET "
           "/authors 503 storage_unavailable", 503, "storage_unavailable",
           RETRY_STORAGE)
    expect_log(fc.log(mark), "5c a log line names the database and the "
               "cause", CAUSE_CORRUPT, inst.db)
    write_in_place(inst.db, good)
    r = recovered(fc, lambda: fc.request("GET", "/authors", token=tok), 200,
                  "5c good copy written over it in place: the same process "
                  "answers GET /authors 200")
    rows_check(r, rows, "5c every row of the good copy is there")
    fc.stop()
    integrity(inst, len(rows), "5 integrity_check ok, every row there")


@case(6, "disk full")
def c_full(ctx):
    # 6a: RLIMIT_FSIZE in a CGI run: writes past it fail with EFBIG (and
    # SIGXFSZ, which must not kill the responder).
    inst = ctx.instance("fsize")
    tok = inst.login()
    rows = inst.create(tok, 3, "f")
    holder = ctx.conn(inst)   # keeps -wal and -shm in place
    holder.execute("SELECT count(*) FROM authors").fetchall()
    ck = holder.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    TAP.note("6a: WAL truncated (%s), %d bytes; CGI runs with RLIMIT_FSIZE "
             "1024" % (ck, os.path.getsize(inst.db + "-wal")))
    r = inst.cgi("POST", "/authors", body=author_body("f", 9), token=tok,
                 fsize=1024)
    expect(r, "6a CGI POST /authors under ulimit -f 1024 bytes: 503 "
           "storage_unavailable, not killed by SIGXFSZ", 503,
           "storage_unavailable", RETRY_STORAGE)
    expect_log(r.log, "6a CGI: a log line names the database and the cause",
               CAUSE_FULL, inst.db)
    r = inst.cgi("GET", "/authors", token=tok, fsize=1024)
    rows_check(r, rows, "6a CGI GET /authors under the same limit: 200, "
               "every row")
    r = inst.cgi("POST", "/authors", body=author_body("f", 3), token=tok)
    if expect(r, "6a without the limit: CGI POST /authors 201", 201):
        rows.append(r.json["author"])
    rows_check(inst.cgi("GET", "/authors", token=tok), rows,
               "6a every row there, nothing else")
    holder.close()
    integrity(inst, len(rows), "6a integrity_check ok, every row there")

    # 6b: a full tmpfs (root only).
    mnt = os.path.join(TMP, "c6-mnt")
    why = ctx.mount(mnt, "2m")
    if why:
        TAP.skip("6b database on a full file system", why)
        return
    inst = ctx.instance("full", base=mnt)
    tok = inst.login()
    rows = inst.create(tok, 3, "t")
    fa = ctx.responder(inst, "authors")
    rows_check(fa.request("GET", "/authors", token=tok), rows,
               "6b FastCGI responder serving: GET /authors 200")
    c = inst.sql()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    c.close()
    filler = os.path.join(mnt, "filler")
    size = fill_fs(filler)
    st = os.statvfs(mnt)
    TAP.note("6b: %s filled with %d bytes, %d blocks free" % (
        mnt, size, st.f_bavail))
    mark = fa.mark()
    r = fa.request("POST", "/authors", body=author_body("t", 9), token=tok)
    expect(r, "6b FastCGI POST /authors, file system full: 503 "
           "storage_unavailable with Retry-After", 503,
           "storage_unavailable", RETRY_STORAGE)
    expect_log(fa.log(mark), "6b FastCGI: a log line names the database and "
               "the cause", CAUSE_FULL, inst.db)
    rows_check(fa.request("GET", "/authors", token=tok), rows,
               "6b file system full: GET /authors 200, every row")
    r = inst.cgi("POST", "/authors", body=author_body("t", 8), token=tok)
    expect(r, "6b CGI POST /authors, file system full: 503 "
           "storage_unavailable", 503, "storage_unavailable", RETRY_STORAGE)
    os.unlink(filler)
    r = recovered(fa, lambda: fa.request(
        "POST", "/authors", body=author_body("t", 3), token=tok), 201,
        "6b filler deleted: the same process writes (POST /authors 201)")
    if r.status == 201:
        rows.append(r.json["author"])
    rows_check(fa.request("GET", "/authors", token=tok), rows,
               "6b every row there, nothing else")
    fa.stop()
    integrity(inst, len(rows), "6b integrity_check ok, every row there")


@case(7, "key file and configuration")
def c_key(ctx):
    inst = ctx.instance("key")
    tok = inst.login()
    rows = inst.create(tok, 2, "k")
    away = inst.secret + ".away"
    os.rename(inst.secret, away)

    # 7a: CGI without a key file.
    r = inst.cgi("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "7a CGI GET /login without a key file: 500 "
           "server_misconfigured", 500, "server_misconfigured")
    expect_log(r.log, "7a CGI: a log line names the key file", CAUSE_KEY,
               inst.secret)
    r = inst.cgi("GET", "/authors", token=tok)
    expect(r, "7a CGI GET /authors with a token, no key file: 500 "
           "server_misconfigured", 500, "server_misconfigured")
    r = inst.cgi("GET", "/authors")
    expect(r, "7a CGI GET /authors without a token, no key file: 401 "
           "token_missing or 500 server_misconfigured", (401, 500),
           ("token_missing", "server_misconfigured"))
    # README (Configuration) and library-api(8): without a usable key
    # every request is answered 500, even one that needs no key.
    r = inst.cgi("POST", "/register", body={"name": "bob",
                                            "password": PASSWORD})
    expect(r, "7a CGI POST /register without a key file: 500 "
           "server_misconfigured", 500, "server_misconfigured")

    # 7b: FastCGI started without a key file, which then appears.
    fl = ctx.responder(inst, "login")
    fa = ctx.responder(inst, "authors")
    r = fl.request("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "7b FastCGI login started without a key file: GET /login 500 "
           "server_misconfigured", 500, "server_misconfigured")
    expect_log(fl.log(), "7b FastCGI: a log line names the key file",
               CAUSE_KEY, inst.secret)
    r = fa.request("GET", "/authors", token=tok)
    expect(r, "7b FastCGI authors started without a key file: GET /authors "
           "500 server_misconfigured", 500, "server_misconfigured")
    alive_check(fl, "7b the login responder keeps running without a key")
    os.rename(away, inst.secret)
    r = recovered(fl, lambda: fl.request("GET", "/login",
                                         basic=(USER, PASSWORD)), 200,
                  "7b key file back: the same process answers GET /login "
                  "200")
    tok2 = r.json.get("token") if isinstance(r.json, dict) else None
    r = recovered(fa, lambda: fa.request("GET", "/authors", token=tok2), 200,
                  "7b the same authors process accepts the new token (GET "
                  "/authors 200)")
    rows_check(r, rows, "7b every row there")
    rows_check(fa.request("GET", "/authors", token=tok), rows,
               "7b and the token issued before the key went away")

    # 7c: garbled, removed, replaced by one readable by others: the keys
    # loaded before stay in use.
    orig = read_file(inst.secret)
    mark_l, mark_a = fl.mark(), fa.mark()
    install_copy(b"garbage\n", inst.secret)
    r = fl.request("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "7c key file garbled while running: GET /login 200 with the "
           "keys loaded before", 200)
    tok3 = r.json.get("token") if isinstance(r.json, dict) else None
    rows_check(fa.request("GET", "/authors", token=tok2), rows,
               "7c key file garbled: a token of before still works")
    rows_check(fa.request("GET", "/authors", token=tok3), rows,
               "7c key file garbled: the token just issued works")
    expect_log(fl.log(mark_l) + fa.log(mark_a), "7c a log line names the "
               "garbled key file", r"cannot|invalid|malformed|short|keep|"
               r"unusable|refus|bad", inst.secret)
    os.unlink(inst.secret)
    rows_check(fa.request("GET", "/authors", token=tok2), rows,
               "7c key file removed while running: a token of before still "
               "works")
    r = fl.request("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "7c key file removed: GET /login 200", 200)
    other = os.urandom(32).hex().encode() + b"\n"
    install_copy(other, inst.secret, 0o644)
    rows_check(fa.request("GET", "/authors", token=tok2), rows,
               "7c a different key readable by others is refused: a token "
               "of the old key still works")
    install_copy(orig, inst.secret)
    rows_check(fa.request("GET", "/authors", token=tok2), rows,
               "7c the original key file back: the token works")
    alive_check(fa, "7c the authors responder kept running throughout")
    fl.stop()
    fa.stop()

    # 7d: a key file readable by others at start: refused like a missing
    # one (500, the log says what to do), picked up once fixed.
    os.chmod(inst.secret, 0o644)
    r = inst.cgi("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "7d CGI GET /login, key file mode 0644: 500 "
           "server_misconfigured", 500, "server_misconfigured")
    expect_log(r.log, "7d CGI: a log line names the key file and says to "
               "chmod it", r"chmod o-rwx", inst.secret)
    fe = ctx.responder(inst, "login")
    r = fe.request("GET", "/login", basic=(USER, PASSWORD))
    expect(r, "7d FastCGI login started with the key file mode 0644: 500 "
           "server_misconfigured", 500, "server_misconfigured")
    os.chmod(inst.secret, 0o600)
    recovered(fe, lambda: fe.request("GET", "/login",
                                     basic=(USER, PASSWORD)), 200,
              "7d mode 0600 again: the same process answers GET /login 200")
    fe.stop()

    # 7e: a bad configuration file stops a responder from starting.
    bad = os.path.join(inst.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("token_lifetime = forever\n")
    os.chmod(bad, 0o644)
    r = inst.cgi("GET", "/authors", token=tok, extra={"LIBRARY_CONF": bad})
    TAP.ok(r.rc == 1 and r.status is None, "7e CGI with a bad configuration "
           "file: exit status 1, no answer", r.describe())
    expect_log(r.log, "7e CGI: the reason names the configuration file",
               r"token_lifetime|line 1", bad)
    fb = ctx.responder(inst, "authors", {"LIBRARY_CONF": bad})
    rc = fb.wait(T(5))
    TAP.ok(rc == 1, "7e FastCGI with a bad configuration file: exit status "
           "1", "the responder %s" % describe_rc(rc))
    expect_log(fb.log(), "7e FastCGI: the reason names the configuration "
               "file", r"token_lifetime|line 1", bad)


def insert_rows(inst, n):
    """n long rows for alice, straight into the database (fast)."""
    c = inst.sql(timeout=5)
    try:
        uid = c.execute("SELECT id FROM users WHERE name = ?",
                        (USER,)).fetchone()[0]
        c.execute("BEGIN")
        c.executemany(
            "INSERT INTO authors (user_id, name, book, country, "
            "booker_prize, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(uid, "Name %04d %s" % (i, "n" * 80),
              "Book %04d %s" % (i, "b" * 180), "Country %d" % i, i % 2,
              int(time.time())) for i in range(n)])
        c.execute("COMMIT")
    finally:
        c.close()


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return None


@case(8, "clients that disconnect")
def c_disconnect(ctx):
    inst = ctx.instance("disconnect")
    tok = inst.login()
    insert_rows(inst, 1000)
    fa = ctx.responder(inst, "authors")
    full = fa.request("GET", "/authors", query="limit=1000", token=tok)
    got = authors_of(full)
    TAP.ok(got is not None and len(got) == 1000 and full.complete,
           "8 GET /authors?limit=1000: 200, 1000 rows (%d bytes)" %
           len(full.body), full.describe())
    base_fds = fd_count(fa.pid)
    params, _ = request_params("GET", "/authors", "limit=1", token=tok)
    begin, pstream, sstream = fcgi_request(params, b"")
    short = fa.request("GET", "/authors", query="limit=1", token=tok)

    def next_ok(desc):
        r = fa.request("GET", "/authors", query="limit=1", token=tok,
                       timeout=T(3))
        TAP.ok(r.status == 200 and r.error is None and fa.alive() and
               r.body == short.body, desc + " (%.2f s)" % r.elapsed,
               r.describe())

    # Mid-request: half the PARAMS, then close.
    s = fa.connect()
    s.sendall(begin + pstream[:len(pstream) // 2])
    s.close()
    next_ok("8a client gone after half the PARAMS: the same process answers "
            "the next request at once")

    # Mid-request: CONTENT_LENGTH larger than the STDIN sent.
    body = json.dumps(author_body("d", 1)).encode()
    p2, _ = request_params("POST", "/authors", body=body, token=tok)
    p2["CONTENT_LENGTH"] = "1000"
    b2, ps2, _ = fcgi_request(p2, b"")
    s = fa.connect()
    s.sendall(b2 + ps2 + fcgi_record(FCGI_STDIN, body[:10]))
    time.sleep(0.2)
    s.close()
    next_ok("8b client gone with 10 of 1000 body bytes sent: the same "
            "process answers the next request at once")
    s = fa.connect()
    s.sendall(b2 + ps2 + fcgi_record(FCGI_STDIN, body[:10]) +
              fcgi_record(FCGI_STDIN, b""))
    out, ended, problem = fcgi_read(s, time.monotonic() + T(5))
    s.close()
    r = Resp("FastCGI POST /authors, body shorter than CONTENT_LENGTH")
    parse_cgi(r, out)
    TAP.ok(ended and r.status == 400, "8b body shorter than CONTENT_LENGTH "
           "(STDIN ended): 400", [problem or ""] + r.describe())
    next_ok("8b and the next request is answered")

    # Mid-response: a large answer nobody reads.
    pl, _ = request_params("GET", "/authors", "limit=1000", token=tok)
    lreq = b"".join(fcgi_request(pl, b""))
    s = fa.connect()
    s.sendall(lreq)
    s.close()
    next_ok("8c client gone right after sending GET /authors?limit=1000: "
            "the next request is answered at once")
    s = fa.connect()
    s.sendall(lreq)
    time.sleep(0.3)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 struct.pack("ii", 1, 0))
    s.close()
    next_ok("8d client resets the connection with the answer in flight: "
            "the next request is answered at once")
    s = fa.connect()
    s.sendall(lreq)
    s.recv(4096)
    time.sleep(0.1)
    s.close()
    next_ok("8e client gone after reading 4 KiB of the answer: the next "
            "request is answered at once")
    for i in range(10):
        s = fa.connect()
        s.sendall(lreq)
        if i % 2:
            s.recv(1024)
        s.close()
    r = fa.request("GET", "/authors", query="limit=1000", token=tok)
    TAP.ok(r.status == 200 and r.body == full.body and r.complete,
           "8f after 10 more of those: GET /authors?limit=1000 answered "
           "whole, byte for byte as before", r.describe())
    fds = fd_count(fa.pid)
    TAP.ok(fds is not None and base_fds is not None and fds <= base_fds + 1,
           "8f no descriptors left behind (%s open, %s before)" % (
               fds, base_fds))
    alive_check(fa, "8 the responder (pid %d) survived every disconnect" %
                fa.pid)
    fa.stop()

    # CGI: standard output closed mid-response.
    params, _ = request_params("GET", "/authors", "limit=1000", token=tok)
    env = inst.env()
    env.update(params)
    p = subprocess.Popen([os.path.join(CGI_BIN, "authors")], env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd="/",
                         preexec_fn=child_setup(), **as_service_user())
    p.stdout.read(100)
    p.stdout.close()
    try:
        _, err = p.communicate(timeout=T(10))
        rc = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
        rc = "hung"
    err = err.decode("utf-8", "replace")
    ALL_LOGS.append(("CGI authors, stdout closed", err))
    TAP.ok(isinstance(rc, int) and rc >= 0, "8g CGI whose standard output "
           "is closed mid-response exits (%s), not killed by SIGPIPE" %
           (describe_rc(rc) if isinstance(rc, int) else rc),
           ["log: " + ln for ln in err.splitlines()[-5:]])


@case(9, "SIGTERM")
def c_sigterm(ctx):
    inst = ctx.instance("term")
    tok = inst.login()
    rows = inst.create(tok, 2, "s")
    fa = ctx.responder(inst, "authors")
    rows_check(fa.request("GET", "/authors", token=tok), rows,
               "9a FastCGI responder serving: GET /authors 200")
    fa.signal(signal.SIGTERM)
    rc = fa.wait(T(5))
    TAP.ok(rc == 0, "9a SIGTERM while idle: exit status 0",
           "the responder %s" % describe_rc(rc))

    def slow_post(resp, tag, desc, sig_to):
        """A POST held up by a lock, SIGTERM while it is in hand, then the
        lock released: the answer arrives whole, the process exits 0."""
        holder = ctx.conn(inst)
        holder.execute("BEGIN EXCLUSIVE")
        params, data = request_params("POST", "/authors",
                                      body=author_body("s", tag), token=tok)
        s = resp.connect()
        s.sendall(b"".join(fcgi_request(params, data)))
        time.sleep(T(0.5))
        os.kill(sig_to, signal.SIGTERM)
        time.sleep(0.3)
        TAP.ok(resp.alive(), desc + ": still running with the request in "
               "hand", "the responder %s" % describe_rc(resp.proc.returncode))
        holder.execute("ROLLBACK")
        out, ended, problem = fcgi_read(s, time.monotonic() + T(10))
        s.close()
        r = Resp("FastCGI POST /authors during SIGTERM")
        parse_cgi(r, out)
        r.log = resp.log()
        if expect(r if ended else _with(r, problem), desc +
                  ": the answer arrives whole (201)", 201):
            rows.append(r.json["author"])
        rc = resp.wait(T(10))
        TAP.ok(rc == 0, desc + ": then exit status 0",
               ["the responder %s" % describe_rc(rc)] +
               ["log: " + ln for ln in resp.log().splitlines()[-8:]])

    fb = ctx.responder(inst, "authors", {"LIBRARY_BUSY_TIMEOUT": "10000"})
    rows_check(fb.request("GET", "/authors", token=tok), rows,
               "9b FastCGI responder serving: GET /authors 200")
    slow_post(fb, 11, "9b SIGTERM during a POST waiting for a lock", fb.pid)
    rows_check(inst.cgi("GET", "/authors", token=tok), rows,
               "9b the row of that POST is stored")

    # 9c: SIGTERM while a slow login is in hand: the password hash (a
    # user added at cost 9, about half a second) is pure computation,
    # the answer is written after the signal.
    r = inst.admin("user", "add", SLOW_USER, input=PASSWORD + "\n",
                   extra={"LIBRARY_PASSWORD_COST": "9"})
    if r.returncode != 0:
        raise SetupError("library-admin user add (cost 9): " + r.stdout)
    fl = ctx.responder(inst, "login")
    r = fl.request("GET", "/login", basic=(SLOW_USER, PASSWORD),
                   timeout=T(30))
    expect(r, "9c FastCGI login, a user of password cost 9: GET /login 200 "
           "(%.2f s)" % r.elapsed, 200)
    params, data = request_params("GET", "/login",
                                  basic=(SLOW_USER, PASSWORD))
    s = fl.connect()
    s.sendall(b"".join(fcgi_request(params, data)))
    time.sleep(min(0.15, r.elapsed / 4))
    s.setblocking(False)
    try:
        early = s.recv(1)
    except BlockingIOError:
        early = None
    s.setblocking(True)
    TAP.ok(early is None, "9c no answer yet when SIGTERM is sent (the "
           "login is in hand)", "read %r" % early)
    fl.signal(signal.SIGTERM)
    out, ended, problem = fcgi_read(s, time.monotonic() + T(30))
    s.close()
    r = Resp("FastCGI GET /login during SIGTERM")
    parse_cgi(r, out)
    r.log = fl.log()
    expect(r if ended else _with(r, problem), "9c SIGTERM during a slow "
           "login: the answer arrives whole (200)", 200)
    rc = fl.wait(T(10))
    TAP.ok(rc == 0, "9c SIGTERM during a slow login: then exit status 0",
           ["the responder %s" % describe_rc(rc)] +
           ["log: " + ln for ln in fl.log().splitlines()[-8:]])
    tok9 = r.json.get("token") if isinstance(r.json, dict) else None
    expect(inst.cgi("GET", "/authors", token=tok9), "9c the token issued "
           "during SIGTERM is a good one (GET /authors 200)", 200)

    # 9d: SIGTERM while a large answer (about 350 KB, more than a unix
    # socket holds) waits for a client that does not read yet: the
    # interrupted write must go on, not cut the answer.
    big = ctx.instance("term-big")
    btok = big.login()
    insert_rows(big, 1000)
    fg = ctx.responder(big, "authors")
    full = fg.request("GET", "/authors", query="limit=1000", token=btok)
    TAP.ok(len(authors_of(full) or ()) == 1000 and full.complete,
           "9d GET /authors?limit=1000: 200, 1000 rows (%d bytes)" %
           len(full.body), full.describe())
    params, data = request_params("GET", "/authors", "limit=1000",
                                  token=btok)
    s = fg.connect()
    s.sendall(b"".join(fcgi_request(params, data)))
    wchan, _ = retry_until(lambda: wait_channel(fg.pid),
                           lambda w: w is not None and "send" in w, T(2))
    if wchan is None:
        TAP.note("9d: no /proc/%d/wchan to see the write blocked" % fg.pid)
    else:
        TAP.ok("send" in wchan, "9d the responder is blocked writing the "
               "answer when SIGTERM is sent", "wchan %r: the answer did "
               "not fill the socket" % wchan)
    fg.signal(signal.SIGTERM)
    time.sleep(0.2)
    TAP.ok(fg.alive(), "9d SIGTERM with the answer half written: still "
           "running", "the responder %s" % describe_rc(fg.proc.returncode))
    out, ended, problem = fcgi_read(s, time.monotonic() + T(10))
    s.close()
    r = Resp("FastCGI GET /authors?limit=1000 during SIGTERM")
    parse_cgi(r, out)
    r.log = fg.log()
    TAP.ok(ended and r.status == 200 and r.complete and
           r.body == full.body, "9d the answer arrives whole, byte for "
           "byte", [problem or ""] + r.describe())
    rc = fg.wait(T(10))
    TAP.ok(rc == 0, "9d then exit status 0",
           ["the responder %s" % describe_rc(rc)] +
           ["log: " + ln for ln in fg.log().splitlines()[-8:]])

    # 9f: SIGTERM while the request is still coming in: with half the
    # PARAMS sent (libfcgi reading them), then with half the body sent;
    # the rest follows and the request is answered; and a client that
    # then goes away instead: the responder leaves soon all the same.
    def partial(cut, tag, desc):
        fp = ctx.responder(inst, "authors")
        rows_check(fp.request("GET", "/authors", token=tok), rows,
                   desc + ": responder serving")
        params, data = request_params("POST", "/authors",
                                      body=author_body("s", tag), token=tok)
        whole = b"".join(fcgi_request(params, data))
        base = sockets(fp.pid)
        s = fp.connect()
        s.sendall(whole[:cut(params, data)])
        accepted(fp, base)
        fp.signal(signal.SIGTERM)
        time.sleep(T(0.2))
        TAP.ok(fp.alive(), desc + ": SIGTERM, still running with the "
               "request coming in", "the responder %s" %
               describe_rc(fp.proc.returncode))
        try:
            s.sendall(whole[cut(params, data):])
        except OSError as e:
            TAP.note("send: %s" % e)
        out, ended, problem = fcgi_read(s, time.monotonic() + T(10))
        s.close()
        r = Resp("FastCGI POST /authors, SIGTERM while it came in")
        parse_cgi(r, out)
        r.log = fp.log()
        if expect(r if ended else _with(r, problem), desc + ": the rest "
                  "sent, the answer arrives whole (201)", 201):
            rows.append(r.json["author"])
        rc = fp.wait(T(10))
        TAP.ok(rc == 0, desc + ": then exit status 0",
               "the responder %s" % describe_rc(rc))

    def half_params(params, data):
        return len(fcgi_request(params, data)[0]) + \
            len(fcgi_request(params, data)[1]) // 2

    def half_body(params, data):
        b, p, _ = fcgi_request(params, data)
        return len(b) + len(p) + 8 + len(data) // 2

    partial(half_params, 13, "9f half the PARAMS sent")
    partial(half_body, 14, "9f half the body sent")
    rows_check(inst.cgi("GET", "/authors", token=tok), rows,
               "9f the rows of those POSTs are stored")
    # The client gone after the SIGTERM: half a body is a 400 nobody
    # reads; half the PARAMS send libfcgi back to accept(2) to wait for
    # the next connection, where the responder must not stay.
    for cut, what in ((half_body, "half a body"),
                      (half_params, "half the PARAMS")):
        fq = ctx.responder(inst, "authors")
        rows_check(fq.request("GET", "/authors", token=tok), rows,
                   "9f responder serving")
        params, data = request_params("POST", "/authors",
                                      body=author_body("s", 15), token=tok)
        base = sockets(fq.pid)
        s = fq.connect()
        s.sendall(b"".join(fcgi_request(params, data))[:cut(params, data)])
        accepted(fq, base)
        fq.signal(signal.SIGTERM)
        time.sleep(T(0.2))
        s.close()
        t0 = time.monotonic()
        rc = fq.wait(T(5))
        TAP.ok(rc == 0, "9f SIGTERM with %s in, then the client gone: exit "
               "status 0 (%.1f s)" % (what, time.monotonic() - t0),
               "the responder %s" % describe_rc(rc))

    # 9e: the same through a LIBRARY_WORKERS supervisor.
    fw = ctx.responder(inst, "authors", {"LIBRARY_BUSY_TIMEOUT": "10000",
                                         "LIBRARY_WORKERS": "2"})
    r = fw.request("GET", "/authors", token=tok)
    kids = children(fw.pid)
    if not (r.status == 200 and len(kids) == 2):
        TAP.skip("9e SIGTERM to a LIBRARY_WORKERS supervisor", "no "
                 "supervisor with 2 workers in this build (%d children, "
                 "status %s)" % (len(kids), r.status))
        return
    rows_check(r, rows, "9e supervisor with 2 workers serving: GET "
               "/authors 200")
    slow_post(fw, 12, "9e SIGTERM to the supervisor during a POST waiting "
              "for a lock", fw.pid)
    TAP.ok(not [k for k in kids if os.path.exists("/proc/%d" % k)],
           "9e no worker left behind", "still there: %s" % kids)
    rows_check(inst.cgi("GET", "/authors", token=tok), rows,
               "9e the row of that POST is stored")
    integrity(inst, len(rows), "9 integrity_check ok, every row there")


def sockets(pid):
    """The sockets pid holds besides its listening one (descriptor 0):
    a set of "socket:[inode]", or None when /proc does not tell."""
    try:
        fds = [f for f in os.listdir("/proc/%d/fd" % pid) if f != "0"]
    except OSError:
        return None
    out = set()
    for f in fds:
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, f))
        except OSError:
            continue
        if link.startswith("socket:"):
            out.add(link)
    return out


def accepted(resp, base):
    """Wait until resp holds a socket not in base (the connection just
    made: accepted), so that a signal finds the request coming in; then
    a moment for libfcgi to read what was sent."""
    retry_until(lambda: sockets(resp.pid),
                lambda now: now is None or base is None or now - base,
                T(3))
    time.sleep(T(0.1))


def wait_channel(pid):
    """Where in the kernel pid sleeps (sock_alloc_send_pskb: a write to
    a full socket), or None when the kernel does not tell."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            w = f.read().strip()
    except OSError:
        return None
    return w if w and w != "0" else None


def _with(r, problem):
    r.error = problem or "no END_REQUEST"
    return r


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


@case(10, "sanitizer reports")
def c_sanitizers(ctx):
    logs = list(ALL_LOGS) + [(r.label, r.log()) for r in TRACED]
    found = [(label, ln) for label, text in logs
             for ln in text.splitlines() if SANITIZER.search(ln)]
    TAP.ok(not found, "10 no sanitizer report in the logs of %d program "
           "runs" % len(logs), ["%s: %s" % f for f in found[:20]])


# ------------------------------------------------------------------ main


def main():
    global TMP, CONF, SOCK_DIR, LOG_DIR
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    for p in [ADMIN] + [os.path.join(CGI_BIN, n) for n in
                        ("register", "login", "users", "authors")]:
        if not os.access(p, os.X_OK):
            print("Bail out! missing %s: build first" % p)
            return 1
    atexit.register(cleanup_all)
    # As root the programs run as nobody, who must reach the folder: keep
    # to /tmp (a TMPDIR may be private).
    TMP = tempfile.mkdtemp(prefix="library-api-faults.",
                           dir="/tmp" if IS_ROOT else None)
    os.chmod(TMP, 0o755)
    CONF = os.path.join(TMP, "empty.conf")
    open(CONF, "w").close()
    os.chmod(CONF, 0o644)
    SOCK_DIR = tempfile.mkdtemp(prefix="lf.", dir="/tmp")
    os.chmod(SOCK_DIR, 0o755)
    atexit.register(shutil.rmtree, SOCK_DIR, True)
    LOG_DIR = os.path.join(TMP, "log")
    os.mkdir(LOG_DIR)
    pick_service_user()
    TAP.note("faults.py: %s, programs run as %s, time scale %g, folder %s" % (
        TOP_BUILDDIR, RUN_AS[2] if RUN_AS else "uid %d" % os.geteuid(),
        SCALE, TMP))
    want = os.environ.get("FAULTS_CASES", "").replace(",", " ").split()
    t0 = time.monotonic()
    for num, title, fn in CASES:
        if want and str(num) not in want and num != 10:
            continue
        TAP.note("case %d: %s" % (num, title))
        ctx = Ctx(num)
        tc = time.monotonic()
        try:
            fn(ctx)
        except SetupError as e:
            TAP.ok(False, "%d %s: setup" % (num, title), str(e))
        except Exception:
            TAP.ok(False, "%d %s: the test itself failed" % (num, title),
                   traceback.format_exc())
        finally:
            ctx.cleanup()
        TAP.note("case %d took %.1f s" % (num, time.monotonic() - tc))
    print("1..%d" % TAP.n)
    TAP.note("%d tests, %d failed, %.1f s" % (
        TAP.n, len(TAP.failed), time.monotonic() - t0))
    return 1 if TAP.failed else 0


if __name__ == "__main__":
    sys.exit(main())
