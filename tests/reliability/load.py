#!/usr/bin/env python3
"""Concurrency load test and kill test of library-api, printing TAP.

Run by tests/reliability/harness.sh (through load-nginx.test, load-cgi.test
and kill-nginx.test), which starts a private instance and exports what is
listed under Environment.  Python 3.11 standard library only: one thread and
one keep-alive http.client connection per client.

Modes (LOAD_MODE):

  load  First races: LOAD_RACERS threads released by a barrier each POST
        /register the same name (exactly one 201, the rest 409 name_taken),
        then POST /authors of one name (and, in alternate rounds, one book)
        for one user (exactly one 201, the rest 409 author_exists),
        LOAD_RACE_ROUNDS rounds of each.  Then LOAD_CLIENTS clients
        (default 64) run a mix of register, login, create, update, delete,
        list and read for LOAD_SECONDS: every answer must be the documented
        success (zero 5xx, zero connection errors), every 2xx body complete
        JSON with the content the request implies, every read must agree
        with what earlier answers promised.  Halfway through
        (LOAD_BACKUP=1, the default in this mode) `library-admin backup
        FILE` runs under that load; afterwards the copy must pass
        integrity_check and hold every user and author acknowledged before
        the backup began (those written again while it ran are left out),
        then `library-admin restore FILE` runs with the API up, which must
        then serve the backup's data (its users log in and list exactly
        their rows, users registered after it are gone, a create works),
        and once the servers are stopped the database must be the backup
        plus that one create.
  kill  LOAD_CLIENTS clients (default 32) write while a killer thread sends
        SIGKILL to a random worker of a random responder every
        LOAD_KILL_MIN_MS..LOAD_KILL_MAX_MS (default 100..500) ms; the
        workers are the children of the supervisor whose pid is in
        LOAD_RUN_DIR/NAME.pid (library-api-spawn -W).  Clients may see the
        documented success, 502, 503 or a connection error, nothing else; a
        2xx must be complete (Content-Length, JSON, expected keys and
        content).  Afterwards every supervisor is alive and back to
        LOAD_WORKERS (default 4) workers, its log has one "restarting" line
        per kill, and the database holds every write answered 2xx.

In both modes every promise implied by a 2xx is recorded (user exists with
this public_id; author id X has exactly this content; author X deleted).  A
write whose outcome is unknown (connection error, 502, 503) widens the set
of states its row may be in; the client's next request for that user is a
list (GET /authors), which settles every open question of that user (a
create of unknown outcome is recognised by its unique name).  After the
load the servers are stopped (LOAD_STOP) and the database is opened
read-only with sqlite3: PRAGMA integrity_check and foreign_key_check, every
promised user and author present with exactly the promised content, every
deleted one absent, the number of authors per user as promised and nothing
beyond requests whose outcome stayed unknown.

Environment:
  LOAD_MODE            load (default) or kill
  LOAD_URL             http://127.0.0.1:PORT (loopback only)
  LIBRARY_DB           the database the responders use
  LOAD_STOP            a sh script that stops the servers (run before the
                       database is read)
  LOAD_RUN_DIR         library-api-spawn's run folder (pid files): needed
                       for kill, used by load to check the responders lived
  LOAD_LOG_DIR         the responders' logs (NAME.log), kill mode
  LOAD_SERVER          nginx or lighttpd-cgi (for the report only)
  LOAD_SECONDS         length of the load phase, default 30 (harness.sh:
                       20, or 12 under AddressSanitizer)
  LOAD_CLIENTS         client threads (load: 64, kill: 32)
  LOAD_RACERS          threads per race, default 32
  LOAD_RACE_ROUNDS     rounds of each race, default 3
  LOAD_WORKERS         workers per responder (kill), default 4
  LOAD_KILL_MIN_MS, LOAD_KILL_MAX_MS   killer interval, default 100, 500
  LOAD_REQUEST_TIMEOUT seconds per request, default 60
  LOAD_BACKUP          1: backup and restore under load (load mode's
                       default), 0: not
  LOAD_ADMIN           library-admin (for the backup)
  LOAD_BACKUP_FILE     where the backup goes (must not exist yet)
  LOAD_SEED            random seed (printed; set it to repeat a choice
                       sequence, thread timing still varies)

The full form (a few minutes each; make check runs LOAD_SECONDS=20):
  LOAD_SECONDS=300 make check TESTS='tests/reliability/load-nginx.test
      tests/reliability/load-cgi.test tests/reliability/kill-nginx.test'
or one of them directly from the build tree:
  LOAD_SECONDS=300 top_srcdir=SRC top_builddir=BUILD PYTHON3=python3 \\
      sh SRC/tests/reliability/kill-nginx.test

Exit status: 0 when every test passed, 1 otherwise.
"""

import base64
import collections
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

# --------------------------------------------------------------------- TAP


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    @staticmethod
    def _clean(desc):
        return desc.replace("#", "No.").replace("\r", " ").replace("\n", " ")

    def ok(self, cond, desc, diag=()):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, self._clean(desc)))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, self._clean(desc)))
            shown = 0
            for line in diag:
                if shown == 30:
                    print("# ... and more")
                    break
                for part in str(line).splitlines() or [""]:
                    print("# " + part)
                shown += 1
        sys.stdout.flush()
        return bool(cond)

    @staticmethod
    def note(text):
        for part in str(text).splitlines():
            print("# " + part)
        sys.stdout.flush()

    @staticmethod
    def bail(why):
        print("Bail out! " + Tap._clean(why))
        sys.stdout.flush()
        sys.exit(1)

    def done(self):
        print("1..%d" % self.n)
        sys.stdout.flush()
        return 1 if self.failed else 0


TAP = Tap()

# ------------------------------------------------------------- environment


def env_int(name, default, lo, hi):
    v = os.environ.get(name, "")
    if v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        TAP.bail("%s must be an integer, not %r" % (name, v))
    if not lo <= n <= hi:
        TAP.bail("%s must be %d-%d, not %d" % (name, lo, hi, n))
    return n


MODE = os.environ.get("LOAD_MODE", "load")
if MODE not in ("load", "kill"):
    TAP.bail("LOAD_MODE must be load or kill, not %r" % MODE)
URL = os.environ.get("LOAD_URL", "")
_u = urllib.parse.urlsplit(URL)
if _u.scheme != "http" or _u.hostname not in ("127.0.0.1", "::1") \
        or not _u.port:
    TAP.bail("LOAD_URL must be http://127.0.0.1:PORT, got %r" % URL)
