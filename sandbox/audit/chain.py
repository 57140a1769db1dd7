"""The hash chain: how each hash is computed, and the walk that checks them.

Every entry's hash covers its kept columns, a hash of its content columns
and the previous entry's hash. Retention may later empty the content
columns; the content hash stays, so the chain still verifies, and only an
entry that a recorded purge actually covered may be empty.

What the chain proves: nobody has edited, deleted, inserted or reordered
entries *without recomputing every later hash*. Someone who can write the
file can recompute them; to catch that too, note the newest hash somewhere
else (``legeplads log verify`` prints it) and check against it later with
``--anchor``.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sandbox.audit.entry import ADDED_CONTENT, ADDED_META, CONTENT_COLUMNS, ENTRY_COLUMNS, META_COLUMNS
from sandbox.audit.schema import GENESIS
from sandbox.numbers import quantity

PURGE_COLUMNS = ("id", "time", "cutoff", "purged", "head_id", "head_hash")


@dataclass(frozen=True)
class Verification:
    """The outcome of walking the chain.

    ``first_bad`` is the number of the first entry that is missing or does
    not match; ``last_hash`` is the newest entry's hash, worth writing down
    as an anchor for the next check. ``reason`` is the detail (how many
    entries were checked, or what is wrong), not the verdict: the verdict is
    worded once, in :func:`sandbox.audit.text.verification_text`.
    """

    ok: bool
    checked: int
    first_bad: int | None
    reason: str
    last_hash: str | None = None


def digest(*parts: str | bytes | int | float | None) -> str:
    """sha256 over ``parts``, each written unambiguously as tag, length and bytes.

    ``n`` for None; otherwise ``s`` (text, as UTF-8), ``i`` (integer, in
    decimal) or ``f`` (float, Python's shortest round-trip form), then the
    byte length, ``:`` and the bytes. Text may come as ``str`` (when
    appending) or as the stored UTF-8 ``bytes`` (when verifying, which skips
    decoding and re-encoding every entry); both hash alike.
    """
    hasher = hashlib.sha256()
    for part in parts:
        if part is None:
            hasher.update(b"n")
            continue
        if isinstance(part, str):
            tag, data = b"s", part.encode()
        elif type(part) is bytes:
            tag, data = b"s", part
        elif type(part) is int:
            tag, data = b"i", b"%d" % part
        elif type(part) is float:
            tag, data = b"f", repr(part).encode()
        else:
            raise TypeError(f"cannot hash a {type(part).__name__} in a log entry")
        hasher.update(b"%s%d:" % (tag, len(data)))
        hasher.update(data)
    return hasher.hexdigest()


def hashed(values: Sequence[object], added: int) -> tuple[object, ...]:
    """The column values a hash covers; the last ``added`` are columns the schema gained later.

    Those are covered only when the entry has any of them set. An entry
    written before they existed has them NULL and keeps the hash it was
    given without them; an entry that has them is hashed with them, so
    clearing or setting them afterwards breaks its hash either way.
    """
    first, later = tuple(values[: len(values) - added]), tuple(values[len(values) - added :])
    return first + later if any(value is not None for value in later) else first


def content_digest(content: Sequence[object]) -> str:
    """The hash that stands in for the content columns once they are purged."""
    return digest(*hashed(content, len(ADDED_CONTENT)))


def entry_digest(prev_hash: str, content_hash: str, meta: Sequence[object]) -> str:
    """An entry's chain hash: the previous hash, its content hash, its kept columns."""
    return digest(prev_hash, content_hash, *hashed(meta, len(ADDED_META)))


def purge_digest(prev_hash: str, purge: Sequence[object]) -> str:
    """A purge record's hash, chained to the previous purge record."""
    return digest(prev_hash, *purge)


class _Broken(Exception):
    def __init__(self, entry_id: int, reason: str) -> None:
        super().__init__(reason)
        self.entry_id = entry_id
        self.reason = reason


def verify(con: sqlite3.Connection, anchor: tuple[int, str] | None = None) -> Verification:
    """Walk the whole log in one read snapshot; stop at the first problem.

    ``anchor`` is an (entry number, hash) pair noted earlier: the entry must
    still exist and still have that hash.
    """
    con.execute("BEGIN")
    try:
        checked = 0
        last_hash: str | None = None
        try:
            purges = _purges(con)
            con.text_factory = bytes  # hash the stored UTF-8 as it is
            try:
                # Assigned step by step, so a broken chain reports the last entry that checked out.
                for step in _walk(con, purges, anchor):
                    checked, last_hash = step
            finally:
                con.text_factory = str
            _check_head(con, checked, last_hash or GENESIS, anchor)
        except _Broken as broken:
            return Verification(False, checked, broken.entry_id, broken.reason, last_hash)
        # Only the facts: the verdict ("intakt") is worded once, by sandbox.audit.text.verification_text.
        return Verification(True, checked, None, f"{quantity(checked, 'post', 'poster')} kontrolleret.", last_hash)
    finally:
        con.execute("COMMIT")


@dataclass(frozen=True)
class _Purge:
    id: int
    time: str
    cutoff: str
    head_id: int
    head_hash: str


def _purges(con: sqlite3.Connection) -> dict[int, _Purge]:
    """The purge records, after checking their own small chain."""
    purges: dict[int, _Purge] = {}
    prev = GENESIS
    query = f"SELECT {', '.join(PURGE_COLUMNS)}, prev_hash, hash FROM purges ORDER BY id"
    for row in con.execute(query):
        purge_id, time, cutoff, _, head_id, head_hash = row[:6]
        stored_prev, stored_hash = row[6:]
        where = f"Sletningen (oprydning nr. {purge_id}, {time})"
        if purge_id != len(purges) + 1:
            raise _Broken(head_id, f"Oprydning nr. {len(purges) + 1} mangler i loggen over sletninger.")
        if stored_prev != prev or purge_digest(stored_prev, row[:6]) != stored_hash:
            raise _Broken(head_id, f"{where} er ændret efter at den blev registreret.")
        purges[purge_id] = _Purge(purge_id, time, cutoff, head_id, head_hash)
        prev = stored_hash
    return purges


def _walk(
    con: sqlite3.Connection, purges: dict[int, _Purge], anchor: tuple[int, str] | None
) -> Iterator[tuple[int, str]]:
    """Yield (entries checked, hash) after each good entry; raise :class:`_Broken` at a bad one.

    Text columns arrive as bytes (see :func:`verify`).
    """
    meta_end = len(META_COLUMNS)
    content_end = meta_end + len(CONTENT_COLUMNS)
    heads: dict[int, list[_Purge]] = {}
    for purge in purges.values():
        heads.setdefault(purge.head_id, []).append(purge)

    prev = GENESIS
    expected = 1
    for row in con.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries ORDER BY id"):
        entry_id, time = row[0], row[1]
        meta, content = row[:meta_end], row[meta_end:content_end]
        content_hash, stored_prev, stored_hash = (_text(value) for value in row[content_end:-1])
        purge_id = row[-1]
        if entry_id != expected:
            if isinstance(entry_id, int) and entry_id > expected:
                raise _Broken(expected, f"Post {expected} mangler: den er slettet fra loggen.")
            raise _Broken(expected, f"Post {expected} har fået et andet nummer ({entry_id!r}).")
        if stored_prev != prev:
            raise _Broken(
                entry_id,
                f"Post {entry_id} hænger ikke sammen med post {entry_id - 1}: "
                "en tidligere post er ændret, flyttet eller slettet.",
            )
        if purge_id is None:
            if content_digest(content) != content_hash:
                raise _Broken(
                    entry_id,
                    f"Indholdet af post {entry_id} (session, prompt, beskeder, svar, fejl eller samtale) er ændret.",
                )
        else:
            _check_purged(entry_id, _text(time), content, purges.get(purge_id))
        if entry_digest(stored_prev, content_hash, meta) != stored_hash:
            raise _Broken(
                entry_id, f"Post {entry_id} er ændret: dens felter eller placering passer ikke med dens hash."
            )
        if any(purge.head_hash != stored_hash for purge in heads.get(entry_id, ())):
            raise _Broken(entry_id, f"Post {entry_id} er udskiftet, efter at en oprydning registrerede den.")
        if anchor is not None and anchor[0] == entry_id and anchor[1] != stored_hash:
            raise _Broken(
                entry_id,
                f"Post {entry_id} har ikke den hash, der blev noteret: loggen er skrevet om fra denne post eller før.",
            )
        prev = stored_hash
        yield expected, stored_hash
        expected += 1


def _text(value: object) -> object:
    """A stored hash or time back as text; anything odd stays as it is and will not match."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _check_purged(entry_id: int, time: str, content: Sequence[object], purge: _Purge | None) -> None:
    """An emptied entry is fine only if a recorded purge covered it."""
    if any(value is not None for value in content):
        raise _Broken(entry_id, f"Post {entry_id} er markeret som slettet, men har stadig indhold.")
    if purge is None:
        raise _Broken(entry_id, f"Post {entry_id} er tømt, men ingen registreret oprydning har slettet den.")
    if not (time < purge.cutoff and entry_id <= purge.head_id):
        raise _Broken(
            entry_id,
            f"Post {entry_id} er tømt, men var ikke gammel nok til oprydningen {purge.time} "
            f"(den slettede kun poster fra før {purge.cutoff}).",
        )


def _check_head(con: sqlite3.Connection, last_id: int, last_hash: str, anchor: tuple[int, str] | None) -> None:
    """The walk must end exactly where the recorded head says the log ends."""
    head = con.execute("SELECT last_id, last_hash FROM head").fetchone()
    if head is None:
        raise _Broken(last_id + 1, "Loggens registrering af den nyeste post er slettet.")
    head_id, head_hash = head
    if last_id < head_id:
        missing = f"Post {last_id + 1}" if last_id + 1 == head_id else f"Post {last_id + 1}–{head_id}"
        raise _Broken(last_id + 1, f"{missing} mangler: de nyeste poster er slettet fra loggen.")
    if last_id > head_id:
        raise _Broken(head_id + 1, f"Post {head_id + 1} er lagt ind i loggen uden om legeplads.")
    if last_hash != head_hash:
        raise _Broken(last_id, f"Den nyeste post ({last_id}) er ændret eller udskiftet.")
    if anchor is not None and anchor[0] > last_id:
        raise _Broken(anchor[0], f"Post {anchor[0]} findes ikke længere: loggen er afkortet.")
