#!/usr/bin/env python3
"""bench/seed.py: fill a library-api database for bench/run, fast.

The database and its schema come from the product itself (`library-admin
init`), and the users named by --owner and --writer must exist already
(`library-admin user add`): their rows hold real password hashes, which the
other users seeded here copy (so that no yescrypt hash is computed per
seeded user).  Everything else is written in one transaction of prepared
INSERTs, with the journal off while it runs (unless --keep-journal); the
database is left in WAL mode as library-api keeps it.

    seed.py DB [--owner NAME] [--owner-authors N] [--writer NAME]
               [--writer-authors N] [--users N] [--authors N] [--keep-journal]

--users and --authors are the totals the database ends with (owner and
writer included); the other users share the other authors evenly, and the
owner's rows sit in the middle of the id range.  Prints one JSON line: what
was seeded and how long it took.  Python standard library only.
"""

import argparse
import json
import sqlite3
import sys
import time
import uuid

COUNTRIES = ("United Kingdom", "Ireland", "Nigeria", "India", "Canada",
             "Australia", "New Zealand", "South Africa", "Zimbabwe", "Japan")


def author_rows(user_id, count, now, tag):
    for i in range(count):
        yield (user_id, "Author %s-%d" % (tag, i),
               "A book of %s number %d" % (tag, i),
               COUNTRIES[i % len(COUNTRIES)], i % 7 == 0, now)


def user_id(db, name):
    row = db.execute("SELECT id, password FROM users WHERE name = ?",
                     (name,)).fetchone()
    if row is None:
        sys.exit("seed.py: no user %r: create it with library-admin user add"
                 % name)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db")
    ap.add_argument("--owner", default="bench")
    ap.add_argument("--owner-authors", type=int, default=10)
    ap.add_argument("--writer", default=None)
    ap.add_argument("--writer-authors", type=int, default=0)
    ap.add_argument("--users", type=int, default=0,
                    help="total users (0: only the existing ones)")
    ap.add_argument("--authors", type=int, default=0,
                    help="total authors (0: only owner's and writer's)")
    ap.add_argument("--keep-journal", action="store_true",
                    help="leave the journal mode alone (a database that "
                    "responders have open: WAL, as it is)")
    a = ap.parse_args()

    t0 = time.monotonic()
    db = sqlite3.connect(a.db, isolation_level=None, timeout=30)
    if not a.keep_journal:
        db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -262144")  # 256 MiB while seeding
    now = int(time.time())
    owner_id, owner_hash = user_id(db, a.owner)
    writer_id = user_id(db, a.writer)[0] if a.writer else None
    existing = db.execute("SELECT count(*) FROM users").fetchone()[0]
    others = max(0, a.users - existing)
    rest = max(0, a.authors - a.owner_authors -
               (a.writer_authors if a.writer else 0))

    db.execute("BEGIN")
    first = db.execute("SELECT coalesce(max(id), 0) FROM users").fetchone()[0]
    db.executemany(
        "INSERT INTO users (id, public_id, name, password, admin, created_at)"
        " VALUES (?, ?, ?, ?, 0, ?)",
        ((first + 1 + i, str(uuid.uuid4()), "user%07d" % i, owner_hash, now)
         for i in range(others)))
    ins = ("INSERT INTO authors (user_id, name, book, country, booker_prize,"
           " created_at) VALUES (?, ?, ?, ?, ?, ?)")

    def others_rows(lo, hi):
        # Users first+1 .. first+others share `rest` authors evenly.
        for k in range(lo, hi):
            n = rest // others + (1 if k < rest % others else 0)
            yield from author_rows(first + 1 + k, n, now, "u%d" % k)

    half = others // 2
    if others:
        db.executemany(ins, others_rows(0, half))
    db.executemany(ins, author_rows(owner_id, a.owner_authors, now, "owner"))
    if others:
        db.executemany(ins, others_rows(half, others))
    if writer_id is not None:
        db.executemany(ins, author_rows(writer_id, a.writer_authors, now,
                                        "writer"))
    db.execute("COMMIT")
    if not a.keep_journal:
        db.execute("PRAGMA journal_mode = WAL")
    users = db.execute("SELECT count(*) FROM users").fetchone()[0]
    authors = db.execute("SELECT count(*) FROM authors").fetchone()[0]
    owner_ids = [r[0] for r in db.execute(
        "SELECT id FROM authors WHERE user_id = ? ORDER BY id", (owner_id,))]
    db.close()
    print(json.dumps({"db": a.db, "users": users, "authors": authors,
                      "owner_author_ids": owner_ids,
                      "seconds": round(time.monotonic() - t0, 2)}))


if __name__ == "__main__":
    main()