HOST, PORT = _u.hostname, _u.port
DB = os.environ.get("LIBRARY_DB", "")
STOP = os.environ.get("LOAD_STOP", "")
RUN_DIR = os.environ.get("LOAD_RUN_DIR", "")
LOG_DIR = os.environ.get("LOAD_LOG_DIR", "")
SERVER = os.environ.get("LOAD_SERVER", "?")
SECONDS = env_int("LOAD_SECONDS", 30, 1, 86400)
CLIENTS = env_int("LOAD_CLIENTS", 64 if MODE == "load" else 32, 1, 512)
RACERS = env_int("LOAD_RACERS", 32, 2, 512)
RACE_ROUNDS = env_int("LOAD_RACE_ROUNDS", 3, 0, 1000)
WORKERS = env_int("LOAD_WORKERS", 4, 1, 64)
KILL_MIN = env_int("LOAD_KILL_MIN_MS", 100, 1, 600000)
KILL_MAX = env_int("LOAD_KILL_MAX_MS", 500, KILL_MIN, 600000)
TIMEOUT = env_int("LOAD_REQUEST_TIMEOUT", 60, 1, 3600)
SEED = env_int("LOAD_SEED", random.SystemRandom().randrange(1 << 31), 0,
               (1 << 63) - 1)
if not DB or not os.path.isfile(DB):
    TAP.bail("LIBRARY_DB is not a file: %r" % DB)
if not STOP or not os.path.isfile(STOP):
    TAP.bail("LOAD_STOP is not a file: %r" % STOP)
if MODE == "kill" and (not RUN_DIR or not LOG_DIR):
    TAP.bail("kill mode needs LOAD_RUN_DIR and LOAD_LOG_DIR")
ADMIN = os.environ.get("LOAD_ADMIN", "")
BACKUP_FILE = os.environ.get("LOAD_BACKUP_FILE", "")
BACKUP = env_int("LOAD_BACKUP", 1 if MODE == "load" else 0, 0, 1)
if BACKUP and MODE != "load":
    TAP.bail("LOAD_BACKUP=1 needs LOAD_MODE=load")
if BACKUP and (not ADMIN or not os.access(ADMIN, os.X_OK) or
               not BACKUP_FILE or os.path.lexists(BACKUP_FILE)):
    TAP.bail("LOAD_BACKUP=1 needs LOAD_ADMIN (library-admin) and a new "
             "LOAD_BACKUP_FILE, got %r and %r" % (ADMIN, BACKUP_FILE))

RESPONDERS = ("register", "login", "users", "authors")
PASSWORD = "load-test password 1"
COUNTRIES = ("United Kingdom", "Nigeria", "Côte d'Ivoire", "日本",
             "Ísland", "Ελλάδα", "Canada")
# A run tag keeps this run's names apart from anything else in the database.
TAG = "ld%08x" % (SEED & 0xffffffff)

# ------------------------------------------------------------------- HTTP


class Reply:
    """One answer: status (None when none was read), the body, its JSON
    (None unless a JSON value), and err: None, "conn" (no complete status
    line and headers: the outcome is unknown) or "cut" (status read, body
    shorter than announced)."""

    __slots__ = ("status", "body", "js", "err", "why", "secs", "t0", "t1")

    def __init__(self, status=None, body=b"", js=None, err=None, why=""):
        self.status, self.body, self.js = status, body, js
        self.err, self.why = err, why
        self.secs = 0.0  # how long the request took
        self.t0 = self.t1 = 0.0  # sent, answered (time.monotonic())

    def label(self):
        if self.err == "conn":
            return "conn-error"
        if self.err == "cut":
            return "%s-cut-body" % self.status
        return str(self.status)


class Conn:
    """One keep-alive connection; reopened after an error or a close."""

    def __init__(self):
        self.c = None

    def open(self):
        self.c = http.client.HTTPConnection(HOST, PORT, timeout=TIMEOUT)
        self.c.connect()

    def close(self):
        if self.c is not None:
            try:
                self.c.close()
            except OSError:
                pass
        self.c = None

    def request(self, method, path, body=None, token=None, basic=None):
        t0 = time.monotonic()
        r = self._request(method, path, body, token, basic)
        r.t0, r.t1 = t0, time.monotonic()
        r.secs = r.t1 - t0
        return r

    def _request(self, method, path, body, token, basic):
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            data = b""  # lighttpd wants a Content-Length on a POST
        if token is not None:
            headers["x-access-tokens"] = token
        if basic is not None:
            cred = ("%s:%s" % basic).encode("utf-8")
            headers["Authorization"] = \
                "Basic " + base64.b64encode(cred).decode("ascii")
        try:
            if self.c is None:
                self.open()
            self.c.request(method, path, body=data, headers=headers)
            r = self.c.getresponse()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return Reply(err="conn", why="%s: %s" % (type(e).__name__, e))
        status = r.status
        try:
            raw = r.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return Reply(status, err="cut",
                         why="%s: %s" % (type(e).__name__, e))
        cl = r.getheader("Content-Length")
        if cl is not None and (not cl.isdigit() or int(cl) != len(raw)):
            self.close()
            return Reply(status, raw, err="cut",
                         why="Content-Length %s, %d bytes" % (cl, len(raw)))
        if r.will_close:
            self.close()
        try:
            js = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            js = None
        return Reply(status, raw, js)


# ------------------------------------------------------------ the record

Content = collections.namedtuple("Content", "name book country booker")
ABSENT = None
UNKNOWN = "unknown"  # in Author.hist: a write of unknown outcome


def content_of(obj):
    """A Content from an author object of an answer, or None if it is not
    exactly {id, name, book, country, booker_prize} with the right types."""
    if not isinstance(obj, dict) or \
            set(obj) != {"id", "name", "book", "country", "booker_prize"}:
        return None
    if not isinstance(obj["id"], int) or isinstance(obj["id"], bool):
        return None
    if not all(isinstance(obj[k], str) for k in ("name", "book", "country")):
        return None
    if not isinstance(obj["booker_prize"], bool):
        return None
    return Content(obj["name"], obj["book"], obj["country"],
                   obj["booker_prize"])


