"""The SQLite file behind the compliance log: appends, retention and reads.

One writer connection, guarded by a lock, takes SQLite's write lock
(``BEGIN IMMEDIATE``) for every append, so entries from many threads and
many processes form one linear chain. Reads open their own short-lived,
read-only connection and never wait for the writer (WAL mode).

Durability: ``synchronous=NORMAL``. A process that is killed loses nothing
it has committed; a power cut may lose the last moments, but the file and
the chain stay consistent. ``FULL`` would fsync every append, which costs
4-8 ms per prompt on a typical virtual disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO

from sandbox.audit import chain, export
from sandbox.audit.chain import Verification
from sandbox.audit.entry import (
    CONTENT_COLUMNS,
    DECISIONS,
    ENTRY_COLUMNS,
    META_COLUMNS,
    LogEntry,
    row_to_dict,
)
from sandbox.audit.schema import GENESIS, migrate
from sandbox.errors import LogError, UserError
from sandbox.paths import data_dir

LOG_FILENAME = "log.sqlite3"

# Below this much free space a prompt is refused before it is sent: one entry
# is a few kB, but the WAL grows by up to ~4 MB before SQLite checkpoints it.
MIN_FREE_BYTES = 8 * 1024 * 1024

BUSY_TIMEOUT_MS = 10_000

# Fixed width, so text order is time order and SQLite's date functions read it.
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_time(moment: datetime) -> str:
    """A moment as stored: UTC. A naive datetime means local time, as a person typing it does."""
    return moment.astimezone(UTC).strftime(TIME_FORMAT)


class AuditLog:
    """The compliance log in one SQLite file (created and migrated on open)."""

    def __init__(self, path: Path | None = None, *, clock: Callable[[], datetime] = utc_now) -> None:
        """Open or create the log; ``clock`` (aware UTC) is replaceable so retention can be tested."""
        self.path = Path(path) if path is not None else data_dir() / LOG_FILENAME
        self._clock = clock
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        # The writer is opened now to create and migrate the file, then kept.
        with self._lock:
            self._writer("Loggen kan ikke åbnes, så legeplads kan ikke sende noget til modellen.")

    # -- writing -------------------------------------------------------------

    def check_writable(self) -> None:
        """Raise :class:`LogError` unless an append would succeed now.

        The pipeline calls this before anything reaches the model: a prompt
        that could not be logged is not sent (fail closed).
        """
        consequence = "Prompten er derfor ikke sendt til modellen."
        folder = self.path.parent
        for target in (folder, self.path):
            if target.exists() and not os.access(target, os.W_OK):
                raise LogError(_readonly_message(self.path, consequence))
        if shutil.disk_usage(folder).free < MIN_FREE_BYTES:
            raise LogError(_full_message(self.path, consequence))
        with self._lock, self._writing(consequence) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")

    def append(self, entry: LogEntry) -> int:
        """Record one pipeline call at the end of the chain and return its number."""
        columns = entry.columns()
        content = tuple(columns[name] for name in CONTENT_COLUMNS)
        content_hash = chain.content_digest(content)
        with self._lock, self._writing("Kaldet er ikke registreret i loggen.") as con:
            con.execute("BEGIN IMMEDIATE")
            last_id, prev_hash = _head(con, self.path)
            row = {**columns, "id": last_id + 1, "time": format_time(self._clock())}
            meta = tuple(row[name] for name in META_COLUMNS)
            entry_hash = chain.entry_digest(prev_hash, content_hash, meta)
            values = (*meta, *content, content_hash, prev_hash, entry_hash, None)
            con.execute(
                f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) VALUES ({', '.join('?' * len(values))})",
                values,
            )
            con.execute("UPDATE head SET last_id = ?, last_hash = ?", (row["id"], entry_hash))
            con.execute("COMMIT")
            return row["id"]

    def purge(self, older_than: timedelta) -> int:
        """Erase the content of entries older than ``older_than``; return how many.

        Session, prompt, messages, response and error are overwritten (the
        file uses ``secure_delete`` and the WAL is truncated afterwards, so
        the text does not linger in free pages). Time, model, decision and
        the finding summaries stay for statistics; the content hash stays so
        the chain still verifies. The purge itself is recorded and chained.
        """
        if older_than <= timedelta(0):
            raise UserError("Opbevaringsperioden skal være længere end 0.")
        now = self._clock()
        cutoff = format_time(now - older_than)
        with self._lock, self._writing("Intet er slettet.") as con:
            con.execute("BEGIN IMMEDIATE")
            head_id, head_hash = _head(con, self.path)
            count = con.execute(
                "SELECT count(*) FROM entries WHERE time < ? AND purge_id IS NULL", (cutoff,)
            ).fetchone()[0]
            last = con.execute("SELECT id, hash FROM purges ORDER BY id DESC LIMIT 1").fetchone()
            purge_id, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
            record = (purge_id, format_time(now), cutoff, count, head_id, head_hash)
            con.execute(
                f"INSERT INTO purges ({', '.join(chain.PURGE_COLUMNS)}, prev_hash, hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*record, prev_hash, chain.purge_digest(prev_hash, record)),
            )
            emptied = ", ".join(f"{name} = NULL" for name in CONTENT_COLUMNS)
            con.execute(
                f"UPDATE entries SET {emptied}, purge_id = ? WHERE time < ? AND purge_id IS NULL",
                (purge_id, cutoff),
            )
            con.execute("COMMIT")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return count

    def close(self) -> None:
        with self._lock:
            self._drop_writer()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------

    def verify(self, anchor: tuple[int, str] | None = None) -> Verification:
        """Walk the chain; see :mod:`sandbox.audit.chain` for what it proves."""
        with self._reading() as con:
            return chain.verify(con, anchor)

    def entries(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        session: str | None = None,
        entity_type: str | None = None,
        decision: str | None = None,
        exercise_id: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Entries matching every given filter, newest first.

        ``since`` is inclusive, ``until`` exclusive; ``entity_type`` matches
        entries whose input guard found that type. Each dict has the
        :class:`LogEntry` fields plus ``id``, ``time`` (UTC, ISO 8601),
        ``purged`` and ``hash``; purged entries have ``None`` content.
        """
        where, args = _where(since, until, session, entity_type, decision, exercise_id)
        query = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries {where} ORDER BY id DESC"
        if limit is not None:
            query += " LIMIT ?"
            args.append(limit)
        with self._reading() as con:
            return [row_to_dict(row) for row in con.execute(query, args)]

    def entry(self, log_id: int) -> dict[str, Any] | None:
        """One entry by number, as :meth:`entries` returns it plus the chain fields that tie it in.

        ``content_hash`` and ``prev_hash`` are added so a reviewer looking at
        one entry sees how it links to the one before; ``None`` if no entry
        has that number.
        """
        query = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries WHERE id = ?"
        with self._reading() as con:
            row = con.execute(query, (log_id,)).fetchone()
        if row is None:
            return None
        stored = dict(zip(ENTRY_COLUMNS, row, strict=True))
        return {**row_to_dict(row), "content_hash": stored["content_hash"], "prev_hash": stored["prev_hash"]}

    def counts_per_type(self, **filters: Any) -> dict[str, int]:
        """How many entries the input guard found each entity type in, most frequent first."""
        where, args = _where(**filters)
        query = (
            "SELECT json_extract(found.value, '$.type') AS type, count(DISTINCT entries.id) AS n "
            f"FROM entries, json_each(entries.entities) AS found {where} GROUP BY type ORDER BY n DESC, type"
        )
        with self._reading() as con:
            return dict(con.execute(query, args).fetchall())

    def counts_per_day(self, **filters: Any) -> dict[date, int]:
        """Entries per local calendar day, oldest first (days without entries are absent)."""
        where, args = _where(**filters)
        query = f"SELECT date(time, 'localtime') AS day, count(*) FROM entries {where} GROUP BY day ORDER BY day"
        with self._reading() as con:
            return {date.fromisoformat(day): n for day, n in con.execute(query, args)}

    def export(
        self,
        fmt: Literal["csv", "jsonl"],
        out: TextIO | BinaryIO,
        since: datetime | None = None,
        until: datetime | None = None,
        session: str | None = None,
        titles: Mapping[str, str] | None = None,
    ) -> int:
        """Write matching entries, oldest first, to ``out``; return how many.

        ``csv`` is for Excel (UTF-8 with BOM, ``;``, Danish headers, each
        exercise by its title from ``titles``, card id → title, or its id);
        ``jsonl`` keeps every detail, one JSON object per line. A text
        ``out`` must be UTF-8 and opened with ``newline=""``.
        """
        if fmt not in export.FORMATS:
            raise UserError(f"Ukendt eksportformat {fmt!r}. Vælg csv eller jsonl.")
        where, args = _where(since, until, session)
        query = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries {where} ORDER BY id"
        with self._reading() as con, export.text_stream(out) as text:
            entries = (row_to_dict(row) for row in con.execute(query, args))
            return export.write_csv(entries, text, titles or {}) if fmt == "csv" else export.write_jsonl(entries, text)

    # -- connections -----------------------------------------------------------

    def _writer(self, consequence: str) -> sqlite3.Connection:
        """The writer connection, opened (and the schema migrated) on first use."""
        if self._con is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Only this user may read the log (SQLite gives the WAL the same
                # mode): it holds prompts, and login names when login is on.
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
                con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            except (OSError, sqlite3.Error) as error:
                raise _log_error(error, self.path, consequence) from error
            try:
                con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                con.execute("PRAGMA journal_mode = WAL")
                con.execute("PRAGMA synchronous = NORMAL")
                con.execute("PRAGMA secure_delete = ON")
                migrate(con)
            except BaseException as error:
                con.close()
                if isinstance(error, sqlite3.Error):
                    raise _log_error(error, self.path, consequence) from error
                raise
            self._con = con
        return self._con

    @contextlib.contextmanager
    def _writing(self, consequence: str) -> Iterator[sqlite3.Connection]:
        """The writer for one transaction; any failure becomes a Danish :class:`LogError`.

        A failed connection is closed (rolling back whatever was half done)
        and reopened on the next call, so the log recovers by itself once
        the disk has room again.
        """
        con = self._writer(consequence)
        try:
            yield con
        except BaseException as error:
            self._drop_writer()
            if isinstance(error, sqlite3.Error):
                raise _log_error(error, self.path, consequence) from error
            raise

    def _drop_writer(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read-only connection for one call; it cannot change the log."""
        try:
            con = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode=ro", uri=True, isolation_level=None)
        except sqlite3.Error as error:
            raise _log_error(error, self.path, "Loggen kan ikke læses.") from error
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            yield con
        except sqlite3.Error as error:
            raise _log_error(error, self.path, "Loggen kan ikke læses.") from error
        finally:
            con.close()


def _head(con: sqlite3.Connection, path: Path) -> tuple[int, str]:
    """The newest entry's number and hash, as recorded next to the chain."""
    head = con.execute("SELECT last_id, last_hash FROM head").fetchone()
    if head is None:
        raise LogError(
            f"Filen {path} er ikke en brugbar legeplads-log (den er beskadiget). `legeplads log verify` viser hvor."
        )
    return head


def _where(
    since: datetime | None = None,
    until: datetime | None = None,
    session: str | None = None,
    entity_type: str | None = None,
    decision: str | None = None,
    exercise_id: str | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause shared by every read, so all views filter alike."""
    if decision is not None and decision not in DECISIONS:
        raise UserError(f"Ukendt beslutning {decision!r}. Vælg en af: {', '.join(DECISIONS)}.")
    clauses: list[str] = []
    args: list[Any] = []
    for clause, value in (
        ("entries.time >= ?", None if since is None else format_time(since)),
        ("entries.time < ?", None if until is None else format_time(until)),
        ("entries.session = ?", session),
        ("entries.decision = ?", decision),
        ("entries.exercise_id = ?", exercise_id),
        (
            "EXISTS (SELECT 1 FROM json_each(entries.entities) WHERE json_extract(value, '$.type') = ?)",
            entity_type,
        ),
    ):
        if value is not None:
            clauses.append(clause)
            args.append(value)
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), args


def _log_error(error: BaseException, path: Path, consequence: str) -> LogError:
    """A SQLite or OS failure as a Danish sentence a person can act on."""
    name = getattr(error, "sqlite_errorname", "")
    code = getattr(error, "errno", None)
    folder_writable = os.access(path.parent, os.W_OK) if path.parent.exists() else True
    if name.startswith("SQLITE_READONLY") or code in (errno.EROFS, errno.EACCES, errno.EPERM) or (
        name.startswith("SQLITE_CANTOPEN") and not folder_writable
    ):
        return LogError(_readonly_message(path, consequence))
    if name == "SQLITE_FULL" or code == errno.ENOSPC:
        return LogError(_full_message(path, consequence))
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return LogError(f"Loggen {path} er optaget af et andet program, der ikke slipper den. {consequence}")
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
        return LogError(f"Filen {path} er ikke en brugbar legeplads-log (den er beskadiget). {consequence}")
    return LogError(f"Loggen {path} kan ikke bruges: {error}. {consequence}")


def _readonly_message(path: Path, consequence: str) -> str:
    return f"Loggen kan ikke skrives, fordi mappen {path.parent} eller filen er skrivebeskyttet. {consequence}"


def _full_message(path: Path, consequence: str) -> str:
    return f"Loggen kan ikke skrives, fordi disken med {path.parent} er fuld. Frigør plads. {consequence}"
