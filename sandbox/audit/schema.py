"""The log's tables, versioned with ``PRAGMA user_version``.

A log written today must still open and verify after an upgrade, so the
schema only ever moves forward through the numbered steps below; a database
from a newer legeplads is refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3

from sandbox.errors import LogError

GENESIS = "0" * 64  # the "previous hash" of the first entry and of the first purge

# MIGRATIONS[n] brings a database from version n to n + 1. Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # Retention runs, chained among themselves and tied to the entry chain
        # by the head they saw, so a purge cannot be invented after the fact
        # without breaking a hash.
        """CREATE TABLE purges (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            cutoff TEXT NOT NULL,
            purged INTEGER NOT NULL,
            head_id INTEGER NOT NULL,
            head_hash TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )""",
        """CREATE TABLE entries (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            exercise_id TEXT,
            model_name TEXT NOT NULL,
            model_sha256 TEXT,
            backend TEXT NOT NULL,
            params TEXT NOT NULL,
            entities TEXT NOT NULL,
            warnings TEXT NOT NULL,
            decision TEXT NOT NULL,
            output_findings TEXT NOT NULL,
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            finish_reason TEXT,
            latency_ms REAL,
            guard_config TEXT NOT NULL,
            allowed_types TEXT NOT NULL,
            session TEXT,
            messages TEXT,
            prompt TEXT,
            response TEXT,
            error TEXT,
            content_hash TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            purge_id INTEGER REFERENCES purges(id)
        )""",
        "CREATE INDEX entries_time ON entries(time)",
        "CREATE INDEX entries_session ON entries(session)",
        # The last id and hash, updated in the same transaction as every
        # append: deleting the newest entries leaves the chain shorter than
        # its recorded head, which verify reports.
        """CREATE TABLE head (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            last_id INTEGER NOT NULL,
            last_hash TEXT NOT NULL
        )""",
        f"INSERT INTO head VALUES (1, 0, '{GENESIS}')",
    ),
    (
        # Conversations in the Legeplads tab: each turn is its own entry, linked by
        # the conversation's id and numbered. NULL for everything else, and for every
        # entry written before (their hashes do not cover these columns).
        "ALTER TABLE entries ADD COLUMN turn INTEGER",
        "ALTER TABLE entries ADD COLUMN conversation_id TEXT",
        "CREATE INDEX entries_conversation ON entries(conversation_id)",
    ),
)
VERSION = len(MIGRATIONS)


def migrate(con: sqlite3.Connection) -> None:
    """Bring the database up to :data:`VERSION`, inside one write transaction.

    The version is read again after the write lock is taken, so two
    processes opening a new log at once migrate it exactly once.
    """
    version = _version(con)
    _refuse_newer(version)
    if version == VERSION:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        version = _version(con)
        _refuse_newer(version)
        for step in MIGRATIONS[version:]:
            for statement in step:
                con.execute(statement)
        con.execute(f"PRAGMA user_version = {VERSION}")
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise


def _refuse_newer(version: int) -> None:
    if version > VERSION:
        raise LogError(
            f"Logfilen er skrevet af en nyere udgave af legeplads (skemaversion {version}; "
            f"denne udgave kender op til {VERSION}). Opdatér legeplads for at bruge den."
        )


def _version(con: sqlite3.Connection) -> int:
    return con.execute("PRAGMA user_version").fetchone()[0]