class Author:
    """cands: the states the row may be in (Content or ABSENT); one state
    when every answer so far was definite.  hist: every write answered
    2xx, in order, as (sent, answered, state); an entry (sent, inf,
    UNKNOWN) for a write of unknown outcome (what the backup check
    needs)."""

    __slots__ = ("id", "cands", "hist")

    def __init__(self, aid, content, reply=None):
        self.id = aid
        self.cands = {content}
        self.hist = []
        self.wrote(reply, content)

    def wrote(self, reply, state):
        if reply is None:  # settled by a list: when is not known
            self.hist.append((0.0, float("inf"), UNKNOWN))
        elif reply.err is None and 200 <= (reply.status or 0) < 300:
            self.hist.append((reply.t0, reply.t1, state))
        else:
            self.hist.append((reply.t0, float("inf"), UNKNOWN))

    def certain(self):
        return len(self.cands) == 1

    def present(self):
        return self.certain() and ABSENT not in self.cands


class User:
    __slots__ = ("name", "state", "public_id", "token", "authors",
                 "pending", "dirty", "acked")

    def __init__(self, name):
        self.name = name
        self.state = "new"  # present | unknown (register outcome unknown)
        self.public_id = None
        self.token = None
        self.authors = {}  # id -> Author
        self.pending = {}  # name -> Content: creates of unknown outcome
        self.dirty = False  # some outcome unknown: list before going on
        self.acked = float("inf")  # when its 201 came (time.monotonic())


