#!/usr/bin/env python3
"""End-to-end test of library-api's HTTP contract, printing TAP.

Run by tests/e2e/nginx.test, which starts the responders behind a private
nginx and exports:

  LIBRARY_API_URL      http://127.0.0.1:PORT (loopback only; anything else
                       is refused)
  LIBRARY_ADMIN        path of the admin CLI (library-admin)
  LIBRARY_DB           the SQLite database the responders use
  LIBRARY_SECRET_FILE  the HMAC key file: one raw key (its bytes less one
                       trailing newline, key id "0") or a key set
                       ("library-api-keys 1", then "KID SECRET" lines, the
                       last signs); read again whenever a token is forged,
                       since the key rotation section rewrites it
  LIBRARY_CONF         the configuration file
  LIBRARY_CGI_BIN      folder with the responder binaries
  LIBRARY_LOG_DIR      folder with the servers' logs (optional)
  E2E_SERVER           the deployment under test (nginx, lighttpd-cgi,
                       apache-fcgid, apache-cgi): see SERVER_PAGES
  SHARED_DIR           folder holding JSONTestSuite/ (optional)

The responders are expected to run with LIBRARY_CLOCK_LEEWAY=0 and login
throttling out of the way (LIBRARY_LOGIN_MAX_FAILURES and
LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS 100000, set by nginx.test); the
throttle is tested by running the login and users responders as CGI with
their own limits and documentation addresses (192.0.2.x, used only as
REMOTE_ADDR strings).

Standard library only. Requests are written byte for byte on raw sockets so
that repeated headers, NUL bytes and wrong Content-Length can be sent.
Most tests are rows of (description, method, path, headers, body,
expected status, expected JSON fragments[, options]).

Exit status: 0 when every test passed, 1 otherwise.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import re
import select
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid

# --------------------------------------------------------------------- TAP


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = []

    @staticmethod
    def _clean(desc):
        # '#' starts a TAP directive; keep descriptions on one line.
        desc = desc.replace("#", "No.").replace("\r", " ").replace("\n", " ")
        return desc

    def ok(self, cond, desc, diag=()):
        self.n += 1
        desc = self._clean(desc)
        if cond:
            print("ok %d - %s" % (self.n, desc))
        else:
            print("not ok %d - %s" % (self.n, desc))
            self.failed.append((self.n, desc))
            for line in diag:
                for part in str(line).splitlines() or [""]:
                    print("# " + part)
        sys.stdout.flush()
        return bool(cond)

    def skip(self, desc, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, self._clean(desc),
                                         self._clean(reason)))
        sys.stdout.flush()

    def note(self, text):
        for part in str(text).splitlines():
            print("# " + part)
        sys.stdout.flush()

    def bail(self, why):
        print("Bail out! " + self._clean(why))
        sys.stdout.flush()
        sys.exit(1)


TAP = Tap()

# ------------------------------------------------------------- environment

URL = os.environ.get("LIBRARY_API_URL", "")
ADMIN = os.environ.get("LIBRARY_ADMIN", "")
DB = os.environ.get("LIBRARY_DB", "")
SECRET_FILE = os.environ.get("LIBRARY_SECRET_FILE", "")
CONF = os.environ.get("LIBRARY_CONF", "")
CGI_BIN = os.environ.get("LIBRARY_CGI_BIN", "")
LOG_DIR = os.environ.get("LIBRARY_LOG_DIR", "")
SERVER = os.environ.get("E2E_SERVER", "")
SHARED_DIR = os.environ.get("SHARED_DIR", "")

if not URL:
    TAP.bail("LIBRARY_API_URL is not set (run through tests/e2e/nginx.test)")
_u = urllib.parse.urlsplit(URL)
if _u.scheme != "http" or _u.hostname != "127.0.0.1" or not _u.port:
    TAP.bail("LIBRARY_API_URL must be http://127.0.0.1:PORT, got %r" % URL)
HOST = "127.0.0.1"
PORT = _u.port
HOSTPORT = ("%s:%d" % (HOST, PORT)).encode("ascii")
PREFIX = _u.path.rstrip("/")  # normally ""

if not SECRET_FILE or not os.path.isfile(SECRET_FILE):
    TAP.bail("LIBRARY_SECRET_FILE is not a readable file: %r" % SECRET_FILE)
KEYSET_HEADER = b"library-api-keys 1\n"


def load_keys():
    """The key file as [(kid, secret bytes)], oldest first (the last
    signs): a key set, or one raw key with kid "0"."""
    with open(SECRET_FILE, "rb") as f:
        data = f.read()
    if data.startswith(KEYSET_HEADER):
        out = []
        for line in data[len(KEYSET_HEADER):].split(b"\n"):
            if not line:
                continue
            kid, _, sec = line.partition(b" ")
            out.append((kid.decode("ascii"), sec))
        return out
    if data.endswith(b"\n"):
        data = data[:-1]
    return [("0", data)]


def key_for(header):
    """The secret for a header's kid in the key file as it is now, else
    the signing key."""
    ks = load_keys()
    if isinstance(header, dict) and isinstance(header.get("kid"), str):
        for kid, sec in ks:
            if kid == header["kid"]:
                return sec
    return ks[-1][1]


KEY = load_keys()[-1][1]    # the signing key at the start (kid "0")

RNG = random.SystemRandom()
SFX = "%08x" % RNG.getrandbits(32)     # unique per run
REJ = "e2e-rej-" + SFX                  # marks values that must be refused

ISSUED = set()      # every token the server issued during the run
PASSWORDS = set()   # every password sent
BASICS = set()      # every Basic credential (base64) sent
RESPONSES = []      # (desc, method, path, Resp) of every HTTP exchange
EXTRA_OUTPUT = []   # (label, bytes) output of subprocesses, searched too


def rand_alnum(n):
    abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(RNG.choice(abc) for _ in range(n))


_counter = [0]


def seq():
    _counter[0] += 1
    return _counter[0]


def uname(tag):
    """A unique, valid name for this run."""
    return "e2e-%s-%s-%d" % (tag, SFX, seq())


def rej(tag=""):
    """A unique value that the server must refuse to store (the request
    carrying it is invalid for another reason)."""
    return "%s-%d%s" % (REJ, seq(), tag)


def mkpw(n=None, prefix=""):
    """A password: random, so that finding it in a log means a leak."""
    if n is None:
        pw = "pw-%s-%s" % (SFX, rand_alnum(12))
    else:
        pw = prefix + rand_alnum(n - len(prefix.encode("utf-8")))
    PASSWORDS.add(pw)
    return pw


def pad(prefix, ch, ncp):
    """prefix followed by ch up to ncp code points."""
    return prefix + ch * (ncp - len(prefix))


def jtext(v, ascii_only=False):
    return json.dumps(v, ensure_ascii=ascii_only).encode("utf-8")


def short(b, n=400):
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogatepass")
    if len(b) > n:
        return repr(b[:n]) + "... (%d bytes)" % len(b)
    return repr(b)


# -------------------------------------------------------------------- HTTP


class Resp:
    def __init__(self):
        self.status = None
        self.reason = ""
        self.headers = []     # (lower-case name, value)
        self.body = b""
        self.error = None     # transport problem, or None
        self.json = None
        self.json_ok = False
        self.json_error = ""
        self.method = ""
        self.path = ""

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return None

    def header_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k == name]

    @property
    def ctype(self):
        return self.header("content-type")


def _dechunk(data):
    """Decode a chunked body; None when incomplete."""
    out = []
    pos = 0
    while True:
        j = data.find(b"\r\n", pos)
        if j < 0:
            return None
        try:
            size = int(data[pos:j].split(b";")[0].strip(), 16)
        except ValueError:
            raise ValueError("bad chunk size line %r" % data[pos:j][:40])
        pos = j + 2
        if size == 0:
            return b"".join(out)
        if len(data) < pos + size + 2:
            return None
        out.append(data[pos:pos + size])
        pos += size + 2


def _parse(buf, eof, r, method):
    """Fill r from buf; return True when complete (or at EOF)."""
    i = buf.find(b"\r\n\r\n")
    if i < 0:
        if eof:
            r.error = "connection closed before the end of the headers " \
                      "(got %s)" % short(buf, 200)
            return True
        return False
    head = buf[:i].decode("latin-1")
    rest = buf[i + 4:]
    lines = head.split("\r\n")
    m = re.match(r"HTTP/\d\.\d (\d{3})(?: (.*))?$", lines[0])
    if not m:
        r.error = "bad status line %r" % lines[0][:100]
        return True
    status = int(m.group(1))
    if 100 <= status < 200:
        # An interim response: skip it.
        return _parse(rest, eof, r, method)
    r.status = status
    r.reason = m.group(2) or ""
    r.headers = []
    for line in lines[1:]:
        k, _, v = line.partition(":")
        r.headers.append((k.strip().lower(), v.strip()))
    te = r.header("transfer-encoding")
    cl = r.header("content-length")
    if method == "HEAD" or status in (204, 304):
        r.body = b""
        return True
    if te and "chunked" in te.lower():
        try:
            body = _dechunk(rest)
        except ValueError as e:
            r.error = str(e)
            r.body = rest
            return True
        if body is None:
            if eof:
                r.error = "connection closed inside a chunked body"
                r.body = rest
                return True
            return False
        r.body = body
        return True
    if cl is not None:
        try:
            n = int(cl)
        except ValueError:
            r.error = "bad Content-Length %r" % cl
            return True
        if len(rest) < n:
            if eof:
                r.error = "body cut: %d of %d bytes" % (len(rest), n)
                r.body = rest
                return True
            return False
        r.body = rest[:n]
        return True
    if not eof:
        return False
    r.body = rest
    return True


def _b(v):
    if isinstance(v, bytes):
        return v
    return str(v).encode("utf-8")


def build(method, path, headers=(), body=None, content_length="auto",
          chunked=False):
    """Request head and payload as bytes."""
    lines = [_b(method) + b" " + _b(PREFIX + path) + b" HTTP/1.1"]
    have = {k.lower() for k, _ in headers}
    if "host" not in have:
        lines.append(b"Host: " + HOSTPORT)
    for k, v in headers:
        lines.append(_b(k) + b": " + _b(v))
    if "connection" not in have:
        lines.append(b"Connection: close")
    payload = b""
    if body is not None and chunked:
        lines.append(b"Transfer-Encoding: chunked")
        parts = []
        step = 4000 if chunked is True else chunked  # or a chunk size
        for i in range(0, len(body), step):
            piece = body[i:i + step]
            parts.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
        parts.append(b"0\r\n\r\n")
        payload = b"".join(parts)
    elif body is not None:
        cl = len(body) if content_length == "auto" else content_length
        if cl is not None:
            lines.append(b"Content-Length: %d" % cl)
        payload = body
    elif content_length not in ("auto", None):
        lines.append(b"Content-Length: %d" % content_length)
    elif method.upper() in ("POST", "PUT") and content_length == "auto":
        # As curl -d '', Postman and browsers do: lighttpd refuses a POST
        # without a length (411, RFC 9110 section 15.5.12).
        lines.append(b"Content-Length: 0")
    return b"\r\n".join(lines) + b"\r\n\r\n", payload


def exchange(head, payload, method, early=False, timeout=20.0):
    """Send one request on a fresh connection, read one response.
    early: send the head first and the payload only if no answer comes
    within a second (for bodies nginx refuses from Content-Length)."""
    r = Resp()
    try:
        s = socket.create_connection((HOST, PORT), timeout=timeout)
    except OSError as e:
        r.error = "connect failed: %s" % e
        return r
    try:
        try:
            if early and payload:
                s.sendall(head)
                ready, _, _ = select.select([s], [], [], 1.0)
                if not ready:
                    s.sendall(payload)
            else:
                s.sendall(head + payload)
        except OSError:
            pass  # the server may have answered and closed already
        buf = b""
        deadline = time.time() + timeout
        while True:
            if _parse(buf, False, Resp(), method):
                _parse(buf, False, r, method)
                break
            if time.time() > deadline:
                r.error = "timeout after %.0f s (got %s)" % (timeout,
                                                               short(buf, 200))
                break
            try:
                data = s.recv(65536)
            except socket.timeout:
                r.error = "timeout after %.0f s (got %s)" % (timeout,
                                                               short(buf, 200))
                break
            except OSError as e:
                if buf:
                    _parse(buf, True, r, method)
                    if r.error is None and r.status is not None:
                        break
                r.error = "receive failed: %s" % e
                break
            if not data:
                _parse(buf, True, r, method)
                break
            buf += data
    finally:
        s.close()
    if r.status is not None and r.error is None:
        try:
            r.json = json.loads(r.body.decode("utf-8"),
                                parse_constant=_no_constants)
            r.json_ok = True
        except (ValueError, UnicodeDecodeError) as e:
            r.json_error = str(e)
    return r


def _no_constants(name):
    raise ValueError("non-JSON constant %s" % name)


def enc_body(body):
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return jtext(body)


DEFAULT_CT = "application/json"


# Limits a web server enforces before any configuration a deployment can
# bring along is read, so that its own error page answers, with the right
# status but as HTML: Apache reads a folder's .htaccess only after the
# request line and headers, so a header field or request line over its
# LimitRequestFieldSize / LimitRequestLine (8 KiB, in the server's
# configuration: out of a shared-hosting user's reach) gets Apache's 400 or
# 414 page. A row marked server_limit=True accepts that page, for these
# servers and statuses only, when it is non-empty and not JSON-looking
# garbage; everything else about the response is still checked.
SERVER_PAGES = {"apache-fcgid": (400, 414), "apache-cgi": (400, 414)}


def api(method, path, headers=(), body=None, ct=DEFAULT_CT,
        content_length="auto", chunked=False, early=False, desc="",
        timeout=20.0, server_limit=False):
    headers = list(headers)
    body = enc_body(body)
    if body is not None and ct is not None and \
            not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", ct))
    for k, v in headers:
        if k.lower() == "authorization" and isinstance(v, str) and \
                v[:6].lower() == "basic ":
            BASICS.add(v[6:].strip())
    head, payload = build(method, path, headers, body, content_length,
                          chunked)
    r = exchange(head, payload, method, early=early, timeout=timeout)
    r.method = method
    r.path = path
    r.server_page = server_limit and not r.error and \
        r.status in SERVER_PAGES.get(SERVER, ()) and not r.json_ok and \
        (r.ctype or "").lower().startswith("text/html") and \
        b"<title>%d " % r.status in r.body
    RESPONSES.append((desc, method, path, r))
    if r.status == 200 and r.json_ok and isinstance(r.json, dict) and \
            isinstance(r.json.get("token"), str):
        ISSUED.add(r.json["token"])
    return r


# ------------------------------------------------------------------ checks

MISSING = object()


class P:
    """A named predicate on a JSON value or header value."""

    def __init__(self, desc, fn):
        self.desc = desc
        self.fn = fn

    def __call__(self, v):
        try:
            return bool(self.fn(v))
        except Exception:
            return False

    def __repr__(self):
        return self.desc


UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                     r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
IS_UUID = P("a UUID string", lambda v: isinstance(v, str) and
            UUID_RE.match(v))
POS_INT = P("a positive JSON integer", lambda v: type(v) is int and v > 0)
NONEMPTY_STR = P("a non-empty string", lambda v: isinstance(v, str) and v)
ABSENT = P("absent", lambda v: v is MISSING)


def keys(*ks):
    s = set(ks)
    return P("an object with exactly the keys %s" % sorted(s),
             lambda v: isinstance(v, dict) and set(v) == s)


def starts(prefix):
    return P("a string starting with %r" % prefix,
             lambda v: isinstance(v, str) and v.startswith(prefix))


def list_len(n):
    return P("a list of %d items" % n,
             lambda v: isinstance(v, list) and len(v) == n)


def allow_has(*methods):
    want = {m.upper() for m in methods}

    def fn(v):
        got = {m.strip().upper() for m in v.split(",") if m.strip()}
        return want <= got
    return P("an Allow list including %s" % ", ".join(sorted(want)), fn)


def allow_lacks(method):
    def fn(v):
        got = {m.strip().upper() for m in v.split(",") if m.strip()}
        return method.upper() not in got
    return P("an Allow list without %s" % method, fn)


def get_path(j, path):
    if path == "$":
        return j
    cur = j
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and \
                int(part) < len(cur):
            cur = cur[int(part)]
        else:
            return MISSING
    return cur


def match(v, exp):
    if isinstance(exp, P):
        return exp(v)
    if isinstance(exp, type):
        if exp is int:
            return type(v) is int
        if exp is bool:
            return type(v) is bool
        return isinstance(v, exp)
    return type(v) is type(exp) and v == exp


def show(v):
    if v is MISSING:
        return "(missing)"
    if isinstance(v, type):
        return "any %s" % v.__name__
    try:
        s = json.dumps(v, ensure_ascii=True)
    except (TypeError, ValueError):
        s = repr(v)
    return s if len(s) < 300 else s[:300] + "..."


def std_problems(r):
    """What every response must satisfy (JSON, error shape, headers)."""
    probs = []
    if r.error:
        probs.append("transport: " + r.error)
        return probs
    if getattr(r, "server_page", False):
        return probs  # the web server's own page (see SERVER_PAGES)
    ct = r.ctype
    if ct is None or not ct.lower().startswith("application/json"):
        probs.append("Content-Type is %r, not application/json" % ct)
    if not r.json_ok:
        probs.append("body is not JSON (%s)" % r.json_error)
        return probs
    j = r.json
    if r.status is not None and r.status >= 400:
        if not isinstance(j, dict) or set(j) != {"error", "message"}:
            probs.append('error body is not {"error","message"}')
        else:
            if not isinstance(j["error"], str) or not j["error"] or \
                    re.search(r"\s", j["error"]):
                probs.append('"error" is not a stable code string')
            if not isinstance(j["message"], str):
                probs.append('"message" is not a string')
        if r.status == 401 and isinstance(j, dict) and \
                j.get("message") == "token is invalid":
            wa = r.header("www-authenticate")
            if wa is None or not wa.startswith("Bearer"):
                probs.append("401 token is invalid without WWW-Authenticate "
                             "Bearer (got %r)" % wa)
        if r.status == 405 and not r.header("allow"):
            probs.append("405 without an Allow header")
    if b"$y$" in r.body:
        probs.append("body contains a yescrypt hash marker $y$")
    return probs


def statuses(status):
    if isinstance(status, (tuple, list, set, frozenset)):
        return tuple(status)
    return (status,)


def expect(desc, r, status, checks=None, hdrs=None, extra=()):
    """One TAP test on one response."""
    probs = []
    want = statuses(status)
    if r.status not in want:
        probs.append("status")
    probs += std_problems(r)
    if r.json_ok and checks:
        for path, exp in checks.items():
            v = get_path(r.json, path)
            if not match(v, exp):
                probs.append("%s: expected %s, got %s" % (
                    path, exp if isinstance(exp, P) else show(exp),
                    show(v)))
    if hdrs:
        for name, exp in hdrs.items():
            v = r.header(name)
            ok = exp(v) if isinstance(exp, P) else v == exp
            if not ok:
                probs.append("header %s: expected %r, got %r" % (name, exp,
                                                                  v))
    probs += list(extra)
    diag = []
    if probs:
        diag.append("%s %s: expected %s, got %s; body: %s" % (
            r.method, r.path, "/".join(str(s) for s in want), r.status,
            short(r.body)))
        diag += [p for p in probs if p != "status"]
    return TAP.ok(not probs, desc, diag)


def run_row(desc, method, path, headers=(), body=None, status=200,
            checks=None, hdrs=None, **opt):
    r = api(method, path, headers, body, desc=desc, **opt)
    expect(desc, r, status, checks, hdrs)
    return r


def run_table(rows):
    """rows: (desc, method, path, headers, body, status, checks[, opts])."""
    out = []
    for row in rows:
        desc, method, path, headers, body, status, checks = row[:7]
        opt = dict(row[7]) if len(row) > 7 else {}
        out.append(run_row(desc, method, path, headers, body, status,
                           checks, **opt))
    return out


# -------------------------------------------------------------- JWT helpers

HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
          "HS512": hashlib.sha512}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def b64u_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_decode(tok):
    h, p, s = tok.split(".")
    return json.loads(b64u_dec(h)), json.loads(b64u_dec(p)), s


def seg(obj):
    return b64u(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def forge(header, payload, key=None, hash_alg="HS256", sig=None):
    """header.payload.signature; header/payload are dicts or ready
    segments (str). Without key: the key file's secret for the header's
    kid (the signing key when it names none)."""
    h = header if isinstance(header, str) else seg(header)
    p = payload if isinstance(payload, str) else seg(payload)
    si = (h + "." + p).encode("ascii")
    if key is None:
        key = key_for(header)
    if sig is None:
        sig = b64u(hmac.new(key, si, HASHES[hash_alg]).digest())
    return h + "." + p + "." + sig


def X(tok):
    return [("x-access-tokens", tok)]


def BEARER(tok):
    return [("Authorization", "Bearer " + tok)]


def basic_value(name, pw):
    if isinstance(name, str):
        name = name.encode("utf-8")
    if isinstance(pw, str):
        pw = pw.encode("utf-8")
    v = base64.b64encode(name + b":" + pw).decode("ascii")
    BASICS.add(v)
    return "Basic " + v


def BASIC(name, pw):
    return [("Authorization", basic_value(name, pw))]


# ------------------------------------------------------------------- users


class User:
    def __init__(self, tag=None, name=None, pw=None):
        self.name = name if name is not None else uname(tag)
        self.pw = pw if pw is not None else mkpw()
        PASSWORDS.add(self.pw)
        self.public_id = None
        self.token = None
        self.created = False

    def reg_body(self):
        return {"name": self.name, "password": self.pw}


def register(u, desc, ascii_only=False):
    r = run_row(desc, "POST", "/register", (),
                jtext(u.reg_body(), ascii_only=ascii_only), 201,
                {"message": "registered successfully",
                 "public_id": IS_UUID})
    if r.status == 201 and r.json_ok and isinstance(r.json, dict):
        u.public_id = r.json.get("public_id")
        u.created = True
    return r


def login(u, desc, method="GET"):
    r = run_row(desc, method, "/login", BASIC(u.name, u.pw), None, 200,
                {"token": NONEMPTY_STR, "expires_in": POS_INT})
    if r.status == 200 and r.json_ok and isinstance(r.json, dict) and \
            isinstance(r.json.get("token"), str):
        u.token = r.json["token"]
    return r


class SetupError(Exception):
    pass


def need(cond, what):
    if not cond:
        raise SetupError(what)


A = User("a")
B = User("b")
# Users made in sec_register and used later.
PW_COLON = PW1024 = PWUTF8 = EMOJI_U = EMOJI_ESC_U = ONE_U = None
PW_BOUNDARY = []
NO_TOKEN = "no-token-available"


def tok(u):
    return u.token or NO_TOKEN


def author_checks(d, prefix="author"):
    c = {prefix: keys("id", "name", "book", "country", "booker_prize"),
         prefix + ".id": POS_INT}
    for k in ("name", "book", "country"):
        if k in d:
            c[prefix + "." + k] = d[k]
    c[prefix + ".booker_prize"] = d.get("booker_prize", False)
    return c


def new_author(tag):
    return {"name": uname("n" + tag), "book": uname("b" + tag),
            "country": "Country " + tag}


def create_author(u, d, desc, path="/authors"):
    r = run_row(desc, "POST", path, X(tok(u)), d, 201,
                dict(author_checks(d), message="new author created"))
    if r.status == 201 and r.json_ok:
        aid = get_path(r.json, "author.id")
        if type(aid) is int:
            return aid, r
    return None, r


# ============================================================== sections

def sec_register():
    global PW_COLON, PW1024, PWUTF8, EMOJI_U, EMOJI_ESC_U, ONE_U
    register(A, "register: user A -> 201 with public_id")
    register(B, "register: user B -> 201 with public_id")
    need(A.created and B.created, "users A and B could not register")
    TAP.ok(A.public_id != B.public_id, "register: public_ids differ",
           ["A %s, B %s" % (A.public_id, B.public_id)])

    ONE_U = User(name=chr(RNG.randrange(0x4E00, 0x9FFF)))
    h100 = User(name=pad("e2e-h-%s-" % SFX, "x", 100))
    e100 = User(name=pad("e2e-%s-" % SFX, "\u00e9", 100))
    EMOJI_U = User(name="".join(chr(RNG.randrange(0x1F300, 0x1F5FF))
                                for _ in range(100)))
    EMOJI_ESC_U = User(name="".join(chr(RNG.randrange(0x1F300, 0x1F5FF))
                                    for _ in range(100)))
    PW_COLON = User("colon", pw="pa:ss:word1-" + SFX)
    PW1024 = User("pw1024", pw=mkpw(1024))
    pw511 = User("pw511", pw=mkpw(511))
    pw512 = User("pw512", pw=mkpw(512))
    PW_BOUNDARY[:] = [pw511, pw512]
    PWUTF8 = User("pwutf8", pw=mkpw(8, prefix="\u00e9\u00e9"))
    pw1024u = User("pw1024u", pw=mkpw(1024, prefix="\u00e9" * 500))
    pw8 = User("pw8", pw=mkpw(8))
    for u, d in ((ONE_U, "1-code-point name"),
                 (h100, "100-character ASCII name"),
                 (e100, "100 code points of 2-byte UTF-8 (200 bytes)"),
                 (EMOJI_U, "100 emoji code points (400 bytes)"),
                 (PW_COLON, "password containing colons"),
                 (PW1024, "1024-byte password"),
                 (pw511, "511-byte password"),
                 (pw512, "512-byte password (libxcrypt's passphrase limit "
                         "is 511)"),
                 (pw1024u, "1024-byte password of 2-byte UTF-8 (524 code "
                           "points)"),
                 (PWUTF8, "8-byte password of 6 code points"),
                 (pw8, "8-byte password")):
        register(u, "register: %s -> 201" % d)
    register(EMOJI_ESC_U, "register: 100 emoji sent as \\u surrogate-pair "
             "escapes -> 201", ascii_only=True)

    dup = User(name=A.name)
    n101 = pad(REJ + "-101-", "x", 101)
    e101 = pad(REJ + "-", "\u00e9", 101)
    emoji101 = "".join(chr(RNG.randrange(0x1F300, 0x1F5FF))
                       for _ in range(101))
    R = "/register"
    rows = [
        ("register: same name again -> 409", "POST", R, (),
         {"name": A.name, "password": dup.pw}, 409, None),
        ("register: 101-character name -> 400", "POST", R, (),
         {"name": n101, "password": mkpw()}, 400, None),
        ("register: name with a colon (Basic cannot carry it) -> 400",
         "POST", R, (), {"name": REJ + ":colon", "password": mkpw()}, 400,
         {"error": "invalid_field"}),
        ("register: 101 code points of 2-byte UTF-8 -> 400", "POST", R, (),
         {"name": e101, "password": mkpw()}, 400, None),
        ("register: 101 emoji -> 400", "POST", R, (),
         {"name": emoji101, "password": mkpw()}, 400, None),
        ("register: empty name -> 400", "POST", R, (),
         {"name": "", "password": mkpw()}, 400, None),
        ("register: blank name (spaces) -> 400", "POST", R, (),
         {"name": "   ", "password": mkpw()}, 400, None),
        ("register: blank name (tab, newline) -> 400", "POST", R, (),
         {"name": " \t\n ", "password": mkpw()}, 400, None),
        ("register: 7-byte password -> 400", "POST", R, (),
         {"name": rej(), "password": mkpw(7)}, 400, None),
        ("register: 7-byte password of 4 code points -> 400", "POST", R, (),
         {"name": rej(), "password": mkpw(7, prefix="\u00e9\u00e9\u00e9")},
         400, None),
        ("register: 1025-byte password -> 400", "POST", R, (),
         {"name": rej(), "password": mkpw(1025)}, 400, None),
        ("register: 1025-byte password of 525 code points -> 400", "POST",
         R, (), {"name": rej(),
                 "password": mkpw(1025, prefix="\u00e9" * 500)}, 400, None),
        ("register: empty password -> 400", "POST", R, (),
         {"name": rej(), "password": ""}, 400, None),
        ("register: missing password -> 400", "POST", R, (),
         {"name": rej()}, 400, None),
        ("register: missing name -> 400", "POST", R, (),
         {"password": mkpw()}, 400, None),
        ("register: empty object -> 400", "POST", R, (), {}, 400, None),
        ("register: password is a number -> 400", "POST", R, (),
         {"name": rej(), "password": 1234567890}, 400, None),
        ("register: password is null -> 400", "POST", R, (),
         {"name": rej(), "password": None}, 400, None),
        ("register: password is an array -> 400", "POST", R, (),
         {"name": rej(), "password": [mkpw()]}, 400, None),
        ("register: name is a number -> 400", "POST", R, (),
         {"name": 5, "password": mkpw()}, 400, None),
        ("register: name is null -> 400", "POST", R, (),
         {"name": None, "password": mkpw()}, 400, None),
        ("register: unknown key admin:true -> 400", "POST", R, (),
         {"name": rej(), "password": mkpw(), "admin": True}, 400, None),
        ("register: unknown key public_id -> 400", "POST", R, (),
         {"name": rej(), "password": mkpw(),
          "public_id": "00000000-0000-4000-8000-000000000000"}, 400, None),
        ("register: \\u0000 in the password -> 400", "POST", R, (),
         b'{"name":' + jtext(rej()) + b',"password":"abcd\\u0000efghij"}',
         400, None),
    ]
    run_table(rows)


def sec_login():
    r1 = login(A, "login: GET /login with Basic -> 200 token")
    need(A.token, "user A could not log in")
    tok1 = A.token
    r2 = login(A, "login: POST /login with Basic -> 200 token", "POST")
    login(B, "login: user B -> 200")
    need(B.token, "user B could not log in")

    # Claims and expires_in.
    try:
        h, p, _ = jwt_decode(tok1)
        probs = []
        if h.get("alg") != "HS256":
            probs.append("header alg %r" % h.get("alg"))
        if p.get("public_id") != A.public_id:
            probs.append("public_id %r, registered %r" % (
                p.get("public_id"), A.public_id))
        for c in ("iat", "exp"):
            if type(p.get(c)) is not int:
                probs.append("%s is %r, not an integer" % (c, p.get(c)))
        for c in ("jti", "iss"):
            if not isinstance(p.get(c), str) or not p.get(c):
                probs.append("%s is %r, not a non-empty string" % (
                    c, p.get(c)))
        if not probs and abs(p["iat"] - time.time()) > 120:
            probs.append("iat %d is not now" % p["iat"])
        TAP.ok(not probs, "login: token is HS256 with public_id, iat, exp, "
               "jti, iss", ["header %s" % h, "claims %s" % p] + probs)
        ei = r1.json.get("expires_in") if r1.json_ok else None
        TAP.ok(type(ei) is int and type(p.get("exp")) is int and
               type(p.get("iat")) is int and ei == p["exp"] - p["iat"],
               "login: expires_in equals the token's exp - iat",
               ["expires_in %r, exp %r, iat %r" % (ei, p.get("exp"),
                                                   p.get("iat"))])
        j2 = jwt_decode(A.token)[1].get("jti")
        TAP.ok(j2 != p.get("jti"), "login: two logins get different jti",
               ["jti %r and %r" % (p.get("jti"), j2)])
    except Exception as e:
        TAP.ok(False, "login: token decodes as a JWT", ["%r" % e,
                                                        short(tok1)])

    fail = {"message": "could not verify"}
    fhdr = {"www-authenticate": 'Basic realm="login required"'}
    L = "/login"
    wrong = api("GET", L, BASIC(A.name, A.pw + "x"),
                desc="login: wrong password")
    expect("login: wrong password -> 401 could not verify", wrong, 401,
           fail, fhdr)
    unknown = api("GET", L, BASIC(uname("ghost"), A.pw),
                  desc="login: unknown user")
    expect("login: unknown user -> 401 could not verify", unknown, 401,
           fail, fhdr)

    TAP.ok(wrong.status == unknown.status and wrong.body == unknown.body and
           hset(wrong) == hset(unknown),
           "login: unknown user and wrong password get the same status, "
           "body and headers",
           ["wrong password: %s %s %s" % (wrong.status, short(wrong.body),
                                          hset(wrong)),
            "unknown user:   %s %s %s" % (unknown.status,
                                          short(unknown.body),
                                          hset(unknown))])

    nocolon = "Basic " + base64.b64encode(A.name.encode()).decode()
    BASICS.add(nocolon[6:])
    rows = [
        ("login: Basic without a colon -> 401", "GET", L,
         [("Authorization", nocolon)], None, 401, fail, {"hdrs": fhdr}),
        ("login: Basic value not base64 -> 401", "GET", L,
         [("Authorization", "Basic !!!not*base64$$")], None, 401, fail,
         {"hdrs": fhdr}),
        ("login: Basic with nothing after it -> 401", "GET", L,
         [("Authorization", "Basic ")], None, 401, fail, {"hdrs": fhdr}),
        ("login: other scheme (Bearer x) -> 401", "GET", L,
         [("Authorization", "Bearer x")], None, 401, fail, {"hdrs": fhdr}),
        ("login: no Authorization header -> 401", "GET", L, (), None, 401,
         fail, {"hdrs": fhdr}),
        ("login: empty password -> 401", "GET", L, BASIC(A.name, ""), None,
         401, fail, {"hdrs": fhdr}),
        ("login: empty name -> 401", "GET", L, BASIC("", A.pw), None, 401,
         fail, {"hdrs": fhdr}),
        ("login: NUL byte in the name -> 401", "GET", L,
         BASIC(A.name.encode() + b"\x00", A.pw), None, 401, fail,
         {"hdrs": fhdr}),
        ("login: SQL wildcard _ in place of A's last character -> 401",
         "GET", L, BASIC(A.name[:-1] + "_", A.pw), None, 401, fail,
         {"hdrs": fhdr}),
        ("login: SQL wildcard % after A's name prefix -> 401", "GET", L,
         BASIC(A.name[:-1] + "%", A.pw), None, 401, fail, {"hdrs": fhdr}),
        ("login: SQL injection in the name -> 401", "GET", L,
         BASIC("' OR '1'='1' --", A.pw), None, 401, fail, {"hdrs": fhdr}),
        ("login: A's name with a trailing space -> 401", "GET", L,
         BASIC(A.name + " ", A.pw), None, 401, fail, {"hdrs": fhdr}),
        ("login: A's name with B's password -> 401", "GET", L,
         BASIC(A.name, B.pw), None, 401, fail, {"hdrs": fhdr}),
        ("login: 3000-byte password -> 401", "GET", L,
         BASIC(A.name, mkpw(3000)), None, 401, fail, {"hdrs": fhdr}),
        ("login: 9 KiB Authorization header -> 400/401/431 JSON", "GET", L,
         BASIC(A.name, mkpw(7000)), None, (400, 401, 431), None,
         {"server_limit": True}),
        ("login: Authorization header twice -> 400/401 JSON", "GET", L,
         BASIC(A.name, A.pw) + BASIC(A.name, A.pw), None, (400, 401), None),
    ]
    run_table(rows)
    for u, d in ((PW_COLON, "password with colons"),
                 (PW1024, "1024-byte password"),
                 (PW_BOUNDARY[0] if PW_BOUNDARY else None,
                  "511-byte password"),
                 (PW_BOUNDARY[1] if PW_BOUNDARY else None,
                  "512-byte password"),
                 (PWUTF8, "UTF-8 password"),
                 (EMOJI_U, "100-emoji name"),
                 (ONE_U, "1-code-point name")):
        if u is not None and u.created:
            login(u, "login: %s -> 200" % d)
        else:
            TAP.ok(False, "login: %s -> 200" % d, ["user was not "
                                                   "registered"])


def sec_tokens():
    need(A.token and B.token, "no tokens to work with")
    h, p, sig = jwt_decode(A.token)
    hseg, pseg = A.token.split(".")[:2]
    iss = p.get("iss")
    now = int(time.time())
    ISS_VALUE[0] = iss
    OK = {"list_of_authors": list}
    INV = {"message": "token is invalid"}
    G = "/authors"

    def claims(**kw):
        c = dict(p)
        c["jti"] = str(uuid.uuid4())
        for k, v in kw.items():
            if v is MISSING:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    good = forge(h, claims())
    positive = [
        ("token: A's token in x-access-tokens -> 200", X(A.token)),
        ("token: A's token as Authorization Bearer -> 200",
         BEARER(A.token)),
        ("token: re-signed copy of A's claims (control for the forgeries) "
         "via x-access-tokens -> 200", X(good)),
        ("token: re-signed copy of A's claims via Bearer -> 200",
         BEARER(good)),
    ]
    rows = [(d, "GET", G, hd, None, 200, OK) for d, hd in positive]
    rows.append(("token: none sent -> 401 a valid token is missing", "GET",
                 G, (), None, 401, {"message": "a valid token is missing"}))

    other_key = os.urandom(48)
    forged = []
    for alg in ("none", "None", "NONE", "nOnE"):
        hh = seg(dict(h, alg=alg))
        forged.append(('alg "%s", empty signature' % alg,
                       hh + "." + pseg + "."))
        forged.append(('alg "%s", original signature' % alg,
                       hh + "." + pseg + "." + sig))
    forged += [
        ('alg "hs256" (lowercase) re-signed with the real key',
         forge(dict(h, alg="hs256"), claims())),
        ("HS384 re-signed with the real key",
         forge(dict(h, alg="HS384"), claims(), hash_alg="HS384")),
        ("HS512 re-signed with the real key",
         forge(dict(h, alg="HS512"), claims(), hash_alg="HS512")),
        ("RS256 header, HMAC-SHA256 signature with the real key",
         forge(dict(h, alg="RS256"), claims())),
        ("RS256 header, original signature",
         seg(dict(h, alg="RS256")) + "." + pseg + "." + sig),
        ("no alg in the header, signed with the real key",
         forge({k: v for k, v in h.items() if k != "alg"}, claims())),
        ("no kid in the header, signed with the real key",
         forge({k: v for k, v in h.items() if k != "kid"}, claims(),
               key=KEY)),
        ('kid "999" (no such key), signed with the real key',
         forge(dict(h, kid="999"), claims(), key=KEY)),
        ("kid the number 0, signed with the real key",
         forge(dict(h, kid=0), claims(), key=KEY)),
        ('kid "../secret", signed with the real key',
         forge(dict(h, kid="../secret"), claims(), key=KEY)),
        ('jti "x" (not a UUID), real key', forge(h, claims(jti="x"))),
        ("jti missing, real key", forge(h, claims(jti=MISSING))),
        ("nbf an hour ahead, real key",
         forge(h, claims(nbf=now + 3600))),
        ('nbf as a string, real key', forge(h, claims(nbf=str(now - 10)))),
        ('aud "other" (no audience configured), real key',
         forge(h, claims(aud="other"))),
        ('aud ["other"] (array form, no audience configured), real key',
         forge(h, claims(aud=["other"]))),
        ("payload changed to B's public_id, A's signature kept",
         hseg + "." + seg(dict(p, public_id=B.public_id)) + "." + sig),
        ('signature stripped ("header.payload.")',
         hseg + "." + pseg + "."),
        ('signature stripped ("header.payload")', hseg + "." + pseg),
        ("signature of another token (B's)",
         hseg + "." + pseg + "." + B.token.split(".")[2]),
        ("signed with another secret", forge(h, claims(), key=other_key)),
        ("signed with the key plus a trailing newline",
         forge(h, claims(), key=KEY + b"\n")),
        ("expired (exp in the past), real key",
         forge(h, claims(iat=now - 3600, exp=now - 60))),
        ('exp as a string "9999999999", real key',
         forge(h, claims(exp="9999999999"))),
        ("exp missing, real key", forge(h, claims(exp=MISSING))),
        ("exp null, real key", forge(h, claims(exp=None))),
        ("iat far in the future, real key",
         forge(h, claims(iat=now + 10 * 365 * 86400,
                         exp=now + 10 * 365 * 86400 + 1800))),
        ('iss "evil", real key', forge(h, claims(iss="evil"))),
        ("iss missing, real key", forge(h, claims(iss=MISSING))),
        ("unknown public_id, real key",
         forge(h, claims(public_id="0badc0de-0000-4000-8000-%012x" %
                         RNG.getrandbits(48)))),
        ("public_id missing, real key",
         forge(h, claims(public_id=MISSING))),
        ("public_id a number, real key", forge(h, claims(public_id=1))),
        ("header is a JSON array, real key",
         forge(b64u(b"[]"), claims())),
        ("four segments", A.token + ".x"),
        ("token with a trailing space inside the value", A.token + " x"),
        ("garbage word", "garbage"),
        ("garbage a.b.c", "a.b.c"),
        ("garbage dots", "...."),
        ("garbage JSON text", '{"public_id":"%s"}' % A.public_id),
        ("garbage base64 segments", "eyJ.eyJ.eyJ"),
        ("5 KiB garbage token", "eyJ" + rand_alnum(5 * 1024)),
        ("padded base64 signature",
         hseg + "." + pseg + "." + sig + "="),
    ]
    for d, t in forged:
        rows.append(("token: %s (x-access-tokens) -> 401" % d, "GET", G,
                     X(t), None, 401, INV))
        rows.append(("token: %s (Bearer) -> 401" % d, "GET", G, BEARER(t),
                     None, 401, INV))
    big = "eyJ" + rand_alnum(9 * 1024)
    rows += [
        ("token: 9 KiB token (x-access-tokens) -> 401 or JSON 400/431",
         "GET", G, X(big), None, (400, 401, 431), None,
         {"server_limit": True}),
        ("token: 9 KiB token (Bearer) -> 401 or JSON 400/431", "GET", G,
         BEARER(big), None, (400, 401, 431), None, {"server_limit": True}),
        ("token: empty Bearer -> 401", "GET", G,
         [("Authorization", "Bearer ")], None, 401, None),
        ("token: Basic credentials instead of a token -> 401", "GET", G,
         BASIC(A.name, A.pw), None, 401, None),
        ("token: Authorization without a scheme -> 401", "GET", G,
         [("Authorization", A.token)], None, 401, None),
        # Ambiguous credentials: whatever is answered, never a 5xx.
        ("token: x-access-tokens twice (A's, garbage) -> 200/400/401",
         "GET", G, X(A.token) + X("garbage"), None, (200, 400, 401), None),
        ("token: x-access-tokens twice (garbage, A's) -> 200/400/401",
         "GET", G, X("garbage") + X(A.token), None, (200, 400, 401), None),
        ("token: Authorization twice -> 400/401", "GET", G,
         BEARER(A.token) + BEARER(A.token), None, (400, 401), None),
    ]
    resps = run_table(rows)

    # A's and B's tokens sent together: if accepted, the answer is one
    # user's list, never a mix.
    r = api("GET", G, BEARER(A.token) + X(B.token), desc="mixed tokens")
    expect("token: Bearer A and x-access-tokens B -> 200/400/401", r,
           (200, 400, 401), None)
    del resps


ISS_VALUE = [None]


# Settings passed on from the harness to responders run as CGI.
CGI_PASS = ("LIBRARY_ISSUER", "LIBRARY_PASSWORD_COST", "LIBRARY_AUDIENCE",
            "LIBRARY_CLOCK_LEEWAY", "LIBRARY_LOGIN_MAX_FAILURES",
            "LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS", "LIBRARY_LOGIN_WINDOW")


def run_cgi(prog, method, script, desc, auth=None, token=None, body=None,
            remote="127.0.0.1", settings=None):
    """Run CGI_BIN/prog once as a CGI program (RFC 3875) against the
    harness's database and key file. settings: LIBRARY_* overrides.
    Returns a Resp (status None and error set when it did not run); it is
    added to RESPONSES like an HTTP exchange."""
    r = Resp()
    r.method = method
    r.path = script + " (CGI %s)" % prog
    path = os.path.join(CGI_BIN, prog) if CGI_BIN else ""
    if not path or not os.access(path, os.X_OK):
        r.error = "no executable %r (LIBRARY_CGI_BIN)" % path
        return r
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": script,
        "QUERY_STRING": "",
        "REMOTE_ADDR": remote,
        "LIBRARY_DB": DB,
        "LIBRARY_SECRET_FILE": SECRET_FILE,
        "LIBRARY_CONF": CONF,
    }
    for k in CGI_PASS:
        if os.environ.get(k):
            env[k] = os.environ[k]
    env.update(settings or {})
    if auth is not None:
        env["HTTP_AUTHORIZATION"] = auth
        if auth[:6].lower() == "basic ":
            BASICS.add(auth[6:].strip())
    if token is not None:
        env["HTTP_X_ACCESS_TOKENS"] = token
    data = enc_body(body)
    if data is not None:
        env["CONTENT_LENGTH"] = str(len(data))
        env["CONTENT_TYPE"] = "application/json"
    try:
        pr = subprocess.run([path], env=env, input=data or b"",
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        r.error = repr(e)
        return r
    # stdout may hold a token: only stderr is searched for leaks.
    EXTRA_OUTPUT.append(("CGI %s stderr" % prog, pr.stderr))
    r.returncode = pr.returncode
    r.stdout = pr.stdout
    r.stderr = pr.stderr
    out = pr.stdout
    cands = [(i, n) for i, n in ((out.find(b"\r\n\r\n"), 4),
                                 (out.find(b"\n\n"), 2)) if i >= 0]
    if not cands:
        r.error = "no blank line after the CGI headers (exit %d): %s" % (
            pr.returncode, short(out))
        return r
    sep, seplen = min(cands)
    for line in out[:sep].decode("latin-1").replace("\r\n", "\n") \
            .split("\n"):
        k, _, v = line.partition(":")
        r.headers.append((k.strip().lower(), v.strip()))
    st = r.header("status")
    try:
        r.status = int(st.split()[0])
        r.reason = st.split(" ", 1)[1] if " " in st else ""
    except (AttributeError, ValueError, IndexError):
        r.error = "no Status header (got %r)" % st
        return r
    r.body = out[sep + seplen:]
    try:
        r.json = json.loads(r.body.decode("utf-8"),
                            parse_constant=_no_constants)
        r.json_ok = True
    except (ValueError, UnicodeDecodeError) as e:
        r.json_error = str(e)
    if pr.returncode != 0 and r.error is None:
        r.error = "exit status %d" % pr.returncode
    RESPONSES.append((desc, method, r.path, r))
    if r.status == 200 and r.json_ok and isinstance(r.json, dict) and \
            isinstance(r.json.get("token"), str):
        ISSUED.add(r.json["token"])
    return r


def cgi_diag(r):
    return ["CGI %s: status %s, headers %s, body %s, error %s, stderr %s" % (
        r.path, r.status, r.headers, short(r.body), r.error,
        short(getattr(r, "stderr", b"")))]


def sec_short_token():
    r = run_cgi("login", "GET", "/login", "short token",
                auth=basic_value(A.name, A.pw),
                settings={"LIBRARY_TOKEN_LIFETIME": "1"})
    issued_at = time.time()
    token = r.json.get("token") if r.json_ok and \
        isinstance(r.json, dict) else None
    probs = []
    if r.error:
        probs.append(r.error)
    if r.status != 200:
        probs.append("Status %r" % r.status)
    ct = r.header("content-type")
    if not ct or not ct.lower().startswith("application/json"):
        probs.append("Content-Type header %r" % ct)
    if not isinstance(token, str):
        probs.append("no token in the body")
        token = None
    TAP.ok(not probs, "short token: login run as CGI with "
           "LIBRARY_TOKEN_LIFETIME=1 -> Status 200 with a token",
           probs + cgi_diag(r))
    if token is None:
        return
    try:
        _, cp, _ = jwt_decode(token)
        TAP.ok(r.json.get("expires_in") == 1 and
               cp.get("exp") - cp.get("iat") == 1,
               "short token: expires_in is 1 and exp - iat is 1",
               ["expires_in %r, claims %r" % (r.json.get("expires_in"),
                                              cp)])
    except Exception as e:
        TAP.ok(False, "short token: decodes", [repr(e)])
    r = api("GET", "/authors", X(token), desc="short token immediately")
    expect("short token: used at once -> 200 or 401 (racy, either is "
           "fine)", r, (200, 401), None)
    time.sleep(max(0.0, issued_at + 2.5 - time.time()))
    run_row("short token: 2.5 s later -> 401 token is invalid (responders "
            "run with LIBRARY_CLOCK_LEEWAY=0)", "GET",
            "/authors", X(token), None, 401, {"message": "token is invalid"})


AUTHORS_A = {}   # id -> dict, A's authors as they should be now


def sec_authors():
    need(A.token and B.token, "no tokens")
    d1 = new_author("1")
    id1, _ = create_author(A, d1, "authors: POST /authors -> 201, "
                           "booker_prize defaults to false")
    d2 = dict(new_author("2"), booker_prize=True)
    id2, _ = create_author(A, d2, "authors: POST /author (singular) with "
                           "booker_prize true -> 201", path="/author")
    need(id1 and id2, "A could not create authors")
    AUTHORS_A[id1] = d1
    AUTHORS_A[id2] = d2
    d3 = new_author("3")
    r = run_row("authors: POST via Authorization Bearer -> 201", "POST",
                "/authors", BEARER(A.token), d3, 201, author_checks(d3))
    if r.status == 201 and r.json_ok:
        AUTHORS_A[get_path(r.json, "author.id")] = d3
    TAP.ok(id2 > id1, "authors: ids increase", ["id1 %r id2 %r" % (id1,
                                                                   id2)])

    AU = "/authors"
    XA = X(A.token)
    rows = [
        ("authors: same name as an existing one -> 409", "POST", AU, XA,
         {"name": d1["name"], "book": uname("b"), "country": "X"}, 409,
         None),
        ("authors: same book as an existing one -> 409", "POST", AU, XA,
         {"name": uname("n"), "book": d1["book"], "country": "X"}, 409,
         None),
        ("authors: same name and book via /author -> 409", "POST",
         "/author", XA, d1, 409, None),
        ("authors: B may use A's name and book -> 201", "POST", AU,
         X(B.token), d1, 201, author_checks(d1)),
        ("authors: no token -> 401 a valid token is missing", "POST", AU,
         (), new_author("nt"), 401, {"message": "a valid token is missing"}),
        ("authors: bad token -> 401 token is invalid", "POST", AU,
         X("garbage"), new_author("bt"), 401,
         {"message": "token is invalid"}),
    ]
    run_table(rows)

    # Strings round-trip byte for byte.
    texts = [
        ("SQL text", "Robert'); DROP TABLE authors;--"),
        ("quotes and backslashes", 'He said "hi" \\ back\\slash \\\\ \''),
        ("emoji", "Emoji \U0001F600\U0001F389 \u2764\ufe0f"),
        ("100 code points of mixed multibyte UTF-8",
         "\u00fc" * 50 + "\u8a9e" * 49 + "\U0001F600"),
        ("leading and trailing spaces", "  spaced out  "),
        ("printf directives", "100%zu %s %n %x %d %%"),
        ("HTML", "<script>alert(1)</script>&amp;"),
        ("astral plane letters", "\U0001D49C\U0001D4B7\U00010348"),
        ("combining marks and RTL text", "e\u0301 \u05e9\u05dc\u05d5\u05dd"),
        ("emoji with joiner and variation selector",
         "\U0001F468\u200d\U0001F469\u200d\U0001F467 \u2764\ufe0f"),
    ]
    for i, (d, t) in enumerate(texts):
        body = {"name": t, "book": t + " (book %d %s)" % (i, SFX),
                "country": t[:100]}
        if len(t) > 100 or d.startswith("100"):
            body["book"] = t
            body["name"] = t
            body["country"] = t
        aid, r = create_author(A, body, "authors: round trip %s: POST -> "
                               "201 echoes it" % d)
        if aid:
            AUTHORS_A[aid] = body
            run_row("authors: round trip %s: GET returns the same bytes" % d,
                    "GET", "/authors/%d" % aid, XA, None, 200,
                    author_checks(body))
        else:
            TAP.ok(False, "authors: round trip %s: GET returns the same "
                   "bytes" % d, ["not created"])
    # Control characters (even escaped) are refused in text fields: a
    # decided rule (README, library-api(7)), it keeps logs and terminals safe.
    for d, t in (("escaped newline", "line one\nline two"),
                 ("escaped tab", "tab\there"), ("DEL", "del\x7f"),
                 ("C1 control CSI", "evil\u009b31m"),
                 ("right-to-left override", "\u202enimda"),
                 ("soft hyphen", "ad\u00admin"),
                 ("zero-width space", "ad\u200bmin"),
                 ("left-to-right mark", "admin\u200e")):
        b = new_author("ctl")
        b["name"] = t
        run_row("authors: control character (%s) in name -> 400" % d,
                "POST", AU, XA, b, 400, {"error": "invalid_field"})

    # Escaped forms decode to the same text.
    esc_name = uname("esc") + " \U0001F600"
    body = jtext({"name": esc_name, "book": uname("eb"), "country": "X"},
                 ascii_only=True)
    aid, r = None, run_row("authors: \\u escapes (surrogate pair) -> 201 "
                           "decoded", "POST", AU, XA, body, 201,
                           {"author.name": esc_name})
    if r.status == 201 and r.json_ok:
        AUTHORS_A[get_path(r.json, "author.id")] = json.loads(body)

    # Field limits.
    def lim(field, value, status, d):
        b = new_author("lim")
        if status != 201:
            b["name"] = rej()
            b["book"] = rej()
        b[field] = value
        return ("authors: %s -> %d" % (d, status), "POST", AU, XA, b, status,
                author_checks(b) if status == 201 else None)

    rows = [
        lim("name", pad(uname("l") + "-", "\u00e9", 100), 201,
            "name of 100 code points (2-byte)"),
        lim("name", pad(REJ + "-", "\u00e9", 101), 400,
            "name of 101 code points"),
        lim("name", "".join(chr(RNG.randrange(0x1F300, 0x1F5FF))
                            for _ in range(100)), 201, "name of 100 emoji"),
        lim("book", pad(uname("l") + "-", "\u8a9e", 200), 201,
            "book of 200 code points (3-byte)"),
        lim("book", pad(REJ + "-", "\u8a9e", 201), 400,
            "book of 201 code points"),
        lim("country", pad("C", "\u00e9", 100), 201,
            "country of 100 code points"),
        lim("country", pad("C", "\u00e9", 101), 400,
            "country of 101 code points"),
        lim("name", "", 400, "empty name"),
        lim("book", "", 400, "empty book"),
        lim("country", "", 400, "empty country"),
        lim("name", "    ", 400, "blank name"),
        lim("book", "\t\n", 400, "blank book"),
        lim("country", " ", 400, "blank country"),
        lim("name", 5, 400, "name is a number"),
        lim("book", 5, 400, "book is a number"),
        lim("country", ["X"], 400, "country is an array"),
        lim("name", None, 400, "name is null"),
        lim("booker_prize", "yes", 400, 'booker_prize "yes"'),
        lim("booker_prize", "true", 400, 'booker_prize "true"'),
        lim("booker_prize", 1, 400, "booker_prize 1"),
        lim("booker_prize", 0, 400, "booker_prize 0"),
        lim("booker_prize", None, 400, "booker_prize null"),
        lim("booker_prize", False, 201, "booker_prize false"),
        lim("id", 12345, 400, "unknown key id"),
        lim("user_id", 1, 400, "unknown key user_id"),
    ]
    for f in ("name", "book", "country"):
        b = new_author("miss")
        b["name"] = rej() if f != "name" else b["name"]
        b["book"] = rej() if f != "book" else b["book"]
        del b[f]
        rows.append(("authors: missing %s -> 400" % f, "POST", AU, XA, b,
                     400, None))
    for resp, row in zip(run_table(rows), rows):
        if resp.status == 201 and resp.json_ok:
            AUTHORS_A[get_path(resp.json, "author.id")] = row[4]

    # GET one and the list.
    run_row("authors: GET /authors/{id} -> 200 author", "GET",
            "/authors/%d" % id2, XA, None, 200, author_checks(d2))
    run_row("authors: GET /authors/{id} via Bearer -> 200", "GET",
            "/authors/%d" % id1, BEARER(A.token), None, 200,
            author_checks(d1))
    run_row("authors: GET /authors/{id} without token -> 401", "GET",
            "/authors/%d" % id1, (), None, 401,
            {"message": "a valid token is missing"})
    r = run_row("authors: GET /authors -> 200 list", "GET",
                "/authors?limit=1000", XA, None, 200,
                {"list_of_authors": list})
    if r.json_ok and isinstance(get_path(r.json, "list_of_authors"), list):
        lst = r.json["list_of_authors"]
        ids = [a.get("id") for a in lst if isinstance(a, dict)]
        TAP.ok(ids == sorted(ids) and len(set(ids)) == len(ids),
               "authors: list is ordered by id", ["ids %s" % ids])
        TAP.ok(set(ids) == set(AUTHORS_A),
               "authors: list holds exactly A's authors",
               ["listed %s" % sorted(ids),
                "created %s" % sorted(AUTHORS_A)])
        bad = []
        for a in lst:
            if not isinstance(a, dict) or set(a) != {"id", "name", "book",
                                                     "country",
                                                     "booker_prize"}:
                bad.append("keys %s" % (sorted(a) if isinstance(a, dict)
                                        else a))
                continue
            want = AUTHORS_A.get(a["id"])
            if want is None:
                continue
            for k in ("name", "book", "country"):
                if a[k] != want[k]:
                    bad.append("id %d %s: %r != %r" % (a["id"], k, a[k],
                                                       want[k]))
            if a["booker_prize"] is not want.get("booker_prize", False):
                bad.append("id %d booker_prize %r" % (a["id"],
                                                      a["booker_prize"]))
        TAP.ok(not bad, "authors: list items are whole authors that "
               "round-trip", bad[:20])
    else:
        TAP.ok(False, "authors: list is ordered by id", ["no list"])

    # PUT: full replace.
    P_ = "/authors/%d" % id2
    up = new_author("u2")
    r = run_row("authors: PUT without booker_prize -> 200, booker_prize "
                "back to false", "PUT", P_, XA, up, 200, author_checks(up))
    if r.status == 200:
        AUTHORS_A[id2] = up
    run_row("authors: GET after PUT shows the replacement", "GET", P_, XA,
            None, 200, dict(author_checks(up), **{"author.id": id2}))
    up2 = dict(new_author("u3"), booker_prize=True)
    r = run_row("authors: PUT with booker_prize true -> 200", "PUT", P_, XA,
                up2, 200, author_checks(up2))
    if r.status == 200:
        AUTHORS_A[id2] = up2
    r = run_row("authors: PUT with its own name and book unchanged -> 200",
                "PUT", P_, XA, dict(up2, country="Elsewhere"), 200,
                author_checks(dict(up2, country="Elsewhere")))
    if r.status == 200:
        AUTHORS_A[id2] = dict(up2, country="Elsewhere")
    rows = [
        ("authors: PUT to another author's name -> 409", "PUT", P_, XA,
         {"name": d1["name"], "book": uname("b"), "country": "X"}, 409,
         None),
        ("authors: PUT to another author's book -> 409", "PUT", P_, XA,
         {"name": uname("n"), "book": d1["book"], "country": "X"}, 409,
         None),
        ("authors: PUT missing country -> 400", "PUT", P_, XA,
         {"name": rej(), "book": rej()}, 400, None),
        ("authors: PUT missing name -> 400", "PUT", P_, XA,
         {"book": rej(), "country": "X"}, 400, None),
        ("authors: PUT unknown key id -> 400", "PUT", P_, XA,
         dict(name=rej(), book=rej(), country="X", id=id1), 400, None),
        ("authors: PUT booker_prize \"yes\" -> 400", "PUT", P_, XA,
         dict(name=rej(), book=rej(), country="X", booker_prize="yes"), 400,
         None),
        ("authors: PUT empty body -> 400", "PUT", P_, XA, b"", 400, None),
        ("authors: PUT absent id -> 404", "PUT", "/authors/999999999", XA,
         new_author("abs"), 404, None),
        ("authors: PUT id 2^63-1 -> 404", "PUT",
         "/authors/9223372036854775807", XA, new_author("max"), 404, None),
        ("authors: PUT without token -> 401", "PUT", P_, (),
         new_author("nt"), 401, {"message": "a valid token is missing"}),
        ("authors: GET absent id -> 404", "GET", "/authors/999999999", XA,
         None, 404, None),
        ("authors: DELETE absent id -> 404 author does not exist",
         "DELETE", "/authors/999999999", XA, None, 404,
         {"message": "author does not exist"}),
        ("authors: DELETE without token -> 401", "DELETE", P_, (), None,
         401, {"message": "a valid token is missing"}),
    ]
    run_table(rows)
    run_row("authors: author intact after refused PUTs", "GET", P_, XA,
            None, 200, author_checks(AUTHORS_A[id2]))

    # DELETE.
    d4 = new_author("del")
    id4, _ = create_author(A, d4, "authors: POST one to delete -> 201")
    if id4:
        D = "/authors/%d" % id4
        run_table([
            ("authors: DELETE -> 200 Author deleted", "DELETE", D, XA, None,
             200, {"message": "Author deleted"}),
            ("authors: DELETE again -> 404 author does not exist", "DELETE",
             D, XA, None, 404, {"message": "author does not exist"}),
            ("authors: GET deleted -> 404", "GET", D, XA, None, 404, None),
            ("authors: PUT deleted -> 404", "PUT", D, XA, new_author("dd"),
             404, None),
            ("authors: name of a deleted author is free again -> 201",
             "POST", AU, XA, d4, 201, author_checks(d4)),
        ])
        r = RESPONSES[-1][3]
        if r.status == 201 and r.json_ok:
            AUTHORS_A[get_path(r.json, "author.id")] = d4


def sec_cross_user():
    need(A.token and B.token and AUTHORS_A, "no authors of A")
    aid = min(AUTHORS_A)
    want = AUTHORS_A[aid]
    path = "/authors/%d" % aid
    XB = X(B.token)
    run_table([
        ("cross-user: B GET A's author -> 404", "GET", path, XB, None, 404,
         None),
        ("cross-user: B PUT A's author -> 404", "PUT", path, XB,
         new_author("x"), 404, None),
        ("cross-user: B DELETE A's author -> 404", "DELETE", path, XB, None,
         404, None),
        ("cross-user: B PUT A's author via Bearer -> 404", "PUT", path,
         BEARER(B.token), new_author("y"), 404, None),
        ("cross-user: A's author intact afterwards", "GET", path,
         X(A.token), None, 200, author_checks(want)),
    ])
    r = run_row("cross-user: B's list -> 200", "GET", "/authors?limit=1000",
                XB, None, 200, {"list_of_authors": list})
    lst = get_path(r.json, "list_of_authors") if r.json_ok else MISSING
    if isinstance(lst, list):
        ids = {a.get("id") for a in lst if isinstance(a, dict)}
        TAP.ok(not ids & set(AUTHORS_A),
               "cross-user: B's list holds none of A's authors",
               ["shared ids %s" % sorted(ids & set(AUTHORS_A))])
    else:
        TAP.ok(False, "cross-user: B's list holds none of A's authors",
               ["no list"])


def sec_paging():
    pu = User("page")
    register(pu, "paging: register user P -> 201")
    login(pu, "paging: login P -> 200")
    need(pu.token, "P could not log in")
    ids = []
    for i in range(5):
        aid, _ = create_author(pu, new_author("p%d" % i),
                               "paging: create author %d -> 201" % (i + 1))
        ids.append(aid)
    need(all(ids), "P could not create authors")
    XP = X(pu.token)

    def ids_are(want):
        return P("list ids %s" % want, lambda v: isinstance(v, list) and
                 [a.get("id") for a in v] == want)
    L = "list_of_authors"
    G = "/authors"
    rows = [
        ("paging: default -> all 5 in id order", "GET", G, XP, None, 200,
         {L: ids_are(ids)}),
        ("paging: limit=2", "GET", G + "?limit=2", XP, None, 200,
         {L: ids_are(ids[:2])}),
        ("paging: limit=2&offset=2", "GET", G + "?limit=2&offset=2", XP,
         None, 200, {L: ids_are(ids[2:4])}),
        ("paging: offset=4", "GET", G + "?offset=4", XP, None, 200,
         {L: ids_are(ids[4:])}),
        ("paging: offset=5 -> empty list", "GET", G + "?offset=5", XP, None,
         200, {L: ids_are([])}),
        ("paging: offset=1000000 -> empty list", "GET",
         G + "?offset=1000000", XP, None, 200, {L: ids_are([])}),
        ("paging: limit=1000 (the maximum)", "GET", G + "?limit=1000", XP,
         None, 200, {L: ids_are(ids)}),
        ("paging: limit=1&offset=0", "GET", G + "?limit=1&offset=0", XP,
         None, 200, {L: ids_are(ids[:1])}),
    ]
    for q in ("limit=0", "limit=1001", "limit=-1", "limit=abc",
              "limit=1&limit=2", "offset=-1", "offset=abc", "limit=1.5",
              "limit=99999999999999999999", "offset=1&offset=2"):
        rows.append(("paging: %s -> 400" % q, "GET", G + "?" + q, XP, None,
                     400, None))
    rows.append(("paging: no token -> 401", "GET", G + "?limit=1", (), None,
                 401, {"message": "a valid token is missing"}))
    run_table(rows)


def sec_methods_paths():
    need(A.token, "no token")
    XA = X(A.token)
    aid = min(AUTHORS_A) if AUTHORS_A else 1
    one = "/authors/%d" % aid
    m405 = [
        ("DELETE", "/authors", ("GET", "POST")),
        ("PUT", "/authors", ("GET", "POST")),
        ("PATCH", "/authors", ("GET", "POST")),
        ("OPTIONS", "/authors", ("GET", "POST")),
        ("GET", "/author", ("POST",)),
        ("DELETE", "/author", ("POST",)),
        ("PATCH", one, ("GET", "PUT", "DELETE")),
        ("POST", one, ("GET", "PUT", "DELETE")),
        ("PATCH", "/authors/999999999", ("GET", "PUT", "DELETE")),
        ("GET", "/register", ("POST",)),
        ("DELETE", "/register", ("POST",)),
        ("PUT", "/login", ("GET", "POST")),
        ("DELETE", "/login", ("GET", "POST")),
        ("POST", "/users", ("GET",)),
        ("DELETE", "/users", ("GET",)),
    ]
    rows = []
    for m, path, allowed in m405:
        rows.append(("methods: %s %s -> 405 with Allow %s" % (
            m, path, ", ".join(allowed)), m, path, XA, None, 405, None,
            {"hdrs": {"allow": P("Allow with %s and without %s" % (
                ", ".join(allowed), m),
                lambda v, a=allowed, m=m: allow_has(*a)(v) and
                allow_lacks(m)(v))}}))
    for path in ("/nope", "/", "/authors/1/x", "/authors/abc", "/authors/0",
                 "/authors/01", "/authors/-1", "/authors/+1", "/authors/1.0",
                 "/authors/99999999999999999999",
                 "/authors/9223372036854775808", "/authors/0x10",
                 "/registerx", "/login/x", "/users/1", "/author/1",
                 "/authorsx"):
        rows.append(("paths: GET %s -> 404" % path, "GET", path, XA, None,
                     404, None))
    rows += [
        ("paths: DELETE /authors/abc -> 404", "DELETE", "/authors/abc", XA,
         None, 404, None),
        ("paths: PUT /authors/0 -> 404", "PUT", "/authors/0", XA,
         new_author("p0"), 404, None),
        ("paths: GET /authors/9223372036854775807 (absent) -> 404", "GET",
         "/authors/9223372036854775807", XA, None, 404, None),
    ]
    run_table(rows)


def strict_rows(label, method, path, auth, kind, ok_status, ct_status):
    """The strict-JSON table for one endpoint. kind: register or author."""
    def others(ok=False):
        if kind == "register":
            return b'"password":' + jtext(mkpw())
        return b'"book":' + jtext(uname("sb") if ok else rej()) + \
            b',"country":"Nowhere"'

    def nm(ok=False):
        return jtext(uname("s") if ok else rej())

    def obj(name_raw, oth=None):
        return b'{"name":' + name_raw + b"," + (oth or others()) + b"}"

    def valid(ok=False):
        return obj(nm(ok), others(ok))

    rows = []

    def row(desc, body, status=400, **opt):
        rows.append(("%s: %s -> %s" % (label, desc, "/".join(
            str(s) for s in statuses(status))), method, path, auth, body,
            status, None, opt))

    r = rej
    row("duplicate key name", b'{"name":' + nm() + b',"name":' + nm() +
        b"," + others() + b"}")
    row("duplicate key name, same value",
        (lambda n: b'{"name":' + n + b',"name":' + n + b"," + others() +
         b"}")(nm()))
    if kind == "register":
        row("duplicate key password", obj(nm(), b'"password":' +
                                          jtext(mkpw()) + b',"password":' +
                                          jtext(mkpw())))
    else:
        row("duplicate key book", obj(nm(), b'"book":' + jtext(r()) +
                                      b',"book":' + jtext(r()) +
                                      b',"country":"X"'))
        row("duplicate key booker_prize", obj(nm(), others() +
                                              b',"booker_prize":false,'
                                              b'"booker_prize":true'))
    row('key "name\\u0000x" next to name',
        b'{"name":' + nm() + b',"name\\u0000x":' + nm() + b"," + others() +
        b"}")
    row('key "name\\u0000x" instead of name',
        b'{"name\\u0000x":' + nm() + b"," + others() + b"}")
    row("raw NUL byte after the object", valid() + b"\x00")
    row("raw NUL byte and junk after the object", valid() + b"\x00junk")
    row("raw NUL byte inside a value",
        obj(b'"' + r().encode() + b'\x00tail"'))
    row("\\u0000 inside a value", obj(b'"' + r().encode() + b'\\u0000x"'))
    row("\\u0000 as the whole value", obj(b'"\\u0000"'))
    row("lone high surrogate \\ud800", obj(b'"' + r().encode() +
                                           b'\\ud800"'))
    row("lone low surrogate \\udc00", obj(b'"' + r().encode() +
                                          b'\\udc00x"'))
    row("high surrogate then \\u0041", obj(b'"' + r().encode() +
                                           b'\\ud800\\u0041"'))
    row("invalid UTF-8 byte 0xff", obj(b'"' + r().encode() + b'\xff"'))
    row("overlong UTF-8 0xc0 0xaf", obj(b'"' + r().encode() + b'\xc0\xaf"'))
    row("overlong UTF-8 NUL 0xc0 0x80", obj(b'"' + r().encode() +
                                            b'\xc0\x80"'))
    row("UTF-8-encoded surrogate 0xed 0xa0 0x80", obj(b'"' + r().encode() +
                                                      b'\xed\xa0\x80"'))
    row("code point above U+10FFFF", obj(b'"' + r().encode() +
                                         b'\xf4\x90\x80\x80"'))
    row("truncated UTF-8 sequence", obj(b'"' + r().encode() + b'\xe2\x82"'))
    row("lone continuation byte 0x80", obj(b'"' + r().encode() + b'\x80"'))
    row("invalid UTF-8 in a key", b'{"na\xffme":' + nm() + b"," + others() +
        b"}")
    row("top-level array", b"[" + valid() + b"]")
    row("top-level string", b'"' + r().encode() + b'"')
    row("top-level number", b"42")
    row("top-level null", b"null")
    row("top-level true", b"true")
    row("trailing garbage", valid() + b"x")
    row("second object after the first", valid() + b"{}")
    row("number after the object", valid() + b" 1")
    row("trailing comma", valid()[:-1] + b",}")
    row("comma before the first member", b"{," + valid()[1:])
    row("single-quoted value", b"{\"name\":'" + r().encode() + b"'," +
        others() + b"}")
    row("single-quoted key", b"{'name':" + nm() + b"," + others() + b"}")
    row("unquoted key", b"{name:" + nm() + b"," + others() + b"}")
    row("NaN as a value", obj(b"NaN"))
    row("Infinity as a value", obj(b"Infinity"))
    row("-Infinity as a value", obj(b"-Infinity"))
    row("block comment before", b"/* c */" + valid())
    row("line comment after", valid() + b"// c")
    row("comment inside", b'{"name": /* c */ ' + nm() + b"," + others() +
        b"}")
    row("empty body", b"")
    row("whitespace-only body", b" \r\n\t ")
    row("unterminated object", valid()[:-1])
    row("unterminated string", b'{"name":"' + r().encode())
    row("nesting 100 deep", obj(b"[" * 100 + b'"x"' + b"]" * 100))
    row("nesting 10000 deep", obj(b"[" * 10000 + b"]" * 10000))
    row("objects nested 100 deep", b'{"x":' * 100 + b"1" + b"}" * 100)
    row("name is a number", obj(b"5"))
    row("name is true", obj(b"true"))
    row("name is null", obj(b"null"))
    row("name is an array", obj(b'["' + r().encode() + b'"]'))
    row("name is an object", obj(b'{"a":"b"}'))
    row("capitalised True", obj(b"True"))
    row("capitalised NULL", obj(b"NULL"))
    row("raw control byte 0x01 in a string", obj(b'"' + r().encode() +
                                                 b'\x01"'))
    row("raw newline in a string", obj(b'"' + r().encode() + b'\n"'))
    row("raw tab in a string", obj(b'"' + r().encode() + b'\t"'))
    row("invalid escape \\x41", obj(b'"' + r().encode() + b'\\x41"'))
    row("unknown key", valid()[:-1] + b',"extra":"x"}')
    row("key differing in case (Name)", b'{"Name":' + nm() + b"," +
        others() + b"}")
    cut = valid()
    row("Content-Length shorter than the body (JSON cut)", cut,
        content_length=len(cut) - 3)
    row("Content-Length 0 with a body sent", valid(), content_length=0)
    if kind == "author":
        for v in (b'"yes"', b"1", b"0", b"null", b'"true"', b"True",
                  b"[true]"):
            row("booker_prize %s" % v.decode(), obj(nm(), others() +
                                                    b',"booker_prize":' + v))
    else:
        row("password is a number", obj(nm(), b'"password":12345678901'))
        row("password is true", obj(nm(), b'"password":true'))
    row("no Content-Type", valid(), ct_status, ct=None)
    row("Content-Type text/plain", valid(), ct_status, ct="text/plain")
    row("Content-Type form-urlencoded", valid(), ct_status,
        ct="application/x-www-form-urlencoded")
    row("Content-Type application/jsonx", valid(), ct_status,
        ct="application/jsonx")
    row("Content-Type empty", valid(), ct_status,
        ct=None, headers_extra=[("Content-Type", "")])
    # What strictness must still allow.
    row("Content-Type with charset=utf-8", valid(True), ok_status,
        ct="application/json; charset=utf-8")
    row("Content-Type with ;charset=UTF-8 (no space)", valid(True),
        ok_status, ct="application/json;charset=UTF-8")
    row("trailing newline", valid(True) + b"\n", ok_status)
    row("whitespace around and inside", b" \r\n\t" +
        valid(True).replace(b",", b" ,\n ").replace(b":", b" : ") +
        b"\n\t ", ok_status)
    row("keys in another order", b"{" + others(True) + b',"name":' +
        nm(True) + b"}", ok_status)
    row("chunked request body", valid(True), ok_status, chunked=True)
    return rows


def run_strict(rows):
    out = []
    for row in rows:
        desc, method, path, headers, body, status, checks = row[:7]
        opt = dict(row[7]) if len(row) > 7 else {}
        extra = opt.pop("headers_extra", None)
        h = list(headers) + (extra or [])
        out.append(run_row(desc, method, path, h, body, status, checks,
                           **opt))
    return out


def sec_strict():
    run_strict(strict_rows("strict /register", "POST", "/register", (),
                           "register", 201, 415))
    need(A.token, "no token")
    run_strict(strict_rows("strict POST /authors", "POST", "/authors",
                           X(A.token), "author", 201, (400, 415)))
    tgt = new_author("strict-put")
    aid, _ = create_author(A, tgt, "strict PUT: create the target -> 201")
    need(aid, "no PUT target")
    AUTHORS_A[aid] = tgt
    rs = run_strict(strict_rows("strict PUT /authors/{id}", "PUT",
                                "/authors/%d" % aid, X(A.token), "author",
                                200, (400, 415)))
    last = None
    for r in rs:
        if r.status == 200 and r.json_ok and \
                isinstance(get_path(r.json, "author"), dict):
            last = r.json["author"]
    if last:
        AUTHORS_A[aid] = {k: last[k] for k in ("name", "book", "country",
                                               "booker_prize")}
        run_row("strict PUT: target holds the last accepted PUT", "GET",
                "/authors/%d" % aid, X(A.token), None, 200,
                author_checks(AUTHORS_A[aid]))


def padded(prefix_obj_text, total):
    """A JSON object text of exactly total bytes, padded with spaces."""
    core = prefix_obj_text
    n = total - len(core) - 1
    assert n >= 0
    return core + b" " * n + b"}"


def sec_sizes():
    need(A.token, "no token")
    XA = X(A.token)
    KB64 = 65536

    def reg_core(ok):
        name = uname("big") if ok else rej()
        return b'{"name":' + jtext(name) + b',"password":' + jtext(mkpw())

    def aut_core(ok):
        return b'{"name":' + jtext(uname("big") if ok else rej()) + \
            b',"book":' + jtext(uname("bb") if ok else rej()) + \
            b',"country":"Big"'

    big = b'{"name":' + jtext(rej()) + b',"password":"' + \
        b"x" * 2000000 + b'"}'
    rows = [
        ("sizes: /register body of 65536 bytes (valid, padded) -> 201",
         "POST", "/register", (), padded(reg_core(True), KB64), 201, None),
        ("sizes: /register body of 65537 bytes -> 413", "POST", "/register",
         (), padded(reg_core(False), KB64 + 1), 413, None),
        ("sizes: /register body of 100000 bytes -> 413", "POST",
         "/register", (), padded(reg_core(False), 100000), 413, None),
        ("sizes: /register body of 2 MB -> 413 JSON", "POST", "/register",
         (), big, 413, None, {"early": True}),
        ("sizes: /register chunked body of 70000 bytes -> 413", "POST",
         "/register", (), padded(reg_core(False), 70000), 413, None,
         {"chunked": True}),
        ("sizes: /register chunked body of 65536 bytes -> 201", "POST",
         "/register", (), padded(reg_core(True), KB64), 201, None,
         {"chunked": True}),
        ("sizes: POST /authors body of 65536 bytes -> 201", "POST",
         "/authors", XA, padded(aut_core(True), KB64), 201, None),
        ("sizes: POST /authors body of 65537 bytes -> 413", "POST",
         "/authors", XA, padded(aut_core(False), KB64 + 1), 413, None),
        ("sizes: POST /authors body of 2 MB -> 413 JSON", "POST",
         "/authors", XA, big, 413, None, {"early": True}),
    ]
    rs = run_table(rows)
    for r, row in zip(rs, rows):
        if r.path == "/authors" and r.status == 201 and r.json_ok:
            a = r.json.get("author", {})
            AUTHORS_A[a.get("id")] = {k: a.get(k) for k in
                                      ("name", "book", "country",
                                       "booker_prize")}
    if AUTHORS_A:
        aid = max(AUTHORS_A)
        run_row("sizes: PUT body of 65537 bytes -> 413", "PUT",
                "/authors/%d" % aid, XA, padded(aut_core(False), KB64 + 1),
                413, None)
    run_row("sizes: URI over 8 KiB -> JSON 414/400/431", "GET",
            "/authors?limit=" + "1" * 9000, XA, None, (400, 414, 431), None,
            server_limit=True)


ADM = None


def admin_cli(args, stdin=b"", label=""):
    try:
        pr = subprocess.run([ADMIN] + list(args), input=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=120, env=os.environ.copy())
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, repr(e)
    EXTRA_OUTPUT.append(("admin %s stdout" % label, pr.stdout))
    EXTRA_OUTPUT.append(("admin %s stderr" % label, pr.stderr))
    return pr, ""


def sec_admin():
    global ADM
    need(ADMIN and os.access(ADMIN, os.X_OK), "LIBRARY_ADMIN %r is not "
         "executable" % ADMIN)
    ADM = User("admin")
    pr, err = admin_cli(["user", "add", ADM.name, "--admin"],
                        (ADM.pw + "\n").encode(), "user add")
    TAP.ok(pr is not None and pr.returncode == 0,
           "admin: LIBRARY_ADMIN user add NAME --admin exits 0",
           [err] if pr is None else ["exit %d" % pr.returncode,
                                     "stdout " + short(pr.stdout),
                                     "stderr " + short(pr.stderr)])
    login(ADM, "admin: the admin logs in -> 200")
    need(ADM.token, "the admin could not log in")
    r = run_row("admin: GET /users -> 200", "GET", "/users", X(ADM.token),
                None, 200, {"users": list})
    users = get_path(r.json, "users") if r.json_ok else MISSING
    if isinstance(users, list):
        bad = [u for u in users if not isinstance(u, dict) or
               set(u) != {"public_id", "name", "admin"} or
               not isinstance(u.get("name"), str) or
               not IS_UUID(u.get("public_id")) or
               type(u.get("admin")) is not bool]
        TAP.ok(not bad, "admin: every user is exactly {public_id, name, "
               "admin} with the right types", ["bad %s" % show(bad[:5])])
        TAP.ok(b"$y$" not in r.body and
               not any(isinstance(u, dict) and
                       ({"password", "hash", "password_hash"} & set(u))
                       for u in users),
               "admin: /users shows no password or hash",
               [short(r.body)])
        by_pid = {u.get("public_id"): u for u in users
                  if isinstance(u, dict)}
        probs = []
        for u, adm in ((A, False), (B, False), (EMOJI_U, False),
                       (ADM, True)):
            if u is None:
                continue
            got = by_pid.get(u.public_id) if u.public_id else None
            if u is ADM:
                got = [x for x in users if isinstance(x, dict) and
                       x.get("name") == ADM.name]
                got = got[0] if got else None
            if got is None:
                probs.append("%r missing" % u.name)
            elif got.get("name") != u.name or got.get("admin") is not adm:
                probs.append("%r listed as %s" % (u.name, show(got)))
        TAP.ok(not probs, "admin: /users lists A, B, the emoji user (exact "
               "name) and the admin with the right admin flags", probs)
        leaked = [u.get("name") for u in users if isinstance(u, dict) and
                  isinstance(u.get("name"), str) and REJ in u.get("name")]
        TAP.ok(not leaked, "admin: no refused registration created a user",
               ["created: %s" % show(leaked[:10])])
    run_table([
        ("admin: non-admin GET /users -> 403", "GET", "/users", X(A.token),
         None, 403, None),
        ("admin: non-admin via Bearer -> 403", "GET", "/users",
         BEARER(A.token), None, 403, None),
        ("admin: GET /users without token -> 401", "GET", "/users", (),
         None, 401, {"message": "a valid token is missing"}),
        ("admin: GET /users bad token -> 401", "GET", "/users",
         X("garbage"), None, 401, {"message": "token is invalid"}),
        ("admin: A's token re-signed with an admin:true claim -> 403 "
         "(the claim is ignored)", "GET", "/users",
         X(forge(jwt_decode(A.token)[0], dict(jwt_decode(A.token)[1],
                                               admin=True,
                                               jti=str(uuid.uuid4())))),
         None, 403, None),
        ("admin: admin's token via Bearer -> 200", "GET", "/users",
         BEARER(ADM.token), None, 200, {"users": list}),
    ])
    # Promotion.
    cu = User("promote")
    register(cu, "admin: register user C -> 201")
    login(cu, "admin: login C -> 200")
    run_row("admin: C GET /users before promotion -> 403", "GET", "/users",
            X(tok(cu)), None, 403, None)
    pr, err = admin_cli(["user", "promote", cu.name], b"", "user promote")
    TAP.ok(pr is not None and pr.returncode == 0,
           "admin: LIBRARY_ADMIN user promote C exits 0",
           [err] if pr is None else ["exit %d" % pr.returncode,
                                     "stderr " + short(pr.stderr)])
    login(cu, "admin: C logs in again after promotion -> 200")
    run_row("admin: promoted C GET /users -> 200", "GET", "/users",
            X(tok(cu)), None, 200, {"users": list})
    pr, err = admin_cli(["user", "list"], b"", "user list")
    ok = pr is not None and pr.returncode == 0 and \
        ADM.name.encode() in pr.stdout and A.name.encode() in pr.stdout and \
        b"$y$" not in pr.stdout + pr.stderr
    TAP.ok(ok, "admin: LIBRARY_ADMIN user list exits 0, lists the users, "
           "shows no hash",
           [err] if pr is None else ["exit %d" % pr.returncode,
                                     "stdout " + short(pr.stdout),
                                     "stderr " + short(pr.stderr)])


def parallel(n, fn):
    import threading
    out = [None] * n

    def work(i):
        try:
            out[i] = fn(i)
        except Exception as e:
            out[i] = e
    ts = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    return out


def tally(rs):
    c = {}
    for r in rs:
        k = r.status if isinstance(r, Resp) else repr(r)
        c[k] = c.get(k, 0) + 1
    return c


def sec_concurrency():
    need(A.token, "no token")
    N = 12
    same = uname("race")
    pws = [mkpw() for _ in range(N)]
    rs = parallel(N, lambda i: api("POST", "/register", (),
                                   {"name": same, "password": pws[i]},
                                   desc="race register"))
    c = tally(rs)
    TAP.ok(c.get(201) == 1 and c.get(409) == N - 1,
           "concurrency: %d parallel registrations of one name -> one 201, "
           "the rest 409" % N, ["statuses %s" % c])
    rs = parallel(N, lambda i: api("POST", "/register", (),
                                   {"name": uname("par"),
                                    "password": mkpw()},
                                   desc="parallel register"))
    c = tally(rs)
    TAP.ok(c.get(201) == N, "concurrency: %d parallel registrations of "
           "different names -> all 201" % N, ["statuses %s" % c])
    nm = uname("racen")
    rs = parallel(N, lambda i: api("POST", "/authors", X(A.token),
                                   {"name": nm, "book": uname("rb"),
                                    "country": "Race"},
                                   desc="race author name"))
    c = tally(rs)
    TAP.ok(c.get(201) == 1 and c.get(409) == N - 1,
           "concurrency: %d parallel POST /authors with one name -> one "
           "201, the rest 409" % N, ["statuses %s" % c])
    bk = uname("raceb")
    rs = parallel(N, lambda i: api("POST", "/authors", X(A.token),
                                   {"name": uname("rn"), "book": bk,
                                    "country": "Race"},
                                   desc="race author book"))
    c = tally(rs)
    TAP.ok(c.get(201) == 1 and c.get(409) == N - 1,
           "concurrency: %d parallel POST /authors with one book -> one "
           "201, the rest 409" % N, ["statuses %s" % c])
    rs = parallel(N, lambda i: api("GET", "/login", BASIC(A.name, A.pw),
                                   desc="parallel login"))
    c = tally(rs)
    TAP.ok(c.get(200) == N, "concurrency: %d parallel logins -> all 200" %
           N, ["statuses %s" % c])


def sec_isolation():
    """Alternate users and anonymous requests: nothing from one request
    (token, user, body) may carry over into the next one that the same
    responder process serves."""
    need(A.token and B.token, "no tokens")
    a_ids = set(AUTHORS_A)
    probs = []
    for i in range(8):
        ra = api("GET", "/authors?limit=1000", X(A.token), desc="iso A")
        rn = api("GET", "/authors", (), desc="iso none")
        rb = api("GET", "/authors?limit=1000", X(B.token), desc="iso B")
        rg = api("GET", "/authors", X("garbage"), desc="iso garbage")
        re_ = api("POST", "/register", (), b"", desc="iso empty body")
        ru = api("GET", "/users", X(A.token), desc="iso users")
        if ra.status != 200:
            probs.append("round %d: A got %s" % (i, ra.status))
        if rn.status != 401:
            probs.append("round %d: no token got %s %s" % (i, rn.status,
                                                          short(rn.body)))
        if rg.status != 401:
            probs.append("round %d: garbage token got %s" % (i, rg.status))
        if re_.status != 400:
            probs.append("round %d: empty register body got %s" % (
                i, re_.status))
        if ru.status != 403:
            probs.append("round %d: A on /users got %s" % (i, ru.status))
        lst = get_path(rb.json, "list_of_authors") if rb.json_ok else None
        if rb.status != 200 or not isinstance(lst, list):
            probs.append("round %d: B got %s" % (i, rb.status))
        else:
            leak = {a.get("id") for a in lst if isinstance(a, dict)} & a_ids
            if leak:
                probs.append("round %d: B sees A's %s" % (i, sorted(leak)))
    TAP.ok(not probs, "isolation: 8 rounds of A / anonymous / B / garbage "
           "/ empty body / non-admin requests keep their own answers",
           probs)


def sec_jsontestsuite():
    """Every JSONTestSuite file as the body of POST /register, POST /authors
    and PUT /authors/{id}: n_ files get 400 (413 when over 64 KiB), no file
    gets anything but a JSON 4xx or a success."""
    d = os.path.join(SHARED_DIR, "JSONTestSuite", "test_parsing") \
        if SHARED_DIR else ""
    if not d or not os.path.isdir(d):
        for k in ("n_", "y_", "i_"):
            TAP.skip("JSONTestSuite %s files" % k,
                     "SHARED_DIR/JSONTestSuite/test_parsing not present")
        return
    u = new_user("jts", "JSONTestSuite: register a user -> 201")
    tok = login_token(u, "JSONTestSuite: log in -> 200")
    need(tok, "no token")
    u.token = tok
    aid, _ = create_author(u, new_author("jts"),
                           "JSONTestSuite: create an author to PUT -> 201")
    need(aid, "no author")
    targets = [("POST", "/register", (), (201,)),
               ("POST", "/authors", X(tok), (201,)),
               ("PUT", "/authors/%d" % aid, X(tok), (200,))]
    if os.environ.get("E2E_VALGRIND") == "1":
        # Under memcheck (a second a request) one endpoint is enough: the
        # parser is the same; the other runs cover all three.
        TAP.note("valgrind: JSONTestSuite on POST /register only")
        targets = targets[:1]
    files = sorted(f for f in os.listdir(d) if f.endswith(".json"))
    for method, path, hdrs, good in targets:
        where = "%s %s" % (method, "/authors/{id}" if method == "PUT"
                           else path)
        fails = {"n_": [], "y_": [], "i_": []}
        counts = {"n_": 0, "y_": 0, "i_": 0}
        for f in files:
            kind = f[:2]
            if kind not in fails:
                continue
            counts[kind] += 1
            with open(os.path.join(d, f), "rb") as fh:
                body = fh.read()
            r = api(method, path, hdrs, body,
                    desc="JSONTestSuite %s %s" % (where, f))
            probs = std_problems(r)
            if kind == "n_":
                # A body over 64 KiB is refused by size first (413).
                ok_status = (400, 413) if len(body) > 65536 else (400,)
                if r.status not in ok_status:
                    probs.insert(0, "status %s, want %s" % (
                        r.status, "/".join(map(str, ok_status))))
                elif not (r.json_ok and isinstance(r.json, dict) and
                          "error" in r.json):
                    probs.append("no error member")
            elif r.status is None or not (400 <= r.status < 500 or
                                          r.status in good):
                probs.insert(0, "status %s, want 4xx or %s" % (
                    r.status, good[0]))
            if probs:
                fails[kind].append("%s: %s; body %s" % (
                    f, "; ".join(probs), short(r.body, 120)))
        for k, what in (("n_", "400 with a JSON error"),
                        ("y_", "a JSON 4xx or %d" % good[0]),
                        ("i_", "a JSON 4xx or %d" % good[0])):
            TAP.ok(not fails[k], "JSONTestSuite: all %d %s files on %s "
                   "get %s" % (counts[k], k, where, what),
                   ["%d failed:" % len(fails[k])] + fails[k])


# ------------------------------------------- token lifecycle, login abuse

INV = {"message": "token is invalid"}
MISSING_TOK = {"message": "a valid token is missing"}
FAIL_LOGIN = {"message": "could not verify"}
OK_LIST = {"list_of_authors": list}
SEEN_KEYS = set()   # every key secret of the run, searched for in the logs


def login_token(u, desc, pw=None):
    """Log u in through nginx; the token or None."""
    r = run_row(desc, "GET", "/login", BASIC(u.name, u.pw if pw is None
                                              else pw), None, 200,
                {"token": NONEMPTY_STR, "expires_in": POS_INT})
    if r.status == 200 and r.json_ok and isinstance(r.json, dict) and \
            isinstance(r.json.get("token"), str):
        return r.json["token"]
    return None


def new_user(tag, desc):
    u = User(tag)
    register(u, desc)
    need(u.created, "user %s could not register" % u.name)
    return u


# Headers that say nothing of the answer: the date, and the framing, which
# a web server picks itself (Apache's mod_cgid sends a CGI answer with a
# Content-Length or chunked, depending on how the output reached it; the
# bodies are compared on their own).
UNTOLD = ("date", "content-length", "transfer-encoding")


def hset(r, drop=()):
    return sorted((k, v) for k, v in r.headers
                  if k not in UNTOLD and k not in drop)


def admin_ok(args, desc, want=0):
    """Run LIBRARY_ADMIN args; one TAP test on its exit status."""
    pr, err = admin_cli(args, b"", " ".join(args[:2]))
    if want == 0:
        good = pr is not None and pr.returncode == 0
    else:
        good = pr is not None and pr.returncode != 0
    TAP.ok(good, desc, [err] if pr is None else [
        "exit %d" % pr.returncode, "stdout " + short(pr.stdout),
        "stderr " + short(pr.stderr)])
    return pr


def sec_logout():
    u = new_user("logout", "logout: register a user -> 201")
    t1 = login_token(u, "logout: first login -> 200")
    t2 = login_token(u, "logout: second login -> 200")
    need(t1 and t2, "no tokens to log out")
    run_table([
        ("logout: POST /logout with a token -> 200 logged out", "POST",
         "/logout", X(t1), None, 200,
         {"$": keys("message"), "message": "logged out"}),
        ("logout: that token on GET /authors -> 401 token is invalid",
         "GET", "/authors", X(t1), None, 401, INV),
        ("logout: that token via Bearer -> 401 token is invalid", "GET",
         "/authors", BEARER(t1), None, 401, INV),
        ("logout: POST /logout again with it -> 401 token is invalid",
         "POST", "/logout", X(t1), None, 401, INV),
        ("logout: the same user's second token still works -> 200", "GET",
         "/authors", X(t2), None, 200, OK_LIST),
        ("logout: without a token -> 401 a valid token is missing", "POST",
         "/logout", (), None, 401, MISSING_TOK),
        ("logout: garbage token -> 401 token is invalid", "POST",
         "/logout", X("garbage"), None, 401, INV),
        ("logout: GET /logout -> 405 with Allow POST", "GET", "/logout",
         X(t2), None, 405, None,
         {"hdrs": {"allow": P("an Allow list with POST",
                              lambda v: allow_has("POST")(v))}}),
    ])
    # The revocation is of the token id: a re-signed copy with the same
    # jti (and a later iat) is refused too; a fresh jti is not.
    h, p, _ = jwt_decode(t1)
    same_jti = forge(h, dict(p, iat=p["iat"] + 1))
    fresh_jti = forge(h, dict(p, jti=str(uuid.uuid4())))
    run_table([
        ("logout: a re-signed copy with the logged-out jti -> 401", "GET",
         "/authors", X(same_jti), None, 401, INV),
        ("logout: a re-signed copy with a fresh jti -> 200 (control)",
         "GET", "/authors", X(fresh_jti), None, 200, OK_LIST),
        ("logout: the second token via Bearer -> 200 logged out", "POST",
         "/logout", BEARER(t2), None, 200, {"message": "logged out"}),
        ("logout: ... then refused -> 401", "GET", "/authors", X(t2), None,
         401, INV),
    ])
    t3 = login_token(u, "logout: logging in again -> 200")
    run_row("logout: the new token works -> 200", "GET", "/authors",
            X(t3 or NO_TOKEN), None, 200, OK_LIST)
    if A.token:
        run_row("logout: another user's token is untouched -> 200", "GET",
                "/authors", X(A.token), None, 200, OK_LIST)


PWP = "/users/me/password"


def sec_password():
    u = new_user("chpw", "password: register a user -> 201")
    t1 = login_token(u, "password: first login -> 200")
    t2 = login_token(u, "password: second login -> 200")
    need(t1 and t2, "no tokens")
    new = mkpw()
    XT = X(t1)
    rows = [
        ("password: wrong old_password -> 403 wrong_password", "PUT", PWP,
         XT, {"old_password": u.pw + "x", "new_password": new}, 403,
         {"error": "wrong_password"}),
        ("password: new_password of 7 bytes -> 400", "PUT", PWP, XT,
         {"old_password": u.pw, "new_password": mkpw(7)}, 400, None),
        ("password: new_password of 1025 bytes -> 400", "PUT", PWP, XT,
         {"old_password": u.pw, "new_password": mkpw(1025)}, 400, None),
        ("password: new_password missing -> 400", "PUT", PWP, XT,
         {"old_password": u.pw}, 400, None),
        ("password: old_password missing -> 400", "PUT", PWP, XT,
         {"new_password": new}, 400, None),
        ("password: old_password empty -> 400", "PUT", PWP, XT,
         {"old_password": "", "new_password": new}, 400, None),
        ("password: new_password a number -> 400", "PUT", PWP, XT,
         {"old_password": u.pw, "new_password": 123456789}, 400, None),
        ("password: unknown key -> 400", "PUT", PWP, XT,
         {"old_password": u.pw, "new_password": new, "name": "x"}, 400,
         None),
        ("password: duplicate new_password key -> 400", "PUT", PWP, XT,
         b'{"old_password":' + jtext(u.pw) + b',"new_password":' +
         jtext(mkpw()) + b',"new_password":' + jtext(mkpw()) + b"}", 400,
         None),
        ("password: body not JSON -> 400", "PUT", PWP, XT, b"old=new", 400,
         None),
        ("password: no Content-Type -> 415", "PUT", PWP, XT,
         {"old_password": u.pw, "new_password": new}, 415, None,
         {"ct": None}),
        ("password: no token -> 401 a valid token is missing", "PUT", PWP,
         (), {"old_password": u.pw, "new_password": new}, 401, MISSING_TOK),
        ("password: garbage token -> 401 token is invalid", "PUT", PWP,
         X("garbage"), {"old_password": u.pw, "new_password": new}, 401,
         INV),
        ("password: GET /users/me/password -> 405 with Allow PUT", "GET",
         PWP, XT, None, 405, None,
         {"hdrs": {"allow": P("an Allow list with PUT",
                              lambda v: allow_has("PUT")(v))}}),
        ("password: PUT /users/me/passwordx -> 404", "PUT", PWP + "x", XT,
         {"old_password": u.pw, "new_password": new}, 404, None),
        ("password: after the refusals the token still works -> 200",
         "GET", "/authors", XT, None, 200, OK_LIST),
    ]
    run_table(rows)
    run_row("password: the old password still logs in after the refusals "
            "-> 200", "GET", "/login", BASIC(u.name, u.pw), None, 200,
            {"token": NONEMPTY_STR})

    # Change at the start of a second, log in at once: the new token is
    # dated to the second after the change and must work at once.
    time.sleep(1.02 - (time.time() % 1.0))
    before = time.time()
    r = run_row("password: right old_password -> 200 password changed",
                "PUT", PWP, XT, {"old_password": u.pw, "new_password": new},
                200, {"$": keys("message"),
                      "message": "password changed; log in again"})
    need(r.status == 200, "the password was not changed")
    old_pw, u.pw = u.pw, new
    tn = login_token(u, "password: login with the new password -> 200")
    after = time.time()
    rn = run_row("password: the new token works immediately -> 200", "GET",
                 "/authors", X(tn or NO_TOKEN), None, 200, OK_LIST)
    TAP.note("password: change at %.3f, new login done at %.3f (%s "
             "second)" % (before, after, "same" if int(before) == int(after)
                          else "next"))
    if tn:
        iat = jwt_decode(tn)[1].get("iat")
        TAP.ok(type(iat) is int and iat >= int(before) + 1,
               "password: the new token's iat is after the change's "
               "second", ["iat %r, change at %.3f" % (iat, before)])
    run_table([
        ("password: the token used for the change -> 401 token is invalid",
         "GET", "/authors", X(t1), None, 401, INV),
        ("password: another token issued before the change -> 401", "GET",
         "/authors", X(t2), None, 401, INV),
        ("password: ... via Bearer -> 401", "GET", "/authors", BEARER(t2),
         None, 401, INV),
        ("password: PUT again with the old token -> 401", "PUT", PWP, X(t1),
         {"old_password": new, "new_password": mkpw()}, 401, INV),
        ("password: login with the old password -> 401 could not verify",
         "GET", "/login", BASIC(u.name, old_pw), None, 401, FAIL_LOGIN),
        ("password: the new token still works -> 200", "GET", "/authors",
         X(tn or NO_TOKEN), None, 200, OK_LIST),
    ])
    del rn
    # A second change right away, with the token issued after the first
    # (dated to the first change's cut-off, likely in the same second):
    # that token must die too, and a login after it must work at once.
    newer = mkpw()
    r = run_row("password: a second change at once -> 200", "PUT", PWP,
                X(tn or NO_TOKEN),
                {"old_password": u.pw, "new_password": newer}, 200,
                {"$": keys("message")})
    need(r.status == 200, "the password was not changed again")
    u.pw = newer
    run_row("password: the token issued between the two changes -> 401",
            "GET", "/authors", X(tn or NO_TOKEN), None, 401, INV)
    t3 = login_token(u, "password: login after the second change -> 200")
    run_row("password: ... and its token works at once -> 200", "GET",
            "/authors", X(t3 or NO_TOKEN), None, 200, OK_LIST)
    run_row("password: the token between the changes still -> 401", "GET",
            "/authors", X(tn or NO_TOKEN), None, 401, INV)


def sec_disable():
    need(ADMIN and os.access(ADMIN, os.X_OK), "no LIBRARY_ADMIN")
    u = new_user("disable", "disable: register a user -> 201")
    t = login_token(u, "disable: login -> 200")
    need(t, "no token")
    admin_ok(["user", "disable", u.name],
             "disable: LIBRARY_ADMIN user disable NAME exits 0")
    run_row("disable: the user's token -> 401 token is invalid", "GET",
            "/authors", X(t), None, 401, INV)
    run_row("disable: ... on POST /logout -> 401", "POST", "/logout", X(t),
            None, 401, INV)
    dis = api("GET", "/login", BASIC(u.name, u.pw),
              desc="disable: login of a disabled user")
    expect("disable: login with the right password -> 401 could not verify",
           dis, 401, FAIL_LOGIN)
    other = new_user("disable-ref", "disable: register a reference user")
    wrong = api("GET", "/login", BASIC(other.name, other.pw + "x"),
                desc="disable: wrong password of an enabled user")
    TAP.ok(dis.status == wrong.status and dis.body == wrong.body and
           hset(dis) == hset(wrong),
           "disable: a disabled user's login looks exactly like a wrong "
           "password (status, body, headers)",
           ["disabled: %s %s %s" % (dis.status, short(dis.body), hset(dis)),
            "wrong pw: %s %s %s" % (wrong.status, short(wrong.body),
                                    hset(wrong))])
    admin_ok(["user", "disable", uname("nobody")],
             "disable: LIBRARY_ADMIN user disable of an unknown user exits "
             "non-zero", want=1)
    admin_ok(["user", "enable", u.name],
             "disable: LIBRARY_ADMIN user enable NAME exits 0")
    t2 = login_token(u, "disable: enabled again: login -> 200")
    run_row("disable: the new token works -> 200", "GET", "/authors",
            X(t2 or NO_TOKEN), None, 200, OK_LIST)
    run_row("disable: the token from before stays void after enable "
            "(disable ends every token) -> 401", "GET", "/authors", X(t),
            None, 401, {"message": "token is invalid"})


def retry_after_in(r, lo, hi):
    v = r.header("retry-after")
    try:
        n = int(v)
    except (TypeError, ValueError):
        return False
    return str(n) == v and lo <= n <= hi


def sec_throttle():
    need(ADMIN and os.access(ADMIN, os.X_OK), "no LIBRARY_ADMIN")
    S = {"LIBRARY_LOGIN_MAX_FAILURES": "3", "LIBRARY_LOGIN_WINDOW": "60",
         "LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000"}
    ADDR = "192.0.2.10"

    def cl(name, pw, desc, settings=S, remote=ADDR):
        return run_cgi("login", "GET", "/login", desc,
                       auth=basic_value(name, pw), remote=remote,
                       settings=settings)

    u = new_user("thr", "throttle: register a user -> 201")
    real = [cl(u.name, mkpw(), "throttle: wrong password %d" % i)
            for i in range(3)]
    real.append(cl(u.name, u.pw, "throttle: right password, 4th attempt"))
    for i, r in enumerate(real[:3]):
        TAP.ok(r.status == 401 and r.json_ok and
               r.json.get("message") == "could not verify",
               "throttle: wrong password %d of 3 (CGI, max 3) -> 401" %
               (i + 1), cgi_diag(r))
    r4 = real[3]
    TAP.ok(r4.status == 429 and r4.json_ok and
           r4.json.get("error") == "too_many_attempts" and
           retry_after_in(r4, 1, 60),
           "throttle: 4th attempt with the right password -> 429 "
           "too_many_attempts, Retry-After 1-60", cgi_diag(r4))
    TAP.ok(r4.json_ok and "token" not in (r4.json or {}),
           "throttle: the 429 carries no token", cgi_diag(r4))

    ghost = uname("ghost")
    fake = [cl(ghost, mkpw(), "throttle: unknown name %d" % i)
            for i in range(4)]
    probs = []
    for i, (a, b) in enumerate(zip(real, fake)):
        if a.status != b.status or a.body != b.body or \
                hset(a, ("retry-after",)) != hset(b, ("retry-after",)):
            probs.append("attempt %d: real %s %s %s / unknown %s %s %s" % (
                i + 1, a.status, short(a.body), hset(a), b.status,
                short(b.body), hset(b)))
    TAP.ok(not probs and [r.status for r in fake] == [401, 401, 401, 429],
           "throttle: an unknown name gets the same sequence "
           "(401, 401, 401, 429) with the same bodies and headers",
           ["statuses %s" % [r.status for r in fake]] + probs)

    admin_ok(["user", "unlock", u.name],
             "throttle: LIBRARY_ADMIN user unlock NAME exits 0")
    r = cl(u.name, u.pw, "throttle: after unlock")
    TAP.ok(r.status == 200 and r.json_ok and
           isinstance(r.json.get("token"), str),
           "throttle: after unlock the right password -> 200 with a token",
           cgi_diag(r))

    # A success resets the name's counter.
    v = new_user("thr-reset", "throttle: register another user -> 201")
    seq_ = [("fail", cl(v.name, mkpw(), "reset: fail 1")),
            ("fail", cl(v.name, mkpw(), "reset: fail 2")),
            ("ok", cl(v.name, v.pw, "reset: success")),
            ("fail", cl(v.name, mkpw(), "reset: fail 3")),
            ("fail", cl(v.name, mkpw(), "reset: fail 4")),
            ("ok", cl(v.name, v.pw, "reset: success again"))]
    got = [r.status for _, r in seq_]
    TAP.ok(got == [401, 401, 200, 401, 401, 200],
           "throttle: 2 failures, a success, 2 failures, a success -> "
           "401 401 200 401 401 200 (a success resets the name counter)",
           ["statuses %s" % got] + cgi_diag(seq_[-1][1]))
    f3 = [cl(v.name, mkpw(), "reset: fail %d" % i) for i in range(3)]
    r = cl(v.name, v.pw, "reset: after 3 fresh failures")
    TAP.ok([x.status for x in f3] == [401, 401, 401] and r.status == 429,
           "throttle: the counter still counts after a reset (3 failures "
           "-> 429)", ["statuses %s then %s" % ([x.status for x in f3],
                                                 r.status)])

    # Per address: failures of different names from one address.
    S2 = {"LIBRARY_LOGIN_MAX_FAILURES": "100000",
          "LIBRARY_LOGIN_WINDOW": "60",
          "LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS": "4"}
    w = new_user("thr-addr", "throttle: register a third user -> 201")
    fails = [cl(uname("ghost"), mkpw(), "addr: fail %d" % i, S2,
                "192.0.2.11") for i in range(3)]
    fails.append(cl(w.name, mkpw(), "addr: fail 4 (a real name)", S2,
                    "192.0.2.11"))
    TAP.ok([x.status for x in fails] == [401] * 4,
           "throttle per address: 4 failures under 4 names from 192.0.2.11 "
           "-> 401 each", ["statuses %s" % [x.status for x in fails]])
    r = cl(w.name, w.pw, "addr: 5th, right password", S2, "192.0.2.11")
    TAP.ok(r.status == 429 and r.json_ok and
           r.json.get("error") == "too_many_attempts" and
           retry_after_in(r, 1, 60),
           "throttle per address: the 5th attempt (right password) -> 429 "
           "with Retry-After 1-60", cgi_diag(r))
    r = cl(uname("ghost"), mkpw(), "addr: 6th, a new name", S2,
           "192.0.2.11")
    TAP.ok(r.status == 429, "throttle per address: any other name from "
           "that address -> 429", cgi_diag(r))
    r = cl(w.name, w.pw, "addr: another address", S2, "192.0.2.12")
    TAP.ok(r.status == 200, "throttle per address: the same user from "
           "192.0.2.12 -> 200", cgi_diag(r))
    run_row("throttle: the same user through nginx (127.0.0.1, suite "
            "limits) -> 200", "GET", "/login", BASIC(w.name, w.pw), None,
            200, {"token": NONEMPTY_STR})

    # A success does not reset the address counter: otherwise a client
    # could guess other users' passwords between logins of its own.
    own = new_user("thr-own", "throttle: register a fourth user -> 201")
    A14 = "192.0.2.14"
    got = [cl(uname("ghost"), mkpw(), "own: fail 1", S2, A14).status,
           cl(uname("ghost"), mkpw(), "own: fail 2", S2, A14).status,
           cl(own.name, own.pw, "own: own success", S2, A14).status,
           cl(uname("ghost"), mkpw(), "own: fail 3", S2, A14).status,
           cl(uname("ghost"), mkpw(), "own: fail 4", S2, A14).status,
           cl(own.name, own.pw, "own: own login again", S2, A14).status]
    TAP.ok(got == [401, 401, 200, 401, 401, 429],
           "throttle per address: the client's own successful login does "
           "not reset the address counter (401 401 200 401 401 429)",
           ["statuses %s" % got])

    # Parallel guesses: the check and the count are one write, so no more
    # than the limit get through to the hash (a check-then-count race let
    # every parallel guess through).
    import concurrent.futures
    par = new_user("thr-par", "throttle: register a fifth user -> 201")
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as ex:
        got = list(ex.map(lambda i: cl(par.name, mkpw(), "par: guess %d" % i,
                                       S, "192.0.2.15").status, range(12)))
    TAP.ok(got.count(401) == 3 and got.count(429) == 9,
           "throttle: 12 parallel wrong passwords with a limit of 3 -> "
           "exactly 3 x 401 and 9 x 429", ["statuses %s" % sorted(got)])

    # The name counter is shared by every address.
    x = new_user("thr-dist", "throttle: register a fifth user -> 201")
    got = [cl(x.name, mkpw(), "dist: fail from .%d" % i, S,
              "192.0.2.%d" % i).status for i in (20, 21, 22)]
    r = cl(x.name, x.pw, "dist: right password from .23", S, "192.0.2.23")
    TAP.ok(got == [401, 401, 401] and r.status == 429,
           "throttle: failures for one name from 3 addresses throttle it "
           "from a 4th (401 401 401 then 429)",
           ["statuses %s then %s" % (got, r.status)])


def sec_password_throttle():
    """A wrong old_password counts as a failed login of that name."""
    need(ADMIN and os.access(ADMIN, os.X_OK), "no LIBRARY_ADMIN")
    S = {"LIBRARY_LOGIN_MAX_FAILURES": "2", "LIBRARY_LOGIN_WINDOW": "60",
         "LIBRARY_LOGIN_MAX_FAILURES_PER_ADDRESS": "100000"}
    ADDR = "192.0.2.13"
    u = new_user("pwthr", "password throttle: register a user -> 201")
    t = login_token(u, "password throttle: login -> 200")
    need(t, "no token")

    def put(old, desc):
        return run_cgi("users", "PUT", PWP, desc, token=t,
                       body={"old_password": old, "new_password": mkpw()},
                       remote=ADDR, settings=S)
    rs = [put(mkpw(), "password throttle: wrong old %d" % i)
          for i in range(2)]
    TAP.ok([r.status for r in rs] == [403, 403] and
           all(r.json_ok and r.json.get("error") == "wrong_password"
               for r in rs),
           "password throttle: two wrong old_password (CGI users, max 2) "
           "-> 403 wrong_password", cgi_diag(rs[-1]))
    r = put(u.pw, "password throttle: right old, 3rd attempt")
    TAP.ok(r.status == 429 and r.json_ok and
           r.json.get("error") == "too_many_attempts" and
           retry_after_in(r, 1, 60),
           "password throttle: the 3rd attempt with the right old password "
           "-> 429 with Retry-After", cgi_diag(r))
    r = run_cgi("login", "GET", "/login", "password throttle: login",
                auth=basic_value(u.name, u.pw), remote=ADDR, settings=S)
    TAP.ok(r.status == 429, "password throttle: the name is throttled for "
           "login too -> 429", cgi_diag(r))
    admin_ok(["user", "unlock", u.name],
             "password throttle: LIBRARY_ADMIN user unlock exits 0")
    run_row("password throttle: the password was never changed: login "
            "-> 200", "GET", "/login", BASIC(u.name, u.pw), None, 200,
            {"token": NONEMPTY_STR})
    run_row("password throttle: the token still works -> 200", "GET",
            "/authors", X(t), None, 200, OK_LIST)


def sec_audience():
    """A token issued for an audience is refused where none is set, and
    the other way round (LIBRARY_AUDIENCE, token.h)."""
    if os.environ.get("LIBRARY_AUDIENCE"):
        TAP.skip("audience: tokens of another audience are refused",
                 "the harness runs with LIBRARY_AUDIENCE set")
        return
    u = new_user("aud", "audience: register a user -> 201")
    r = run_cgi("login", "GET", "/login", "audience login",
                auth=basic_value(u.name, u.pw),
                settings={"LIBRARY_AUDIENCE": "e2e-other-api"})
    tok_ = r.json.get("token") if r.json_ok and isinstance(r.json, dict) \
        else None
    TAP.ok(r.status == 200 and isinstance(tok_, str),
           "audience: login as CGI with LIBRARY_AUDIENCE -> 200 with a "
           "token", cgi_diag(r))
    if not isinstance(tok_, str):
        return
    TAP.ok(jwt_decode(tok_)[1].get("aud") == "e2e-other-api",
           "audience: the token carries aud", ["claims %s" %
                                               jwt_decode(tok_)[1]])
    run_row("audience: that token on responders without an audience -> "
            "401", "GET", "/authors", X(tok_), None, 401, INV)
    r = run_cgi("authors", "GET", "/authors", "audience authors",
                token=tok_, settings={"LIBRARY_AUDIENCE": "e2e-other-api"})
    TAP.ok(r.status == 200, "audience: ... and accepted by a responder "
           "with the same audience (CGI) -> 200", cgi_diag(r))
    t = login_token(u, "audience: login through nginx -> 200")
    r = run_cgi("authors", "GET", "/authors", "audience authors 2",
                token=t or NO_TOKEN,
                settings={"LIBRARY_AUDIENCE": "e2e-other-api"})
    TAP.ok(r.status == 401 and r.json_ok and
           r.json.get("message") == "token is invalid",
           "audience: a token without aud on a responder with an audience "
           "(CGI) -> 401", cgi_diag(r))


def sec_timing():
    u = new_user("timing", "timing: register a user -> 201")
    N = 20
    times = {"unknown": [], "wrong": []}
    bad = []
    for i in range(N):
        order = ("unknown", "wrong") if i % 2 == 0 else ("wrong", "unknown")
        for kind in order:
            name = uname("nobody") if kind == "unknown" else u.name
            t0 = time.perf_counter()
            r = api("GET", "/login", BASIC(name, mkpw()),
                    desc="timing " + kind)
            times[kind].append(time.perf_counter() - t0)
            if r.status != 401:
                bad.append("%s: %s %s" % (kind, r.status, short(r.body)))

    def median(v):
        v = sorted(v)
        n = len(v)
        return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    mu, mw = median(times["unknown"]), median(times["wrong"])
    TAP.note("timing: median login time over %d each: unknown user "
             "%.1f ms, wrong password %.1f ms (ratio %.2f)" % (
                 N, mu * 1000, mw * 1000, max(mu, mw) / max(min(mu, mw),
                                                            1e-9)))
    TAP.ok(not bad, "timing: all %d timed logins -> 401" % (2 * N), bad)
    TAP.ok(mu <= 3 * mw and mw <= 3 * mu,
           "timing: neither median is more than 3x the other (unknown "
           "%.1f ms, wrong password %.1f ms)" % (mu * 1000, mw * 1000))


def cache_problems(r):
    probs = []
    if r.header("cache-control") != "no-store":
        probs.append("Cache-Control %r" % r.header("cache-control"))
    if r.header("x-content-type-options") != "nosniff":
        probs.append("X-Content-Type-Options %r" %
                     r.header("x-content-type-options"))
    return probs


def sec_cache_headers():
    u = new_user("cache", "cache: register a user -> 201")
    rl = api("GET", "/login", BASIC(u.name, u.pw), desc="cache login")
    t = rl.json.get("token") if rl.json_ok and isinstance(rl.json, dict) \
        else None
    checks = [("login 200 (a token)", rl)]
    checks.append(("login 401", api("GET", "/login",
                                    BASIC(u.name, u.pw + "x"),
                                    desc="cache login 401")))
    if t:
        d = new_author("cache")
        checks.append(("POST /authors 201", api("POST", "/authors", X(t), d,
                                                 desc="cache author")))
        checks.append(("GET /authors 200", api("GET", "/authors", X(t),
                                                desc="cache authors")))
        checks.append(("POST /logout 200", api("POST", "/logout", X(t),
                                                desc="cache logout")))
    if ADM is not None and ADM.token:
        checks.append(("GET /users 200 (user data)",
                       api("GET", "/users", X(ADM.token),
                           desc="cache users")))
    checks.append(("POST /register 201", api(
        "POST", "/register", (), User("cache2").reg_body(),
        desc="cache register")))
    for d, r in checks:
        probs = cache_problems(r)
        TAP.ok(not probs and r.status is not None and r.status < 500,
               "cache: %s has Cache-Control: no-store and "
               "X-Content-Type-Options: nosniff" % d,
               ["%s %s -> %s" % (r.method, r.path, r.status)] + probs)


def sec_key_rotation():
    """Last: rotation rewrites the key file the whole suite uses."""
    need(ADMIN and os.access(ADMIN, os.X_OK), "no LIBRARY_ADMIN")
    for _, sec in load_keys():
        SEEN_KEYS.add(sec)
    u = new_user("rot", "keys: register a user -> 201")
    t_old = login_token(u, "keys: login before the rotation -> 200")
    need(t_old, "no token")
    old_kid = jwt_decode(t_old)[0].get("kid")
    TAP.ok(isinstance(old_kid, str) and old_kid,
           "keys: tokens carry a kid in the header", ["kid %r" % old_kid])
    before = [k for k, _ in load_keys()]
    pr = admin_ok(["key", "rotate"], "keys: LIBRARY_ADMIN key rotate exits 0")
    ks = load_keys()
    for _, sec in ks:
        SEEN_KEYS.add(sec)
    st = os.stat(SECRET_FILE)
    TAP.ok(st.st_mode & 0o077 == 0,
           "keys: the rewritten key file is not readable by group or others",
           ["mode %o" % (st.st_mode & 0o777)])
    new_kid = ks[-1][0] if ks else None
    TAP.ok([k for k, _ in ks] == before + [new_kid] and new_kid != old_kid,
           "keys: the file keeps the old key and adds a new signing one",
           ["before %s, after %s" % (before, [k for k, _ in ks])])
    if pr is not None:
        TAP.ok(not any(sec in pr.stdout + pr.stderr for _, sec in ks),
               "keys: key rotate prints no secret",
               ["stdout " + short(pr.stdout)])
    run_row("keys: a token issued before the rotation still works -> 200",
            "GET", "/authors", X(t_old), None, 200, OK_LIST)
    if A.token:
        run_row("keys: A's token from the start of the run still works",
                "GET", "/authors", X(A.token), None, 200, OK_LIST)
    t_new = login_token(u, "keys: login after the rotation -> 200")
    need(t_new, "no new token")
    h_new = jwt_decode(t_new)[0]
    TAP.ok(h_new.get("kid") == new_kid,
           "keys: the new token's header names the new key",
           ["header %s, new kid %r" % (h_new, new_kid)])
    run_row("keys: the new token works -> 200", "GET", "/authors",
            X(t_new), None, 200, OK_LIST)
    p_new = jwt_decode(t_new)[1]
    run_row("keys: a copy re-signed with the new key from the file "
            "(control) -> 200", "GET", "/authors",
            X(forge(h_new, dict(p_new, jti=str(uuid.uuid4())))), None, 200,
            OK_LIST)
    run_row("keys: new kid in the header but signed with the old key "
            "-> 401", "GET", "/authors",
            X(forge(h_new, dict(p_new, jti=str(uuid.uuid4())), key=KEY)),
            None, 401, INV)
    pr, err = admin_cli(["key", "list"], b"", "key list")
    lines = pr.stdout.decode("utf-8", "replace").splitlines() \
        if pr is not None else []
    TAP.ok(pr is not None and pr.returncode == 0 and len(lines) == 2 and
           lines[0].split("\t")[0] == old_kid and
           lines[1].split("\t")[0] == new_kid and "signing" in lines[1] and
           "signing" not in lines[0],
           "keys: key list shows both ids, the new one signing",
           [err] if pr is None else ["exit %d" % pr.returncode,
                                     "stdout " + short(pr.stdout)])
    if pr is not None:
        TAP.ok(not any(sec in pr.stdout + pr.stderr for _, sec in ks),
               "keys: key list prints no secret", [])

    admin_ok(["key", "retire", old_kid],
             "keys: LIBRARY_ADMIN key retire OLD exits 0")
    TAP.ok([k for k, _ in load_keys()] == [new_kid],
           "keys: the file holds only the new key",
           ["kids %s" % [k for k, _ in load_keys()]])
    run_table([
        ("keys: the old token after retire -> 401 token is invalid", "GET",
         "/authors", X(t_old), None, 401, INV),
        ("keys: ... via Bearer -> 401", "GET", "/authors", BEARER(t_old),
         None, 401, INV),
        ("keys: the new token still works -> 200", "GET", "/authors",
         X(t_new), None, 200, OK_LIST),
        ("keys: a copy of the old token re-signed with the old key -> 401",
         "GET", "/authors",
         X(forge(jwt_decode(t_old)[0], dict(jwt_decode(t_old)[1],
                                            jti=str(uuid.uuid4())),
                 key=KEY)), None, 401, INV),
    ])
    if A.token:
        run_row("keys: A's token (old key) after retire -> 401", "GET",
                "/authors", X(A.token), None, 401, INV)
    t3 = login_token(u, "keys: login after the retire -> 200")
    run_row("keys: its token works -> 200", "GET", "/authors",
            X(t3 or NO_TOKEN), None, 200, OK_LIST)
    admin_ok(["key", "retire", new_kid],
             "keys: retiring the only key exits non-zero", want=1)
    TAP.ok([k for k, _ in load_keys()] == [new_kid],
           "keys: ... and the file is unchanged",
           ["kids %s" % [k for k, _ in load_keys()]])
    admin_ok(["key", "retire", "no-such-kid"],
             "keys: retiring an unknown kid exits non-zero", want=1)
    run_row("keys: the new token still works at the end -> 200", "GET",
            "/authors", X(t_new), None, 200, OK_LIST)


def sec_every_response():
    bad = []
    for desc, m, p, r in RESPONSES:
        probs = std_problems(r)
        if r.status is not None and r.status >= 500 and \
                not getattr(r, "expect_5xx", False):
            probs.append("5xx")
        if probs:
            bad.append("%s %s (%s): %s %s" % (m, p[:60], desc[:60], r.status,
                                              "; ".join(probs)))
    TAP.ok(not bad, "every response (%d) was JSON with Content-Type "
           "application/json, no 5xx, errors shaped {error,message}" %
           len(RESPONSES), ["%d bad:" % len(bad)] + bad[:60])
    # Stable error codes for the fixed messages.
    codes = {}
    for desc, m, p, r in RESPONSES:
        if r.json_ok and isinstance(r.json, dict) and r.status and \
                r.status >= 400 and isinstance(r.json.get("message"), str):
            msg = r.json["message"]
            if msg in ("token is invalid", "a valid token is missing",
                       "could not verify", "author does not exist"):
                codes.setdefault((r.status, msg), set()).add(
                    str(r.json.get("error")))
    unstable = {k: v for k, v in codes.items() if len(v) > 1}
    TAP.ok(not unstable, "one stable error code per fixed message",
           ["%s -> %s" % (k, sorted(v)) for k, v in unstable.items()])
    # Every successful answer carries tokens or user data: never cached.
    bad = []
    n = 0
    for desc, m, p, r in RESPONSES:
        if r.status in (200, 201) and not r.error:
            n += 1
            probs = cache_problems(r)
            if probs:
                bad.append("%s %s (%s): %s" % (m, p[:60], desc[:60],
                                               "; ".join(probs)))
    TAP.ok(n > 0 and not bad, "every 2xx response (%d) has Cache-Control: "
           "no-store and X-Content-Type-Options: nosniff" % n,
           ["%d bad:" % len(bad)] + bad[:40])


def sec_servers():
    """What differs between web servers (shared/SERVERS.md), in one place,
    for every deployment: routing of /authors/{id}, query strings on every
    route, chunked request bodies (Apache CGI passes them with no
    CONTENT_LENGTH; mod_fcgid refuses them past its own limit with a 500,
    so the Apache folder runs them as CGI) and bodies over the web
    server's own limits (our JSON 413 or the server's clear 413, never a
    500, never an empty body taken as valid)."""
    u = new_user("srv", "servers: register a user -> 201")
    t = u.token = login_token(u, "servers: login -> 200")
    need(t, "no token")
    XS = X(t)
    ids = []
    for i in range(2):
        aid, _ = create_author(u, new_author("srv%d" % i),
                               "servers: create author %d -> 201" % i)
        need(aid, "no author")
        ids.append(aid)
    one = "/authors/%d" % ids[0]
    d0 = {}
    r = api("GET", one, XS, desc="servers: read back")
    if r.json_ok:
        d0 = {k: get_path(r.json, "author." + k) for k in
              ("name", "book", "country", "booker_prize")}
    other = 42 if 42 not in ids else max(ids) + 1000
    big = padded(b'{"name":' + jtext(rej("srv")) + b',"book":' +
                 jtext(rej("srvb")) + b',"country":"Big"', 70000)
    rows = [
        # Routing: the authors responder parses the id (its own 404
        # message), whatever the server put in SCRIPT_NAME and PATH_INFO.
        ("servers: GET /authors/%d (not this user's) -> 404 author does "
         "not exist" % other, "GET", "/authors/%d" % other, XS, None, 404,
         {"message": "author does not exist"}),
        ("servers: GET /authors/{id} -> 200 that author", "GET", one, XS,
         None, 200, dict(author_checks(d0), **{"author.id": ids[0]})),
        ("servers: GET /authors/{id} with Bearer -> 200", "GET", one,
         BEARER(t), None, 200, {"author.id": ids[0]}),
        ("servers: GET /author (the old path) -> 405 or 200 JSON", "GET",
         "/author", XS, None, (200, 405), None),
        ("servers: GET /authors/{id}/ (trailing slash) -> 404", "GET",
         one + "/", XS, None, 404, None),
        # Query strings reach the responders unchanged on every route.
        ("servers: GET /authors/{id}?x=1&y -> 200 (query ignored)", "GET",
         one + "?x=1&y", XS, None, 200, {"author.id": ids[0]}),
        ("servers: GET /authors?limit=1 -> 1 item, the first", "GET",
         "/authors?limit=1", XS, None, 200,
         {"list_of_authors": list_len(1), "list_of_authors.0.id": ids[0]}),
        ("servers: GET /authors?offset=1&limit=1 -> the second", "GET",
         "/authors?offset=1&limit=1", XS, None, 200,
         {"list_of_authors": list_len(1), "list_of_authors.0.id": ids[1]}),
        ("servers: GET /authors?x=%2F%3F&limit=2 -> 2 (others ignored)",
         "GET", "/authors?x=%2F%3F&limit=2", XS, None, 200,
         {"list_of_authors": list_len(2)}),
        ("servers: GET /authors? (empty query) -> 200 both", "GET",
         "/authors?", XS, None, 200, {"list_of_authors": list_len(2)}),
        ("servers: GET /authors?limit=1&limit=2 -> 400", "GET",
         "/authors?limit=1&limit=2", XS, None, 400, None),
        ("servers: GET /authors?limit=0 -> 400", "GET", "/authors?limit=0",
         XS, None, 400, None),
        ("servers: GET /login?next=%2F -> 200", "GET", "/login?next=%2F",
         BASIC(u.name, u.pw), None, 200, {"token": NONEMPTY_STR}),
        ("servers: GET /users?x=1 (not an admin) -> 403", "GET",
         "/users?x=1", XS, None, 403, None),
        ("servers: POST /register?next=1 -> 201", "POST",
         "/register?next=1", (), User("srvq").reg_body(), 201,
         {"public_id": IS_UUID}),
        # Chunked request bodies.
        ("servers: POST /authors chunked -> 201", "POST", "/authors", XS,
         new_author("srvc"), 201, {"message": "new author created"},
         {"chunked": True}),
        ("servers: POST /authors chunked in 1-byte chunks -> 201", "POST",
         "/authors", XS, new_author("srv1"), 201,
         {"message": "new author created"}, {"chunked": 1}),
        ("servers: PUT /authors/{id}?x=1 chunked -> 200", "PUT",
         one + "?x=1", XS, dict(new_author("srvp"), booker_prize=True),
         200, {"author.id": ids[0], "author.booker_prize": True},
         {"chunked": True}),
        ("servers: POST /register chunked, empty -> 400 (no body)", "POST",
         "/register", (), b"", 400, None, {"chunked": True}),
        ("servers: POST /authors chunked, empty -> 400 (no body)", "POST",
         "/authors", XS, b"", 400, None, {"chunked": True}),
        # Over the limits: 64 KiB ours; 128 KiB mod_fcgid's; 1 MiB nginx's
        # default (ours is 64 KiB there too).
        ("servers: POST /authors chunked 70000 bytes -> 413", "POST",
         "/authors", XS, big, 413, None, {"chunked": True}),
        ("servers: POST /authors chunked 200000 bytes -> 413", "POST",
         "/authors", XS, padded(big[:-1], 200000), 413, None,
         {"chunked": True}),
        ("servers: POST /authors chunked 2 MB -> 413", "POST", "/authors",
         XS, padded(big[:-1], 2000000), 413, None, {"chunked": 65536}),
        ("servers: PUT /authors/{id} 200000 bytes -> 413", "PUT", one, XS,
         padded(big[:-1], 200000), 413, None, {"early": True}),
    ]
    run_table(rows)
    # Nothing of the refused bodies was stored, and the list is intact.
    r = api("GET", "/authors?limit=1000", XS, desc="servers: final list")
    lst = get_path(r.json, "list_of_authors") if r.json_ok else MISSING
    TAP.ok(isinstance(lst, list) and len(lst) == 4 and
           [a.get("id") for a in lst][:2] == ids,
           "servers: afterwards the user has exactly the 4 authors created",
           ["got %s" % show(lst)])


def sec_no_rejected_authors():
    if not A.token:
        TAP.ok(False, "no refused author request stored anything",
               ["no token"])
        return
    r = api("GET", "/authors?limit=1000", X(A.token), desc="final list")
    lst = get_path(r.json, "list_of_authors") if r.json_ok else MISSING
    if not isinstance(lst, list):
        TAP.ok(False, "no refused author request stored anything",
               ["no list: %s %s" % (r.status, short(r.body))])
        return
    leaked = [a for a in lst if isinstance(a, dict) and
              any(isinstance(a.get(k), str) and REJ in a.get(k)
                  for k in ("name", "book", "country"))]
    TAP.ok(not leaked, "no refused author request stored anything",
           ["stored: %s" % show(leaked[:10])])


def sec_logs():
    needles = []
    for t in ISSUED:
        needles.append(("an issued token", t.encode()))
        parts = t.split(".")
        if len(parts) == 3:
            needles.append(("an issued token's payload.signature",
                            (parts[1] + "." + parts[2]).encode()))
    for pw in PASSWORDS:
        b = pw.encode("utf-8")
        if len(b) >= 7:
            needles.append(("a password", b))
    for bv in BASICS:
        if len(bv) >= 12:
            needles.append(("Basic credentials", bv.encode()))
    needles.append(("a yescrypt hash ($y$)", b"$y$"))
    try:
        for _, sec in load_keys():
            SEEN_KEYS.add(sec)
    except OSError:
        pass
    SEEN_KEYS.add(KEY)
    for sec in SEEN_KEYS:
        if len(sec) >= 16:
            needles.append(("a signing key", sec))
    sources = []
    if LOG_DIR and os.path.isdir(LOG_DIR):
        for root, _, names in os.walk(LOG_DIR):
            for n in sorted(names):
                fp = os.path.join(root, n)
                try:
                    with open(fp, "rb") as fh:
                        sources.append((fp, fh.read()))
                except OSError:
                    pass
    sources += EXTRA_OUTPUT
    if not sources:
        TAP.skip("logs: no token, password or hash in the logs",
                 "LIBRARY_LOG_DIR not set or empty")
        return
    hits = []
    for label, data in sources:
        for what, nd in needles:
            if nd in data:
                i = data.find(nd)
                hits.append("%s contains %s (%s...) at byte %d" % (
                    label, what, nd[:12].decode("utf-8", "replace"), i))
    TAP.ok(not hits, "logs: no issued token, password, Basic credential, "
           "hash or key in %d log files / outputs (%d tokens, %d passwords, "
           "%d keys)" % (len(sources), len(ISSUED), len(PASSWORDS),
                         len(SEEN_KEYS)), hits[:40])


def sec_files():
    """The database, its WAL files and the key file are not readable by
    others, and a responder refuses a key file that others can read."""
    import shutil
    import stat as st_
    for f in (DB, DB + "-wal", DB + "-shm", SECRET_FILE):
        if not os.path.exists(f):
            continue
        m = os.stat(f).st_mode & 0o777
        TAP.ok(m & 0o007 == 0, "files: %s has no permission for others"
               % os.path.basename(f), ["mode %o" % m])
    d = os.path.dirname(SECRET_FILE)
    bad = os.path.join(d, "secret-world-readable")
    try:
        shutil.copyfile(SECRET_FILE, bad)
        os.chmod(bad, 0o644)
        r = run_cgi("authors", "GET", "/authors", "files: key 0644",
                    token="x.y.z", settings={"LIBRARY_SECRET_FILE": bad})
        err = (getattr(r, "stderr", b"") or b"").decode("utf-8", "replace")
        # A configuration error: the one 5xx the suite expects.
        r.expect_5xx = True
        TAP.ok(r.status == 500 and isinstance(r.json, dict) and
               r.json.get("error") == "server_misconfigured" and
               "readable by others" in err,
               "files: a responder refuses a key file others can read "
               "(500 server_misconfigured), and says why in its log",
               ["status %r, exit %r, body %s, stderr %s" % (
                   r.status, getattr(r, "returncode", None),
                   short(getattr(r, "body", b"")), short(err))])
        os.chmod(bad, 0o640)
        r = run_cgi("authors", "GET", "/authors", "files: key 0640",
                    settings={"LIBRARY_SECRET_FILE": bad})
        TAP.ok(r.status == 401, "files: a 0640 key file (group) is accepted",
               ["status %r" % r.status])
    finally:
        if os.path.exists(bad):
            os.unlink(bad)


def main():
    TAP.note("library-api e2e against %s, run suffix %s" % (URL, SFX))
    sections = [
        ("register", sec_register),
        ("login", sec_login),
        ("tokens", sec_tokens),
        ("short-lived token", sec_short_token),
        ("authors", sec_authors),
        ("cross-user", sec_cross_user),
        ("paging", sec_paging),
        ("methods and paths", sec_methods_paths),
        ("strict JSON", sec_strict),
        ("sizes", sec_sizes),
        ("servers", sec_servers),
        ("admin", sec_admin),
        ("files", sec_files),
        ("logout", sec_logout),
        ("password change", sec_password),
        ("disable", sec_disable),
        ("throttling (CGI)", sec_throttle),
        ("password throttling (CGI)", sec_password_throttle),
        ("audience (CGI)", sec_audience),
        ("timing", sec_timing),
        ("concurrency", sec_concurrency),
        ("isolation", sec_isolation),
        ("JSONTestSuite", sec_jsontestsuite),
        ("refused authors", sec_no_rejected_authors),
        ("cache headers", sec_cache_headers),
        # Last of those that use tokens: it rewrites the key file.
        ("key rotation", sec_key_rotation),
        ("every response", sec_every_response),
        ("logs", sec_logs),
    ]
    for name, fn in sections:
        try:
            fn()
        except SetupError as e:
            TAP.ok(False, "%s: setup" % name, ["stopped: %s" % e])
        except Exception as e:  # a bug here must not hide later sections
            import traceback
            TAP.ok(False, "%s: section ran to the end" % name,
                   traceback.format_exc().splitlines())
    print("1..%d" % TAP.n)
    if TAP.failed:
        TAP.note("%d of %d tests failed" % (len(TAP.failed), TAP.n))
    sys.stdout.flush()
    return 1 if TAP.failed else 0


if __name__ == "__main__":
    sys.exit(main())