class Stats:
    """Counts shared by all threads (under one lock)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_op = collections.defaultdict(collections.Counter)
        self.unexpected = []  # (op, label, why): statuses not allowed
        self.bad_body = []  # 2xx whose body is not the documented one
        self.broken = []  # reads or answers contradicting a promise
        self.crashed = []  # client threads that died (a test bug)
        self.requests = 0
        self.secs = collections.defaultdict(list)  # op -> request times
        self.unknown_writes = 0
        self.settled_present = 0
        self.settled_absent = 0

    def count(self, op, reply):
        with self.lock:
            self.requests += 1
            self.by_op[op][reply.label()] += 1
            self.secs[op].append(reply.secs)

    def add(self, what, item):
        with self.lock:
            getattr(self, what).append(item)

    def bump(self, what, n=1):
        with self.lock:
            setattr(self, what, getattr(self, what) + n)

    def statuses(self):
        total = collections.Counter()
        for c in self.by_op.values():
            total.update(c)
        return total


STATS = Stats()
# What may answer a request besides its documented success.
TRANSIENT = ("502", "503", "conn-error") if MODE == "kill" else ()


def short(reply):
    b = reply.body[:200].decode("utf-8", "replace")
    return "status %s after %.3f s %s %s" % (reply.status, reply.secs,
                                             reply.why, b)


class Client(threading.Thread):
    """One client: its own users, its own authors, one connection."""

    def __init__(self, idx, deadline, stop):
        super().__init__(name="client-%d" % idx, daemon=True)
        self.idx = idx
        self.deadline = deadline
        self.stop = stop
        self.rnd = random.Random(SEED * 1000003 + idx)
        self.conn = Conn()
        self.users = []
        self.seq = 0

    # -- one request, counted and classified

    def call(self, op, method, path, ok_status, body=None, token=None,
             basic=None):
        """The reply, and whether it was the documented success (with a
        complete JSON object body).  A transient answer (kill mode) is
        fine; anything else is recorded as unexpected."""
        r = self.conn.request(method, path, body, token, basic)
        STATS.count(op, r)
        if r.err is None and r.status == ok_status:
            if not isinstance(r.js, dict):
                STATS.add("bad_body", (op, short(r)))
                return r, False
            return r, True
        if r.label() not in TRANSIENT:
            STATS.add("unexpected", (op, r.label(), short(r)))
        return r, False

    def fresh(self):
        self.seq += 1
        n = self.seq
        return Content("%s author c%d n%d" % (TAG, self.idx, n),
                       "%s book %d-%d" % (TAG, self.idx, n),
                       self.rnd.choice(COUNTRIES),
                       self.rnd.random() < 0.3)

    # -- operations

    def register(self):
        u = User("%s-c%d-u%d" % (TAG, self.idx, len(self.users)))
        self.users.append(u)
        r, ok = self.call("register", "POST", "/register", 201,
                          {"name": u.name, "password": PASSWORD})
        if ok:
            if r.js.get("message") != "registered successfully" or \
                    not isinstance(r.js.get("public_id"), str) or \
                    len(r.js["public_id"]) != 36:
                STATS.add("bad_body", ("register", short(r)))
            u.state = "present"
            u.public_id = r.js.get("public_id")
            u.acked = r.t1
        else:
            # Never retried under the same name: settled by the database.
            u.state = "unknown"
            if r.label() in TRANSIENT:
                STATS.bump("unknown_writes")
        return u

    def login(self, u):
        r, ok = self.call("login", "GET", "/login", 200,
                          basic=(u.name, PASSWORD))
        if ok:
            if not isinstance(r.js.get("token"), str) or \
                    not isinstance(r.js.get("expires_in"), int):
                STATS.add("bad_body", ("login", short(r)))
                return
            u.token = r.js["token"]

    def create(self, u):
        c = self.fresh()
        body = {"name": c.name, "book": c.book, "country": c.country}
        if c.booker or self.rnd.random() < 0.5:
            body["booker_prize"] = c.booker
        r, ok = self.call("create", "POST", "/authors", 201, body, u.token)
        if ok:
            got = content_of(r.js.get("author"))
            if got != c or r.js.get("message") != "new author created":
                STATS.add("bad_body", ("create", short(r)))
                return
            aid = r.js["author"]["id"]
            if aid in u.authors:
                STATS.add("broken", "create for %s answered id %d, which "
                          "it had already handed out" % (u.name, aid))
                return
            u.authors[aid] = Author(aid, c, r)
        elif r.label() in TRANSIENT:
            u.pending[c.name] = c
            u.dirty = True
            STATS.bump("unknown_writes")

    def update(self, u, a):
        c = self.fresh()
        body = {"name": c.name, "book": c.book, "country": c.country,
                "booker_prize": c.booker}
        r, ok = self.call("update", "PUT", "/authors/%d" % a.id, 200, body,
                          u.token)
        if ok:
            got = content_of(r.js.get("author"))
            if got != c or r.js["author"]["id"] != a.id:
                STATS.add("bad_body", ("update", short(r)))
                return
            a.cands = {c}
            a.wrote(r, c)
        elif r.label() in TRANSIENT:
            a.cands.add(c)
            a.wrote(r, c)
            u.dirty = True
            STATS.bump("unknown_writes")
        elif r.status == 404:
            STATS.add("broken", "PUT /authors/%d of %s: 404, but it was "
                      "promised present" % (a.id, u.name))

    def delete(self, u, a):
        r, ok = self.call("delete", "DELETE", "/authors/%d" % a.id, 200,
                          token=u.token)
        if ok:
            if r.js.get("message") != "Author deleted":
                STATS.add("bad_body", ("delete", short(r)))
            a.cands = {ABSENT}
            a.wrote(r, ABSENT)
        elif r.label() in TRANSIENT:
            a.cands.add(ABSENT)
            a.wrote(r, ABSENT)
            u.dirty = True
            STATS.bump("unknown_writes")
        elif r.status == 404:
            STATS.add("broken", "DELETE /authors/%d of %s: 404, but it was "
                      "promised present" % (a.id, u.name))

    def get(self, u, a):
        r, ok = self.call("get", "GET", "/authors/%d" % a.id, 200,
                          token=u.token)
        if ok:
            got = content_of(r.js.get("author"))
            if got is None or r.js["author"]["id"] != a.id:
                STATS.add("bad_body", ("get", short(r)))
            elif got not in a.cands:
                STATS.add("broken", "GET /authors/%d of %s: %r, promised "
                          "%r" % (a.id, u.name, got, a.cands))
        elif r.status == 404:
            STATS.add("broken", "GET /authors/%d of %s: 404, but it was "
                      "promised present" % (a.id, u.name))

    def list(self, u, op="list"):
        """GET /authors: must agree with every promise; settles every open
        question of u.  Returns whether it got its answer."""
        r, ok = self.call(op, "GET", "/authors?limit=1000", 200,
                          token=u.token)
        if not ok:
            return False
        rows = r.js.get("list_of_authors")
        if not isinstance(rows, list):
            STATS.add("bad_body", (op, short(r)))
            return False
        seen = {}
        last = 0
        for row in rows:
            c = content_of(row)
            if c is None:
                STATS.add("bad_body", (op, short(r)))
                return False
            if row["id"] <= last:
                STATS.add("broken", "list of %s not in id order" % u.name)
            last = row["id"]
            seen[row["id"]] = c
        for aid, a in u.authors.items():
            state = seen.pop(aid, ABSENT)
            if state not in a.cands:
                STATS.add("broken", "list of %s: author %d is %r, promised "
                          "%r" % (u.name, aid, state, a.cands))
            a.cands = {state}
        for aid, c in seen.items():
            if u.pending.get(c.name) == c:
                del u.pending[c.name]
                u.authors[aid] = Author(aid, c)
                STATS.bump("settled_present")
            else:
                STATS.add("broken", "list of %s shows author %d %r that no "
                          "request of it created" % (u.name, aid, c))
                u.authors[aid] = Author(aid, c)
        # Creates of unknown outcome that are not there were never made.
        STATS.bump("settled_absent", len(u.pending))
        u.pending.clear()
        u.dirty = False
        return True

    # -- the mix

    def step(self):
        users = [u for u in self.users if u.state == "present"]
        # Up to 4 users soon, then a new one now and then to the end (so
        # registrations run beside the other writes, and some come after
        # the backup).
        x = self.rnd.random()
        if not users or (len(self.users) < 4 and x < 0.02) or \
                (len(self.users) < 64 and x > 0.997):
            self.register()
            return
        u = self.rnd.choice(users)
        if u.token is None or self.rnd.random() < 0.04:
            self.login(u)
            return
        if u.dirty:
            self.list(u)
            return
        present = [a for a in u.authors.values() if a.present()]
        x = self.rnd.random()
        if not present or (len(present) < 30 and x < 0.35):
            self.create(u)
        elif x < 0.55 or (len(present) >= 30 and x < 0.7):
            self.update(u, self.rnd.choice(present))
        elif x < 0.7 or len(present) >= 30:
            self.delete(u, self.rnd.choice(present))
        elif x < 0.85:
            self.list(u)
        else:
            self.get(u, self.rnd.choice(present))

    def run(self):
        try:
            while time.monotonic() < self.deadline and \
                    not self.stop.is_set():
                self.step()
        except Exception:
            STATS.add("crashed", traceback.format_exc())

    def settle(self):
        """After the load: settle every open question (a list per user
        that has one), a few tries each."""
        for u in self.users:
            if u.state != "present":
                continue
            tries = 0
            while (u.dirty or u.token is None) and tries < 10:
                tries += 1
                if u.token is None:
                    self.login(u)
                    continue
                if not self.list(u, op="settle-list"):
                    time.sleep(0.2)
        self.conn.close()


# ------------------------------------------------------------------ races

RACE_USERS = {}  # name -> public_id of the one 201
RACE_AUTHORS = {}  # owner name -> {Content of each winning create}


def race(n, method, path, body_of, token=None):
    """n threads, each with its own open connection, released together;
    their replies."""
    barrier = threading.Barrier(n, timeout=60)
    replies = [None] * n

    def racer(i):
        c = Conn()
        try:
            c.open()
        except OSError as e:
            replies[i] = Reply(err="conn", why=str(e))
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            if replies[i] is None:
                replies[i] = Reply(err="conn", why="barrier broken")
            return
        if replies[i] is None:
            replies[i] = c.request(method, path, body_of(i), token)
        c.close()

    threads = [threading.Thread(target=racer, args=(i,), daemon=True)
               for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT + 60)
    return [r if r is not None else Reply(err="conn", why="no answer")
            for r in replies]


def race_verdict(replies, code):
    """(one 201 and the rest 409 with error CODE, the winner's index,
    a summary)."""
    labels = collections.Counter(r.label() for r in replies)
    wins = [i for i, r in enumerate(replies)
            if r.err is None and r.status == 201 and isinstance(r.js, dict)]
    lost = [r for r in replies
            if r.err is None and r.status == 409 and isinstance(r.js, dict)
            and r.js.get("error") == code]
    good = len(wins) == 1 and len(lost) == len(replies) - 1
    summary = ", ".join("%s: %d" % kv for kv in sorted(labels.items()))
    return good, (wins[0] if wins else None), summary


def run_races():
    conn = Conn()
    for rnd in range(RACE_ROUNDS):
        name = "%s-race-u%d" % (TAG, rnd)
        replies = race(RACERS, "POST", "/register",
                       lambda i: {"name": name, "password": PASSWORD})
        for r in replies:
            STATS.count("race-register", r)
        good, w, summary = race_verdict(replies, "name_taken")
        if w is not None:
            RACE_USERS[name] = replies[w].js.get("public_id")
        TAP.ok(good, "%d racing registrations of one name: one 201, the "
               "rest 409 name_taken (%s)" % (RACERS, summary),
               [short(r) for r in replies if r.status not in (201, 409)])
    if RACE_ROUNDS == 0:
        return
    owner = "%s-race-owner" % TAG
    r = conn.request("POST", "/register",
                     {"name": owner, "password": PASSWORD})
    STATS.count("register", r)
    if r.status != 201 or not isinstance(r.js, dict):
        TAP.ok(False, "register the owner of the author races",
               [short(r)])
        return
    RACE_USERS[owner] = r.js.get("public_id")
    r = conn.request("GET", "/login", basic=(owner, PASSWORD))
    STATS.count("login", r)
    if r.status != 200 or not isinstance(r.js, dict) or \
            "token" not in r.js:
        TAP.ok(False, "log in as the owner of the author races", [short(r)])
        return
    token = r.js["token"]
    conn.close()
    RACE_AUTHORS[owner] = set()
    for rnd in range(RACE_ROUNDS):
        same = "name" if rnd % 2 == 0 else "book"
        if same == "name":
            def body_of(i, rnd=rnd):
                return {"name": "%s race %d" % (TAG, rnd),
                        "book": "%s race book %d-%d" % (TAG, rnd, i),
                        "country": "Nowhere"}
        else:
            def body_of(i, rnd=rnd):
                return {"name": "%s race %d-%d" % (TAG, rnd, i),
                        "book": "%s race book %d" % (TAG, rnd),
                        "country": "Nowhere"}
        replies = race(RACERS, "POST", "/authors", body_of, token)
        for r in replies:
            STATS.count("race-create", r)
        good, w, summary = race_verdict(replies, "author_exists")
        if w is not None:
            c = content_of(replies[w].js.get("author"))
            b = body_of(w)
            if c != Content(b["name"], b["book"], b["country"], False):
                good = False
                summary += "; the 201 shows %r" % (c,)
            RACE_AUTHORS[owner].add(c)
        TAP.ok(good, "%d racing creates of one author %s by one user: one "
               "201, the rest 409 author_exists (%s)" % (RACERS, same,
                                                         summary),
               [short(r) for r in replies if r.status not in (201, 409)])


# ----------------------------------------------------------------- killer


def read_pid(name):
    try:
        with open(os.path.join(RUN_DIR, name + ".pid")) as f:
            pids = f.read().split()
        return [int(p) for p in pids if p.isdigit()]
    except OSError:
        return []


def alive(pid):
    """pid runs and is no zombie."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("State:"):
                    return "Z" not in line.split()[1]
    except OSError:
        return False
    return False


def children(pid):
    """The live children of pid, from /proc/PID/task/*/children."""
    out = set()
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return []
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, t)) as f:
                out.update(int(p) for p in f.read().split())
        except OSError:
            pass
    return sorted(p for p in out if alive(p))


class Killer(threading.Thread):
    def __init__(self, supervisors, stop):
        super().__init__(name="killer", daemon=True)
        self.supervisors = supervisors  # name -> pid
        self.stop = stop
        self.rnd = random.Random(SEED ^ 0x5eed)
        self.kills = collections.Counter()
        self.misses = 0  # no live worker to kill at that moment
        self.errors = []

    def run(self):
        try:
            while not self.stop.wait(self.rnd.uniform(KILL_MIN, KILL_MAX)
                                     / 1000.0):
                name = self.rnd.choice(RESPONDERS)
                workers = children(self.supervisors[name])
                if not workers:
                    self.misses += 1
                    continue
                pid = self.rnd.choice(workers)
                if not alive(pid):
                    self.misses += 1
                    continue
                try:
                    os.kill(pid, signal.SIGKILL)
                    self.kills[name] += 1
                except ProcessLookupError:
                    self.misses += 1
        except Exception:
            self.errors.append(traceback.format_exc())


def restart_lines(name):
    try:
        with open(os.path.join(LOG_DIR, name + ".log"), "rb") as f:
            return sum(1 for line in f if b"restarting" in line)
    except OSError:
        return 0


# --------------------------------------------------------------- database


def check_database(clients):
    """Compare the database with every promise; TAP tests."""
    try:
        db = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(DB),
                             uri=True, timeout=10)
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
        users = {row[0]: (row[1], row[2]) for row in db.execute(
            "SELECT name, id, public_id FROM users")}
        rows = db.execute(
            "SELECT a.id, u.name, a.name, a.book, a.country, a.booker_prize"
            " FROM authors a JOIN users u ON u.id = a.user_id").fetchall()
        nauthors = db.execute("SELECT count(*) FROM authors").fetchone()[0]
        db.close()
    except sqlite3.Error as e:
        TAP.ok(False, "open %s read-only and read it" % DB, [str(e)])
        return 0, 0
    TAP.ok(integrity == [("ok",)], "PRAGMA integrity_check is ok",
           [repr(r) for r in integrity])
    TAP.ok(fk == [], "PRAGMA foreign_key_check finds nothing",
           [repr(r) for r in fk])

    # Users: every 201 there with its public_id, nothing we did not ask for.
    wrong = []
    expected = {}  # name -> public_id or None (outcome unknown)
    for c in clients:
        for u in c.users:
            expected[u.name] = u.public_id if u.state == "present" else None
    expected.update(RACE_USERS)
    unknown_users = sum(1 for v in expected.values() if v is None)
    promised_users = len(expected) - unknown_users
    for name, pid in expected.items():
        if pid is None:
            continue
        if name not in users:
            wrong.append("user %s answered 201 but is missing" % name)
        elif users[name][1] != pid:
            wrong.append("user %s has public_id %s, answered %s"
                         % (name, users[name][1], pid))
    for name in users:
        if name not in expected:
            wrong.append("user %r in the database: nobody registered it"
                         % name)
    found_users = sum(1 for n in users if n in expected)
    TAP.ok(not wrong, "users: %d promised, %d more of unknown outcome, %d "
           "found, each promised one with its public_id, none extra"
           % (promised_users, unknown_users, found_users), wrong)

    # Authors.
    by_user = collections.defaultdict(dict)
    for aid, uname, name, book, country, booker in rows:
        by_user[uname][aid] = Content(name, book, country, bool(booker))
    wrong = []
    promised = found = uncertain = 0
    deleted = 0
    for c in clients:
        for u in c.users:
            have = dict(by_user.pop(u.name, {}))
            nrows = len(have)
            if u.state != "present":
                if have:
                    wrong.append("user %s (register outcome unknown, never "
                                 "used) owns %d authors" % (u.name,
                                                            len(have)))
                continue
            want = 0
            for aid, a in u.authors.items():
                state = have.pop(aid, ABSENT)
                if a.present():
                    promised += 1
                    want += 1
                elif a.certain():
                    deleted += 1
                else:
                    uncertain += 1
                if state is not ABSENT:
                    found += 1
                if state not in a.cands:
                    if a.certain():
                        wrong.append("author %d of %s: %s, promised %s" % (
                            aid, u.name,
                            "absent" if state is ABSENT else repr(state),
                            "deleted" if ABSENT in a.cands
                            else repr(next(iter(a.cands)))))
                    else:
                        wrong.append("author %d of %s: %r, not one of the "
                                     "possible %r" % (aid, u.name, state,
                                                      a.cands))
            pend = dict(u.pending)
            uncertain += len(pend)
            for aid, content in have.items():
                if pend.get(content.name) == content:
                    del pend[content.name]
                    found += 1
                else:
                    found += 1
                    wrong.append("author %d of %s %r: no 2xx or unknown "
                                 "request made it" % (aid, u.name, content))
            if not u.pending and \
                    all(a.certain() for a in u.authors.values()) and \
                    nrows != want:
                wrong.append("%s owns %d authors, promised %d"
                             % (u.name, nrows, want))
    for owner, winners in RACE_AUTHORS.items():
        have = set(by_user.pop(owner, {}).values())
        promised += len(winners)
        found += len(have)
        if have != winners:
            wrong.append("race owner %s has %r, the 201s promised %r"
                         % (owner, sorted(have), sorted(winners)))
    for uname, have in by_user.items():
        found += len(have)
        wrong.append("%d authors of %s, whom no client knows"
                     % (len(have), uname))
    TAP.ok(not wrong and found == nauthors,
           "authors: %d rows promised, %d found, %d deleted ones absent, %d "
           "of unknown outcome; every promised row with its exact content, "
           "counts per user as promised, none extra"
           % (promised, found, deleted, uncertain), wrong)
    return promised, found


# ------------------------------------------------------------------ backup


class Backup(threading.Thread):
    """library-admin backup FILE, started `at` (time.monotonic()) while the
    clients write; t0 and t1 bound the moment of its snapshot."""

    def __init__(self, start, at, stop):
        super().__init__(name="backup", daemon=True)
        self.began, self.at = start, at
        self.stop = stop
        self.t0 = self.t1 = None
        self.rc = None
        self.out = ""

    def run(self):
        if self.stop.wait(max(0.0, self.at - time.monotonic())):
            return
        self.t0 = time.monotonic()
        try:
            p = subprocess.run([ADMIN, "backup", BACKUP_FILE],
                               capture_output=True, timeout=300)
            self.rc = p.returncode
            self.out = (p.stdout + p.stderr).decode("utf-8", "replace")
        except (OSError, subprocess.TimeoutExpired) as e:
            self.out = "%s: %s" % (type(e).__name__, e)
        self.t1 = time.monotonic()


def shown(state):
    return "absent" if state is ABSENT else repr(state)


def read_db(path):
    """(integrity_check rows, {name: public_id}, {user name: {author id:
    Content}}) of the database at path, opened read-only."""
    db = sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(path),
                         uri=True, timeout=10)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        users = dict(db.execute("SELECT name, public_id FROM users"))
        by_user = collections.defaultdict(dict)
        for aid, uname, name, book, country, booker in db.execute(
                "SELECT a.id, u.name, a.name, a.book, a.country,"
                " a.booker_prize FROM authors a"
                " JOIN users u ON u.id = a.user_id"):
            by_user[uname][aid] = Content(name, book, country, bool(booker))
    finally:
        db.close()
    return integrity, users, by_user


def check_backup(clients, b):
    """The copy passes integrity_check and holds every row acknowledged
    before the backup started (and not written again before it ended);
    TAP tests.  The copy's content, or None."""
    TAP.ok(b.rc == 0 and b.t0 is not None,
           "library-admin backup under write load exited 0 (%s s into the "
           "load, took %.2f s)" % (
               "%.1f" % (b.t0 - b.began) if b.t0 else "?",
               (b.t1 - b.t0) if b.t0 and b.t1 else 0),
           [b.out])
    if b.rc != 0:
        return None
    try:
        integrity, users, by_user = read_db(BACKUP_FILE)
    except sqlite3.Error as e:
        TAP.ok(False, "open the backup %s read-only" % BACKUP_FILE, [str(e)])
        return None
    TAP.ok(integrity == [("ok",)], "the backup passes PRAGMA "
           "integrity_check", [repr(r) for r in integrity])
    wrong = []
    known = dict(RACE_USERS)
    must = dict(RACE_USERS)
    for c in clients:
        for u in c.users:
            known[u.name] = u.public_id
            if u.state == "present" and u.acked < b.t0:
                must[u.name] = u.public_id
    for name, pid in must.items():
        if users.get(name) != pid:
            wrong.append("user %s (201 before the backup) is %s in it" % (
                name, "missing" if name not in users else
                "public_id %s, not %s" % (users[name], pid)))
    for name in users:
        if name not in known:
            wrong.append("user %r in the backup: nobody registered it"
                         % name)
    present = absent = moved = later = 0
    have_all = {n: dict(r) for n, r in by_user.items()}
    for c in clients:
        for u in c.users:
            have = have_all.pop(u.name, {})
            for aid, a in u.authors.items():
                row = have.pop(aid, ABSENT)
                before = [i for i, e in enumerate(a.hist) if e[1] < b.t0]
                if before:
                    i = before[-1]
                    state = a.hist[i][2]
                    if i + 1 == len(a.hist) or a.hist[i + 1][0] > b.t1:
                        # Acknowledged before, untouched until after.
                        if row != state:
                            wrong.append(
                                "author %d of %s in the backup: %s, its "
                                "state when the backup began %s" % (
                                    aid, u.name, shown(row), shown(state)))
                        elif state is ABSENT:
                            absent += 1
                        else:
                            present += 1
                        continue
                    moved += 1
                else:
                    later += 1
                states = {e[2] for e in a.hist}
                if UNKNOWN not in states and row not in states | {ABSENT}:
                    wrong.append("author %d of %s in the backup: %s, never "
                                 "one of its states" % (aid, u.name,
                                                        shown(row)))
            for aid, row in have.items():
                wrong.append("author %d of %s in the backup %r: no 2xx "
                             "made it" % (aid, u.name, row))
    for owner, winners in RACE_AUTHORS.items():
        got = set(have_all.pop(owner, {}).values())
        present += len(winners)
        if got != winners:
            wrong.append("race owner %s has %r in the backup, the 201s "
                         "promised %r" % (owner, sorted(got),
                                          sorted(winners)))
    for uname, rows in have_all.items():
        wrong.append("%d authors of %s in the backup, whom no client "
                     "knows" % (len(rows), uname))
    TAP.ok(not wrong, "the backup holds the %d users and %d authors "
           "acknowledged before it began (and %d deletes), nothing never "
           "written; not checked: %d authors written while it ran, %d "
           "created later" % (len(must), present, absent, moved, later),
           wrong)
    return users, by_user


def restore_and_serve(clients, b, copy):
    """library-admin restore FILE with the servers running, then the API
    must serve the restored data: users of the backup log in and list
    exactly their rows of the backup, users registered after it are
    gone, and a new write works.  (name, Content, id) of that write."""
    users, by_user = copy
    try:
        p = subprocess.run([ADMIN, "restore", BACKUP_FILE],
                           capture_output=True, timeout=300)
        rc, out = p.returncode, (p.stdout + p.stderr).decode("utf-8",
                                                              "replace")
    except (OSError, subprocess.TimeoutExpired) as e:
        rc, out = None, "%s: %s" % (type(e).__name__, e)
    if not TAP.ok(rc == 0, "library-admin restore FILE with the API "
                  "running exited 0", [out]):
        return None
    rnd = random.Random(SEED ^ 0xbac)
    mine = [u for c in clients for u in c.users if u.state == "present"]
    kept = [u.name for u in mine if u.name in users]
    kept = rnd.sample(kept, min(16, len(kept))) + list(RACE_AUTHORS)
    gone = [u.name for u in mine if u.acked > b.t1 and u.name not in users]
    gone = rnd.sample(gone, min(8, len(gone)))
    conn = Conn()
    wrong = []
    token = None
    for name in kept:
        r = conn.request("GET", "/login", basic=(name, PASSWORD))
        if r.status != 200 or not isinstance(r.js, dict) or \
                not isinstance(r.js.get("token"), str):
            wrong.append("login of %s after the restore: %s"
                         % (name, short(r)))
            continue
        tok = r.js["token"]
        r = conn.request("GET", "/authors?limit=1000", token=tok)
        rows = r.js.get("list_of_authors") if isinstance(r.js, dict) \
            else None
        if r.status != 200 or not isinstance(rows, list):
            wrong.append("list of %s after the restore: %s"
                         % (name, short(r)))
            continue
        got = {row.get("id"): content_of(row) for row in rows
               if isinstance(row, dict)}
        if got != by_user.get(name, {}):
            wrong.append("list of %s after the restore: %d rows, the "
                         "backup has %d (or other content)" % (
                             name, len(got), len(by_user.get(name, {}))))
        token = (name, tok)
    for name in gone:
        r = conn.request("GET", "/login", basic=(name, PASSWORD))
        if r.status != 401:
            wrong.append("login of %s (registered after the backup) after "
                         "the restore: %s, not 401" % (name, short(r)))
    made = None
    if token is not None:
        c = Content("%s after the restore" % TAG, "%s restored" % TAG,
                    "Nowhere", True)
        r = conn.request("POST", "/authors", {
            "name": c.name, "book": c.book, "country": c.country,
            "booker_prize": c.booker}, token[1])
        if r.status == 201 and isinstance(r.js, dict) and \
                content_of(r.js.get("author")) == c:
            made = (token[0], c, r.js["author"]["id"])
        else:
            wrong.append("a create after the restore: %s" % short(r))
    conn.close()
    TAP.ok(not wrong and made is not None,
           "after the restore the API serves the backup: %d users log in "
           "and list exactly their rows of it, %d registered after it are "
           "gone (401), a create works" % (len(kept), len(gone)), wrong)
    return made


def check_restored(copy, made):
    """With the servers stopped: the database is the backup plus the one
    write made after the restore."""
    users, by_user = copy
    try:
        integrity, now_users, now_by = read_db(DB)
    except sqlite3.Error as e:
        TAP.ok(False, "open %s read-only after the restore" % DB, [str(e)])
        return
    want = {n: dict(r) for n, r in by_user.items()}
    if made is not None:
        want.setdefault(made[0], {})[made[2]] = made[1]
    now = {n: r for n, r in now_by.items() if r}
    want = {n: r for n, r in want.items() if r}
    diff = ["user %s: %d rows, want %d" % (n, len(now.get(n, {})),
                                          len(want.get(n, {})))
            for n in sorted(set(now) | set(want))
            if now.get(n) != want.get(n)]
    TAP.ok(integrity == [("ok",)] and now_users == users and not diff,
           "after the restore the database passes integrity_check and "
           "holds exactly the backup's %d users and %d authors (and the "
           "one new)" % (len(users), sum(len(r) for r in by_user.values())),
           [repr(r) for r in integrity if r != ("ok",)] +
           (["users differ: %d now, %d in the backup" % (len(now_users),
                                                         len(users))]
            if now_users != users else []) + diff)


# ------------------------------------------------------------------- main


def stop_servers():
    try:
        p = subprocess.run(["sh", STOP], capture_output=True, timeout=120)
        TAP.note(p.stdout.decode("utf-8", "replace") +
                 p.stderr.decode("utf-8", "replace"))
        return p.returncode == 0
    except subprocess.TimeoutExpired:
        TAP.note("%s did not finish in 120 s" % STOP)
        return False


def print_figures(elapsed, kills, restarts, promised, found):
    st = STATS.statuses()
    five = sum(n for k, n in st.items() if k[:1] == "5")
    TAP.note("figures (%s, %s): %d requests, %d clients, %.1f s, %.0f/s; "
             "kills %d, restarts %d; 5xx %d; connection errors %d; rows "
             "promised %d, found %d; writes of unknown outcome %d (settled: "
             "%d made, %d not made); seed %d"
             % (MODE, SERVER, STATS.requests, CLIENTS, elapsed,
                STATS.requests / elapsed if elapsed > 0 else 0, kills,
                restarts, five, st.get("conn-error", 0), promised, found,
                STATS.unknown_writes, STATS.settled_present,
                STATS.settled_absent, SEED))
    TAP.note("per status: " + ", ".join(
        "%s %d" % kv for kv in sorted(st.items())))
    for op in sorted(STATS.by_op):
        t = sorted(STATS.secs[op])
        TAP.note("  %-14s %s; ms p50 %.0f, p99 %.0f, max %.0f" % (
            op, ", ".join("%s %d" % kv
                          for kv in sorted(STATS.by_op[op].items())),
            1000 * t[len(t) // 2], 1000 * t[len(t) * 99 // 100],
            1000 * t[-1]))


def main():
    TAP.note("mode %s on %s, %s: %d clients for %d s, seed %d, tag %s"
             % (MODE, SERVER, URL, CLIENTS, SECONDS, SEED, TAG))
    supervisors = {}
    recorded = {}
    if RUN_DIR:
        for name in RESPONDERS:
            recorded[name] = read_pid(name)
    if MODE == "kill":
        for name in RESPONDERS:
            pids = recorded[name]
            if len(pids) != 1 or not alive(pids[0]):
                TAP.bail("%s/%s.pid must hold one live supervisor pid, "
                         "holds %r" % (RUN_DIR, name, pids))
            supervisors[name] = pids[0]
        waited = wait_workers(supervisors, 30)
        TAP.ok(all(len(w) == WORKERS for w in waited.values()),
               "each supervisor runs %d workers before the test (%s)"
               % (WORKERS, ", ".join("%s %s" % (n, waited[n])
                                     for n in RESPONDERS)))
        before = {n: restart_lines(n) for n in RESPONDERS}
    else:
        run_races()

    stop = threading.Event()
    start = time.monotonic()
    deadline = start + SECONDS
    clients = [Client(i, deadline, stop) for i in range(CLIENTS)]
    killer = None
    if MODE == "kill":
        killer = Killer(supervisors, stop)
        killer.start()
    backup = None
    if BACKUP:
        backup = Backup(start, start + SECONDS / 2.0, stop)
        backup.start()
    for c in clients:
        c.start()
    for c in clients:
        c.join(max(1.0, deadline - time.monotonic()) + TIMEOUT + 30)
    if backup is not None:
        # Let it finish (it began mid-load unless the clients died early).
        backup.join(330)
    stop.set()
    late = [c.name for c in clients if c.is_alive()]
    elapsed = time.monotonic() - start
    kills = restarts = 0
    if killer is not None:
        killer.join(10)
        kills = sum(killer.kills.values())
        TAP.ok(kills > 0 and not killer.errors,
               "the killer sent SIGKILL to %d workers (%s; %d times none "
               "to pick)" % (kills, ", ".join(
                   "%s %d" % (n, killer.kills[n]) for n in RESPONDERS),
                   killer.misses), killer.errors)
    TAP.ok(not late and not STATS.crashed,
           "every client thread finished in time without an exception",
           late + STATS.crashed)

    if MODE == "kill":
        # Back to full strength, one restart logged per kill.
        waited = wait_workers(supervisors, 60)
        deadline_r = time.monotonic() + 30
        while time.monotonic() < deadline_r:
            got = {n: restart_lines(n) - before[n] for n in RESPONDERS}
            if all(got[n] >= killer.kills[n] for n in RESPONDERS):
                break
            time.sleep(0.2)
        got = {n: restart_lines(n) - before[n] for n in RESPONDERS}
        restarts = sum(got.values())
        sup_ok = {n: alive(p) for n, p in supervisors.items()}
        TAP.ok(all(sup_ok.values()) and
               all(len(w) == WORKERS for w in waited.values()),
               "every supervisor lived and is back to %d workers (%s)"
               % (WORKERS, ", ".join("%s %d" % (n, len(waited[n]))
                                     for n in RESPONDERS)),
               ["%s supervisor %d alive: %s" % (n, supervisors[n], sup_ok[n])
                for n in RESPONDERS])
        TAP.ok(all(got[n] == killer.kills[n] for n in RESPONDERS),
               "one 'restarting' log line per kill: %d lines, %d kills (%s)"
               % (restarts, kills, ", ".join(
                   "%s %d/%d" % (n, got[n], killer.kills[n])
                   for n in RESPONDERS)))
        # Every open question settled now that nothing is killed.
        for c in clients:
            c.settle()
    elif recorded and any(recorded.values()):
        dead = ["%s %d" % (n, p) for n, pids in recorded.items()
                for p in pids if not alive(p)]
        TAP.ok(not dead, "every responder process lived through the load "
               "(%d processes)" % sum(len(p) for p in recorded.values()),
               dead)

    st = STATS.statuses()
    five = {k: n for k, n in st.items() if k[:1] == "5"}
    if MODE == "load":
        TAP.ok(not five, "no 5xx answer in %d requests" % STATS.requests,
               ["%s: %d" % kv for kv in sorted(five.items())] +
               ["%s %s %s" % u for u in STATS.unexpected
                if u[1][:1] == "5"])
    cut = [u for u in STATS.unexpected if "cut" in u[1]]
    TAP.ok(not cut and not STATS.bad_body,
           "every 2xx body complete (Content-Length), JSON, with the "
           "expected keys and content (%d cut, %d wrong)"
           % (len(cut), len(STATS.bad_body)),
           ["%s %s %s" % u for u in cut] +
           ["%s %s" % b for b in STATS.bad_body])
    allowed = "the documented success" + \
        (", 502, 503 or a connection error" if TRANSIENT else "")
    TAP.ok(not STATS.unexpected,
           "every answer was %s (%d others)" % (allowed,
                                                len(STATS.unexpected)),
           ["%s %s %s" % u for u in STATS.unexpected])
    TAP.ok(not STATS.broken, "every read and answer agreed with what "
           "earlier answers promised", STATS.broken)

    made = copy = None
    if backup is not None:
        # The promises first (nothing writes now), then the backup, then
        # the restore while the API runs, as an operator would.
        promised, found = check_database(clients)
        copy = check_backup(clients, backup)
        if copy is not None:
            made = restore_and_serve(clients, backup, copy)
    if not stop_servers():
        TAP.ok(False, "stop the servers with %s" % STOP)
    if backup is None:
        promised, found = check_database(clients)
    elif copy is not None:
        check_restored(copy, made)
    print_figures(elapsed, kills, restarts, promised, found)
    return TAP.done()


def wait_workers(supervisors, seconds):
    """Wait until each supervisor has WORKERS live children (or time is
    up); name -> their pids."""
    deadline = time.monotonic() + seconds
    while True:
        got = {n: children(p) for n, p in supervisors.items()}
        if all(len(w) == WORKERS for w in got.values()) or \
                time.monotonic() > deadline:
            return got
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
