"""The compliance log on real SQLite files: chain, tampering, retention, export, faults.

Tampering is done the way someone with the file would do it: raw SQL on
the database. Faults are real where the machine allows it (a tmpfs mounted
read-only, a tmpfs filled to the last byte, a process killed with SIGKILL).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.audit import DECISIONS, AuditLog, LogEntry, Verification
from sandbox.audit.chain import content_digest, entry_digest
from sandbox.audit.entry import CONTENT_COLUMNS, ENTRY_COLUMNS, FINISH_REASONS, META_COLUMNS
from sandbox.audit.labels import (
    ART9_LABELS,
    DECISION_LABELS,
    ENTITY_LABELS,
    FINISH_LABELS,
    exercise_title,
    finish_label,
)
from sandbox.audit.schema import VERSION
from sandbox.audit.store import MIN_FREE_BYTES
from sandbox.audit.text import entry_text, findings_text, verification_text
from sandbox.errors import LogError, UserError
from sandbox.exercises import card_titles, get_card, load_cards
from sandbox.guards.art9 import TERMS as ART9_TERMS
from sandbox.guards.result import ENTITY_TYPES

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


def make_entry(**changes: object) -> LogEntry:
    """A realistic entry: a redacted letter request and its masked answer."""
    base = LogEntry(
        session="s-0a1b2c3d",
        exercise_id="brev-1",
        model_name="gemma-3-270m-it",
        model_sha256="3f2a9c1d0b7e" + "5a" * 26,  # a full sha256: 64 hex digits
        backend="llama.cpp",
        params={"temperature": 0.7, "top_p": 0.95, "top_k": 40, "repeat_penalty": 1.1,
                "max_tokens": 256, "seed": 1234, "top_logprobs": 0},
        messages=[
            {"role": "system", "content": "Du er en hjælpsom assistent i en kommune."},
            {"role": "user", "content": "Skriv et svar til <PERSON_1> om hans ansøgning om boligstøtte."},
        ],
        prompt="Skriv et svar til <PERSON_1> om hans ansøgning om boligstøtte.",
        entities=[{"type": "PERSON", "count": 1, "max_score": 0.85, "min_score": 0.85,
                   "recognizers": ["SpacyRecognizer"], "action": "redact"}],
        warnings=[],
        decision="redacted",
        output_findings=[],
        response="Kære <PERSON_1>. Tak for din ansøgning om boligstøtte.",
        prompt_tokens=31,
        completion_tokens=12,
        finish_reason="stop",
        latency_ms=812.5,
        error=None,
        guard_config="a1b2c3d4e5f6",
    )
    return replace(base, **changes)


class Clock:
    """A settable UTC clock, so retention and periods can be tested without waiting."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    with AuditLog(tmp_path / "log.sqlite3") as opened:
        yield opened


def filled(log: AuditLog, n: int = 5) -> AuditLog:
    """``n`` entries; from the third on, turns of one conversation (so every column is set somewhere)."""
    for i in range(n):
        turn = {"conversation_id": "c-0123456789abcdef", "turn": i - 1} if i >= 2 else {}
        log.append(make_entry(prompt=f"Opgave {i} til <PERSON_1>", **turn))
    return log


def tamper(log: AuditLog, *statements: str, args: tuple = ()) -> None:
    """Change the file behind the log's back, as someone with the file could."""
    con = sqlite3.connect(log.path)
    for statement in statements:
        con.execute(statement, args if "?" in statement else ())
    con.commit()
    con.close()


# -- the chain ---------------------------------------------------------------


def test_appends_are_numbered_and_the_chain_verifies(log: AuditLog) -> None:
    ids = [log.append(make_entry()) for _ in range(3)]
    assert ids == [1, 2, 3]
    result = log.verify()
    assert (result.ok, result.checked, result.first_bad) == (True, 3, None)
    assert result.last_hash == log.entries(limit=1)[0]["hash"]


def test_the_count_of_checked_entries_agrees_with_its_noun(log: AuditLog) -> None:
    log.append(make_entry())
    assert log.verify().reason == "1 post kontrolleret."
    log.append(make_entry())
    assert log.verify().reason == "2 poster kontrolleret."


def test_an_empty_log_verifies(log: AuditLog) -> None:
    result = log.verify()
    assert (result.ok, result.checked, result.last_hash) == (True, 0, None)


def test_an_entry_reads_back_as_it_was_given(log: AuditLog) -> None:
    given = make_entry(latency_ms=812, allowed_types=["LOCATION"], exercise_id=None)
    log.append(given)
    [stored] = log.entries()
    for name, value in asdict(given).items():
        assert stored[name] == (list(value) if name == "allowed_types" else value), name
    assert stored["params"]["seed"] == 1234
    assert stored["purged"] is False
    assert log.verify().ok, "an int latency is stored as REAL and must hash the same"


@pytest.mark.parametrize("column", [c for c in ENTRY_COLUMNS if c != "id"])
def test_editing_any_column_breaks_the_chain_at_that_entry(log: AuditLog, column: str) -> None:
    filled(log)
    con = sqlite3.connect(log.path)
    (value,) = con.execute(f"SELECT {column} FROM entries WHERE id = 3").fetchone()
    con.close()
    changed = "x" if value is None else value + 1 if isinstance(value, (int, float)) else value + "x"
    tamper(log, f"UPDATE entries SET {column} = ? WHERE id = 3", args=(changed,))
    result = log.verify()
    assert not result.ok
    assert result.first_bad == 3
    assert result.checked == 2
    assert "post 3" in result.reason.lower()


@pytest.mark.parametrize(("column", "value"), [("turn", 1), ("conversation_id", "c-0123456789abcdef")])
def test_making_a_lone_entry_a_conversation_turn_breaks_the_chain(log: AuditLog, column: str, value: object) -> None:
    filled(log)
    tamper(log, f"UPDATE entries SET {column} = ? WHERE id = 2", args=(value,))
    assert (log.verify().ok, log.verify().first_bad) == (False, 2)


def test_a_log_from_before_conversations_migrates_and_still_verifies(tmp_path: Path) -> None:
    """Entries hashed before the conversation columns existed keep their hashes; new turns chain on."""
    from sandbox.audit.chain import digest
    from sandbox.audit.schema import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        con.execute(statement)
    con.execute("PRAGMA user_version = 1")
    old_meta = META_COLUMNS[: META_COLUMNS.index("turn")]
    old_content = CONTENT_COLUMNS[: CONTENT_COLUMNS.index("conversation_id")]
    columns = {**make_entry().columns(), "id": 1, "time": "2025-03-01T09:30:00.000000Z"}
    meta, content = [columns[c] for c in old_meta], [columns[c] for c in old_content]
    content_hash = digest(*content)  # the formula of the first schema, written out
    entry_hash = digest("0" * 64, content_hash, *meta)
    con.execute(
        f"INSERT INTO entries ({', '.join((*old_meta, *old_content))}, content_hash, prev_hash, hash)"
        f" VALUES ({', '.join('?' * (len(meta) + len(content) + 3))})",
        (*meta, *content, content_hash, "0" * 64, entry_hash),
    )
    con.execute("UPDATE head SET last_id = 1, last_hash = ?", (entry_hash,))
    con.close()
    with AuditLog(path) as log:
        assert log.verify().ok, "the old entry verifies after the migration"
        log.append(make_entry(conversation_id="c-0123456789abcdef", turn=2))
        result = log.verify()
        assert (result.ok, result.checked) == (True, 2)
        old, new = sorted(log.entries(), key=lambda e: e["id"])
        assert (old["conversation_id"], old["turn"]) == (None, None)
        assert (new["conversation_id"], new["turn"]) == ("c-0123456789abcdef", 2)


def test_a_turn_shows_its_conversation_in_the_csv_and_the_terminal(log: AuditLog) -> None:
    log.append(make_entry(conversation_id="c-0123456789abcdef", turn=3))
    log.append(make_entry())
    out = io.BytesIO()
    log.export("csv", out)
    header, turn, lone = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline=""), delimiter=";"))
    cells = dict(zip(header, turn, strict=True))
    assert (cells["Samtale-id"], cells["Tur i samtalen"]) == ("c-0123456789abcdef", "3")
    assert dict(zip(header, lone, strict=True))["Tur i samtalen"] == ""
    newest, older = log.entries()
    assert "tur 3 i samtale c-0123456789abcdef" in entry_text(older)
    assert "samtale" not in entry_text(newest)


def test_an_entry_is_a_turn_with_both_an_id_and_a_number_or_neither() -> None:
    with pytest.raises(ValueError, match="turn"):
        make_entry(conversation_id="c-0123456789abcdef")
    with pytest.raises(ValueError, match="turn"):
        make_entry(conversation_id="c-0123456789abcdef", turn=0)


def test_editing_the_text_is_named_as_a_content_change(log: AuditLog) -> None:
    filled(log)
    tamper(log, "UPDATE entries SET prompt = 'Skriv til Jens Hansen' WHERE id = 2")
    result = log.verify()
    assert result.first_bad == 2
    assert result.reason.startswith("Indholdet af post 2")


@pytest.mark.parametrize(
    ("deleted", "first_bad", "words"), [(3, 3, "Post 3 mangler"), (1, 1, "Post 1 mangler"), (5, 5, "nyeste")]
)
def test_deleting_an_entry_is_found(log: AuditLog, deleted: int, first_bad: int, words: str) -> None:
    filled(log)
    tamper(log, f"DELETE FROM entries WHERE id = {deleted}")
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, first_bad)
    assert words in result.reason


def test_reordering_entries_is_found(log: AuditLog) -> None:
    filled(log)
    tamper(
        log,
        "UPDATE entries SET id = -1 WHERE id = 2",
        "UPDATE entries SET id = 2 WHERE id = 4",
        "UPDATE entries SET id = 4 WHERE id = -1",
    )
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, 2)


def test_an_entry_slipped_in_without_the_log_is_found(log: AuditLog) -> None:
    filled(log, 3)
    columns = ", ".join(ENTRY_COLUMNS)
    tamper(log, f"INSERT INTO entries ({columns}) SELECT 4, {columns.split(', ', 1)[1]} FROM entries WHERE id = 3")
    result = log.verify()
    assert (result.ok, result.first_bad) == (False, 4)


def test_deleting_the_recorded_head_is_found_and_stops_appends(log: AuditLog) -> None:
    filled(log, 2)
    tamper(log, "DELETE FROM head")
    assert log.verify().first_bad == 3
    with pytest.raises(LogError, match="beskadiget"):
        log.append(make_entry())


def test_a_full_rewrite_is_caught_by_an_anchor(log: AuditLog) -> None:
    """Someone who recomputes every later hash fools the chain, not a noted anchor."""
    filled(log)
    anchor = (5, log.verify().last_hash)
    con = sqlite3.connect(log.path)
    con.execute("UPDATE entries SET prompt = 'Skriv til Jens Hansen' WHERE id = 3")
    prev = con.execute("SELECT hash FROM entries WHERE id = 2").fetchone()[0]
    for row in con.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM entries WHERE id >= 3 ORDER BY id").fetchall():
        stored = dict(zip(ENTRY_COLUMNS, row, strict=True))
        content = content_digest([stored[c] for c in CONTENT_COLUMNS])
        new = entry_digest(prev, content, [stored[c] for c in META_COLUMNS])
        con.execute(
            "UPDATE entries SET content_hash = ?, prev_hash = ?, hash = ? WHERE id = ?",
            (content, prev, new, stored["id"]),
        )
        prev = new
    con.execute("UPDATE head SET last_hash = ?", (prev,))
    con.commit()
    con.close()

    assert log.verify().ok, "without an anchor a complete rewrite is invisible (documented limit)"
    result = log.verify(anchor=anchor)
    assert (result.ok, result.first_bad) == (False, 5)
    assert "noteret" in result.reason
    assert log.verify(anchor=(9, anchor[1])).first_bad == 9


# -- retention ---------------------------------------------------------------


def test_purge_empties_old_entries_and_the_chain_still_verifies(tmp_path: Path) -> None:
    clock = Clock()
    with AuditLog(tmp_path / "log.sqlite3", clock=clock) as log:
        for i in range(3):
            log.append(make_entry(prompt=f"gammel-opgave-{i}", session="s-old"))
        clock.now = T0 + timedelta(days=40)
        for i in range(2):
            log.append(make_entry(prompt=f"ny-opgave-{i}", session="s-new"))
        clock.now = T0 + timedelta(days=45)

        assert log.purge(timedelta(days=30)) == 3
        assert log.verify().ok
        old = [e for e in log.entries() if e["purged"]]
        assert [e["id"] for e in old] == [3, 2, 1]
        for e in old:
            assert [e[c] for c in CONTENT_COLUMNS] == [None] * len(CONTENT_COLUMNS)
            assert e["entities"][0]["type"] == "PERSON", "summaries are kept for statistics"
        assert [e["prompt"] for e in log.entries(session="s-new")] == ["ny-opgave-1", "ny-opgave-0"]

        assert log.purge(timedelta(days=30)) == 0, "a second run finds nothing new"
        log.append(make_entry())
        assert log.verify().checked == 6


def test_purged_text_is_gone_from_the_file_and_the_wal(tmp_path: Path) -> None:
    clock = Clock()
    with AuditLog(tmp_path / "log.sqlite3", clock=clock) as log:
        long_prompt = "lang-gammel-tekst " * 2000  # spills into overflow pages
        log.append(make_entry(prompt="kort-gammel-tekst-æøå", response="gammelt-svar-æøå", session="s-gammel1"))
        log.append(make_entry(prompt=long_prompt, session="s-gammel2"))
        clock.now = T0 + timedelta(days=60)
        log.append(make_entry(prompt="ny-tekst-æøå"))
        log.purge(timedelta(days=30))
        stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("log.sqlite3"))
    for old in ("kort-gammel-tekst-æøå", "gammelt-svar-æøå", "lang-gammel-tekst", "s-gammel1", "s-gammel2"):
        assert old.encode() not in stored, old
    assert "ny-tekst-æøå".encode() in stored, "the scan must see text that is still there"


def test_purged_entries_stay_tamper_evident(tmp_path: Path) -> None:
    clock = Clock()
    with AuditLog(tmp_path / "log.sqlite3", clock=clock) as log:
        filled(log, 3)
        clock.now = T0 + timedelta(days=31)
        log.append(make_entry())
        log.purge(timedelta(days=30))
        tamper(log, "UPDATE entries SET decision = 'sent' WHERE id = 2")
        assert log.verify().first_bad == 2


def test_emptying_a_recent_entry_is_not_a_purge(tmp_path: Path) -> None:
    clock = Clock()
    with AuditLog(tmp_path / "log.sqlite3", clock=clock) as log:
        filled(log, 2)
        clock.now = T0 + timedelta(days=31)
        log.append(make_entry())
        log.purge(timedelta(days=30))
        emptied = ", ".join(f"{c} = NULL" for c in CONTENT_COLUMNS)
        tamper(log, f"UPDATE entries SET {emptied}, purge_id = 1 WHERE id = 3")
        result = log.verify()
        assert result.first_bad == 3
        assert "ikke gammel nok" in result.reason


def test_editing_a_purge_record_is_found(tmp_path: Path) -> None:
    clock = Clock()
    with AuditLog(tmp_path / "log.sqlite3", clock=clock) as log:
        filled(log, 2)
        clock.now = T0 + timedelta(days=31)
        log.purge(timedelta(days=30))
        tamper(log, "UPDATE purges SET cutoff = '2099-01-01T00:00:00.000000Z'")
        result = log.verify()
        assert not result.ok
        assert "Sletningen" in result.reason


def test_purge_refuses_a_zero_age(log: AuditLog) -> None:
    with pytest.raises(UserError, match="længere end 0"):
        log.purge(timedelta(0))


# -- review: the read API ----------------------------------------------------


def test_entries_filter_by_everything_the_compliance_view_offers(tmp_path: Path) -> None:
    clock = Clock()
    cpr = {"type": "CPR_NUMBER", "count": 1, "max_score": 1.0, "min_score": 1.0,
           "recognizers": ["DaCprRecognizer"], "action": "redact"}
    with AuditLog(tmp_path / "log.sqlite3", clock=clock) as log:
        log.append(make_entry(session="s-a"))
        clock.now = T0 + timedelta(days=1)
        log.append(make_entry(session="s-b", entities=[cpr], exercise_id="journal-2"))
        clock.now = T0 + timedelta(days=2)
        log.append(make_entry(session="s-a", decision="blocked", response=None, entities=[cpr]))
        log.append(make_entry(session="s-a", decision="sent", entities=[]))

        def ids(**filters: object) -> list[int]:
            return [e["id"] for e in log.entries(**filters)]

        assert ids() == [4, 3, 2, 1]
        assert ids(session="s-a") == [4, 3, 1]
        assert ids(entity_type="CPR_NUMBER") == [3, 2]
        assert ids(decision="blocked") == [3]
        assert ids(exercise_id="journal-2") == [2]
        assert ids(since=T0 + timedelta(days=1), until=T0 + timedelta(days=2)) == [2]
        assert ids(session="s-a", entity_type="CPR_NUMBER") == [3]
        assert ids(limit=2) == [4, 3]
        with pytest.raises(UserError, match="Ukendt beslutning"):
            log.entries(decision="maybe")


def test_counts_per_type_and_per_day(tmp_path: Path) -> None:
    clock = Clock()
    person = make_entry().entities[0]
    with AuditLog(tmp_path / "log.sqlite3", clock=clock) as log:
        log.append(make_entry())
        log.append(make_entry(entities=[person, person]))  # found in prompt and system prompt
        clock.now = T0 + timedelta(days=1)
        log.append(make_entry(entities=[]))
        assert log.counts_per_type() == {"PERSON": 2}
        assert log.counts_per_type(since=T0 + timedelta(days=1)) == {}
        days = [T0.astimezone().date(), (T0 + timedelta(days=1)).astimezone().date()]
        assert log.counts_per_day() == {days[0]: 2, days[1]: 1}
        assert log.counts_per_day(entity_type="PERSON") == {days[0]: 2}


# -- export ------------------------------------------------------------------


def test_csv_export_opens_in_danish_excel(log: AuditLog) -> None:
    log.append(make_entry(prompt="Søg om ældrebolig på Ærø", response="=HYPERLINK(\"x\")", latency_ms=1234.56))
    out = io.BytesIO()
    assert log.export("csv", out) == 1
    raw = out.getvalue()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, row = rows
    cell = dict(zip(header, row, strict=True))
    assert cell["Prompt (maskeret)"] == "Søg om ældrebolig på Ærø"
    assert cell["Svar (maskeret)"].startswith("'="), "a formula is defused"
    assert cell["Svartid (ms)"] == "1234,6"
    assert cell["Beslutning"] == "maskeret"
    assert cell["Fundet i prompten"] == "Navn ×1"
    assert cell["Parametre (inkl. seed)"] == (
        "temperatur 0,7; top-p 0,95; top-k 40; gentagelsesstraf 1,1; maks. antal tokens 256; seed 1234; "
        "alternativer pr. token 0"
    ), "Danish words and decimal commas, not the stored JSON"
    assert cell["Modelfilens sha256"] == "3f2a9c1d0b7e" + "5a" * 26, "the full sha256, not a prefix"


def test_csv_headers_are_danish(log: AuditLog) -> None:
    """The review found "Parametre" as JSON with English keys, and headers like "Backend" and "Hash"."""
    log.append(make_entry())
    out = io.BytesIO()
    log.export("csv", out)
    header = next(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline=""), delimiter=";"))
    english = {"Backend", "Hash", "Model-sha256", "Params", "Parameters", "Error", "Response", "Time"}
    assert not english & set(header)
    assert {"Modelfilens sha256", "Afvikling (backend)", "Postens hash", "Parametre (inkl. seed)"} <= set(header)


def finding(kind: str, count: int) -> dict:
    return {"type": kind, "count": count, "max_score": 0.9, "min_score": 0.8, "recognizers": ["R"], "action": "redact"}


# What the review found in the Log tab: codes in the order the guard reported them.
AS_REPORTED = {
    "entities": [finding("PERSON", 6), finding("ADRESSE", 1)],
    "warnings": [{"category": "STRAFFEFORHOLD", "count": 1}, {"category": "HELBRED", "count": 2}],
    "allowed_types": ["PERSON", "ADRESSE"],
    "output_findings": [finding("PERSON", 1)],
    "exercise_id": "bias-koen",
    "finish_reason": "length",
    "params": {"temperature": 0.7, "seed": 7, "decoded_together": 3},
    "messages": [{"role": "system", "content": "Svar kort."}, {"role": "user", "content": "Hej [PERSON_1]"}],
}


def test_csv_shows_danish_words_and_jsonl_keeps_the_codes(log: AuditLog) -> None:
    log.append(make_entry(**AS_REPORTED))
    out = io.BytesIO()
    log.export("csv", out, titles=card_titles())
    header, row = csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline=""), delimiter=";")
    cell = dict(zip(header, row, strict=True))
    assert cell["Fundet i prompten"] == "Adresse ×1, Navn ×6", "labels, in the fixed order of the labels table"
    assert cell["Art. 9-advarsler"] == "helbred ×2, strafbare forhold (art. 10) ×1"
    assert cell["Fundet i svaret"] == "Navn ×1"
    assert cell["Tilladt umaskeret"] == "Adresse, Navn"
    assert cell["Stopårsag"] == "grænse for tokens"
    assert (cell["Øvelse"], cell["Øvelse-id"]) == (get_card("bias-koen").title, "bias-koen")
    assert cell["Parametre (inkl. seed)"].endswith("svar regnet på én gang 3"), cell["Parametre (inkl. seed)"]
    sent = cell["Sendt til modellen"]
    assert sent.startswith("[systeminstruks]\n") and "\n\n[bruger]\n" in sent, "roles in Danish"
    assert header.index("Øvelse-id") == header.index("Øvelse") + 1

    out = io.StringIO(newline="")
    log.export("jsonl", out)
    stored = json.loads(out.getvalue())
    assert [f["type"] for f in stored["entities"]] == ["PERSON", "ADRESSE"], "JSONL keeps codes, as reported"
    assert [w["category"] for w in stored["warnings"]] == ["STRAFFEFORHOLD", "HELBRED"]
    assert (stored["finish_reason"], stored["exercise_id"]) == ("length", "bias-koen")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"finish_reason": "stop"}, "færdig"),
        ({"finish_reason": "length"}, "grænse for tokens"),
        ({"finish_reason": "cancelled"}, "stoppet af brugeren"),
        ({"finish_reason": None, "decision": "blocked", "error": "blokeret af værnets politik"}, "ikke sendt"),
        ({"finish_reason": None, "decision": "guard_error", "error": "Værnet kunne ikke køre."}, "ikke sendt"),
        ({"finish_reason": None, "error": "Modellen svarede ikke."}, "fejl"),
    ],
    ids=["stop", "length", "cancelled", "blocked", "guard-error", "model-error"],
)
def test_every_way_an_answer_ends_has_danish_words(log: AuditLog, changes: dict, words: str) -> None:
    entry_id = log.append(make_entry(**changes))
    entry = log.entries()[0]
    assert entry["id"] == entry_id
    assert finish_label(entry) == words
    assert f"stopårsag: {words}" in entry_text(entry)


def test_free_prompts_and_vanished_cards_still_say_what_they_were(log: AuditLog) -> None:
    log.append(make_entry(exercise_id=None))
    log.append(make_entry(exercise_id="omdoebt-kort", entities=[finding("NYTYPE", 2)]))
    free, vanished = reversed(log.entries())
    titles = card_titles()
    assert exercise_title(free["exercise_id"], titles) == "fri prompt"
    assert exercise_title(vanished["exercise_id"], titles) == "omdoebt-kort", "an unknown id is shown, not hidden"
    assert findings_text(vanished["entities"]) == "NYTYPE ×2", "an unknown type is shown as its code"
    assert "øvelse omdoebt-kort" in entry_text(vanished, titles=titles)


def test_every_code_the_log_can_hold_has_a_danish_label() -> None:
    assert list(ENTITY_LABELS) == list(ENTITY_TYPES), "every guard type, in the guard's order"
    assert set(ART9_LABELS) == set(ART9_TERMS)
    assert set(DECISION_LABELS) == set(DECISIONS)
    assert set(FINISH_LABELS) == set(FINISH_REASONS)
    assert set(card_titles()) == {card.id for card in load_cards()}


def test_the_documented_labels_are_the_ones_the_log_uses() -> None:
    """docs/compliance-log.md tells the reviewer which code is which word; it must not drift."""
    docs = (ROOT / "docs/compliance-log.md").read_text()
    documented = dict(re.findall(r"^\| `([A-ZÆØÅ_]+)` \| ([^|]+?) \|", docs, re.M))
    assert documented == {**ENTITY_LABELS, **ART9_LABELS}


def test_the_chain_verdict_is_said_once() -> None:
    intact = Verification(True, 12, None, "12 poster kontrolleret.", "ab" * 32)
    broken = Verification(False, 1, 2, "Post 2 mangler: den er slettet fra loggen.", "ab" * 32)
    for result in (intact, broken):
        text = " ".join(verification_text(result))
        assert text.lower().count("intakt") == 1, text
    assert " ".join(verification_text(intact)) == "Kæden er intakt. 12 poster kontrolleret."
    assert verification_text(broken) == (
        "Kæden er IKKE intakt.",
        "Første brud: post 2. Post 2 mangler: den er slettet fra loggen.",
    )


def test_jsonl_export_keeps_every_field(log: AuditLog) -> None:
    filled(log, 3)
    out = io.StringIO(newline="")
    assert log.export("jsonl", out) == 3
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines == list(reversed(log.entries()))


def test_export_filters_by_period_and_session(tmp_path: Path) -> None:
    clock = Clock()
    with AuditLog(tmp_path / "log.sqlite3", clock=clock) as log:
        for day, session in enumerate(["s-a", "s-b", "s-a", "s-a"]):
            clock.now = T0 + timedelta(days=day)
            log.append(make_entry(session=session))
        out = io.BytesIO()
        assert log.export("jsonl", out, since=T0 + timedelta(days=1), until=T0 + timedelta(days=3), session="s-a") == 1
        assert json.loads(out.getvalue())["id"] == 3
        out = io.BytesIO()
        assert log.export("csv", out, session="s-b") == 1
    with pytest.raises(UserError, match="csv eller jsonl"):
        log.export("xml", io.BytesIO())


# -- concurrency and crashes -------------------------------------------------


def test_many_threads_make_one_linear_chain(log: AuditLog) -> None:
    def work(worker: int) -> None:
        for i in range(50):
            log.append(make_entry(session=f"s-{worker}", prompt=f"tråd {worker} nr. {i}"))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = log.verify()
    assert (result.ok, result.checked) == (True, 400)
    assert sorted(e["id"] for e in log.entries()) == list(range(1, 401))


APPENDER = """
import json, sys
from pathlib import Path
from sandbox.audit import AuditLog, LogEntry
entry = LogEntry(**json.loads(sys.argv[2]))
log = AuditLog(Path(sys.argv[1]))
for _ in range(int(sys.argv[3])):
    print(log.append(entry), flush=True)
"""


def appender(path: Path, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", APPENDER, str(path), json.dumps(asdict(make_entry())), str(count)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_two_processes_make_one_linear_chain(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    AuditLog(path).close()
    workers = [appender(path, 100) for _ in range(2)]
    outputs = [worker.communicate(timeout=120)[0].split() for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert sorted(int(i) for out in outputs for i in out) == list(range(1, 201))
    with AuditLog(path) as log:
        assert (log.verify().ok, log.verify().checked) == (True, 200)


def test_a_process_killed_mid_burst_leaves_a_verifiable_log(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    worker = appender(path, 1_000_000)
    committed = 0
    assert worker.stdout is not None
    for line in worker.stdout:
        committed = int(line)
        if committed >= 300:
            break
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL
    with AuditLog(path) as log:
        result = log.verify()
        assert result.ok, result.reason
        assert result.checked >= committed, "everything reported as committed is there"
        log.append(make_entry())
        assert log.verify().ok


# -- faults: read-only folder, full disk ---------------------------------------
#
# Each fault is provoked for real, in one of two ways, and both run wherever
# they can: a small tmpfs remounted read-only or filled to the last byte; or,
# without mounting, a folder without write permission for a process that
# cannot override file modes (root can, so that process runs without the
# capabilities that let it: CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
# CAP_FOWNER) and a file-size limit (RLIMIT_FSIZE) that makes the kernel
# refuse the write.
# Where tmpfs cannot be mounted, the tmpfs variant uses the other way; a
# fault test is never skipped, so CI cannot go green without it.

# Run as root, a process started through this cannot write where the file modes say no.
WITHOUT_ROOT_POWERS = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]


class Tmpfs:
    """A 32 MB tmpfs: remounted read-only, or filled until the kernel says ENOSPC."""

    seen_by_free_space = True  # check_writable's disk_usage sees a full tmpfs

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read_only(self) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(self.folder)], check=True)

    def writable(self) -> None:
        subprocess.run(["mount", "-o", "remount,rw", str(self.folder)], check=True)

    def fill(self) -> None:
        with pytest.raises(OSError), (self.folder / "filler").open("wb") as out:
            while True:
                out.write(b"\0" * 65536)
                out.flush()

    def free(self) -> None:
        (self.folder / "filler").unlink()


class Permissions:
    """A folder and files without write permission, for a process that cannot override file modes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read_only(self) -> None:
        for path in self.folder.iterdir():
            path.chmod(0o444)
        self.folder.chmod(0o555)

    def writable(self) -> None:
        self.folder.chmod(0o755)
        for path in self.folder.iterdir():
            path.chmod(0o644)


class FileSizeLimit:
    """RLIMIT_FSIZE just above what the log's files hold: a write past it fails with EFBIG.

    Only set in a process of its own (it limits every file that process
    writes); SIGXFSZ is ignored so the write fails instead of killing it.
    """

    seen_by_free_space = False  # free space is plenty; only the write itself fails

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def fill(self) -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        largest = max(p.stat().st_size for p in self.folder.iterdir())
        resource.setrlimit(resource.RLIMIT_FSIZE, (largest + 16_384, resource.RLIM_INFINITY))

    def free(self) -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def read_only_folder_refuses_a_new_log(fault: Tmpfs | Permissions) -> None:
    fault.read_only()
    with pytest.raises(LogError, match="skrivebeskyttet"):
        AuditLog(fault.folder / "log.sqlite3")


def read_only_folder_is_refused_before_sending(fault: Tmpfs | Permissions) -> None:
    log = AuditLog(fault.folder / "log.sqlite3")
    log.append(make_entry())
    log.close()  # a file system with files open for writing cannot be remounted read-only
    fault.read_only()
    with pytest.raises(LogError, match="skrivebeskyttet") as refused:
        log.check_writable()
    assert "ikke sendt til modellen" in refused.value.message
    with pytest.raises(LogError, match="skrivebeskyttet"):
        log.append(make_entry())
    fault.writable()
    log.check_writable()
    assert log.append(make_entry()) == 2
    assert log.verify().ok
    log.close()


def full_disk_is_refused_and_the_log_recovers(fault: Tmpfs | FileSizeLimit) -> None:
    log = AuditLog(fault.folder / "log.sqlite3")
    log.append(make_entry())
    log.check_writable()
    fault.fill()
    if fault.seen_by_free_space:
        with pytest.raises(LogError, match="fuld"):
            log.check_writable()
    with pytest.raises(LogError, match="fuld" if fault.seen_by_free_space else "Kaldet er ikke registreret"):
        log.append(make_entry(prompt="lang tekst " * 20_000))  # tmpfs: SQLite's own "database or disk is full"
    fault.free()
    log.check_writable()
    assert log.append(make_entry()) == 2, "the failed append left no gap"
    assert log.verify().ok
    log.close()


def mounted_tmpfs(mountpoint: Path) -> bool:
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mountpoint)], capture_output=True, text=True
    )
    return done.returncode == 0


def in_own_process(scenario: str, fault: str, folder: Path, *, without_root_powers: bool = False) -> None:
    """Run ``scenario`` with ``fault`` in a fresh Python process, if asked unable to override file modes."""
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import test_audit as t; "
        "getattr(t, sys.argv[2])(getattr(t, sys.argv[3])(Path(sys.argv[4])))"
    )
    prefix = WITHOUT_ROOT_POWERS if without_root_powers and os.geteuid() == 0 else []
    if prefix and shutil.which(prefix[0]) is None:
        pytest.fail("setpriv (util-linux) is needed to provoke a read-only folder without mounting")
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code, str(Path(__file__).parent), scenario, fault, str(folder)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture
def fault_folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "log"
    subprocess.run(["umount", "-l", str(tmp_path / "log")], capture_output=True)


def run_fault(scenario: str, way: str, folder: Path) -> None:
    if way == "tmpfs" and mounted_tmpfs(folder):
        globals()[scenario](Tmpfs(folder))
        return
    folder.mkdir(exist_ok=True)
    if scenario.startswith("full"):
        in_own_process(scenario, "FileSizeLimit", folder)
    else:
        in_own_process(scenario, "Permissions", folder, without_root_powers=True)


FAULT_WAYS = ["tmpfs", "without-mount"]


@pytest.mark.parametrize("way", FAULT_WAYS)
def test_a_log_cannot_be_created_in_a_read_only_folder(way: str, fault_folder: Path) -> None:
    run_fault("read_only_folder_refuses_a_new_log", way, fault_folder)


@pytest.mark.parametrize("way", FAULT_WAYS)
def test_check_writable_refuses_a_read_only_folder(way: str, fault_folder: Path) -> None:
    run_fault("read_only_folder_is_refused_before_sending", way, fault_folder)


@pytest.mark.parametrize("way", FAULT_WAYS)
def test_a_full_disk_is_refused_and_the_log_recovers(way: str, fault_folder: Path) -> None:
    run_fault("full_disk_is_refused_and_the_log_recovers", way, fault_folder)


def test_the_fault_tests_fail_when_the_fault_does_not_happen(fault_folder: Path) -> None:
    # The control: a "read-only" folder that a root process can still write is no fault, and the test says so.
    if os.geteuid() != 0:
        pytest.skip("the control needs root, who can write a folder without write permission")
    fault_folder.mkdir()
    with pytest.raises(AssertionError, match="DID NOT RAISE"):
        in_own_process("read_only_folder_refuses_a_new_log", "Permissions", fault_folder, without_root_powers=False)


def test_check_writable_passes_with_room(log: AuditLog) -> None:
    assert MIN_FREE_BYTES > 0
    log.check_writable()


# -- schema and entry rules ----------------------------------------------------


def test_schema_is_versioned_and_in_wal_mode(log: AuditLog) -> None:
    con = sqlite3.connect(log.path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    log.append(make_entry())
    with AuditLog(log.path) as again:
        assert again.verify().checked == 1, "reopening migrates nothing and keeps entries"


def test_only_the_owner_can_read_the_log_files(log: AuditLog) -> None:
    log.append(make_entry())
    files = [p for p in log.path.parent.iterdir() if p.name.startswith(log.path.name)]
    assert {p.name for p in files} >= {"log.sqlite3", "log.sqlite3-wal"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_log_from_a_newer_legeplads_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    AuditLog(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {VERSION + 1}")
    con.close()
    with pytest.raises(LogError, match="nyere udgave"):
        AuditLog(path)


def test_a_file_that_is_not_a_log_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    path.write_bytes(b"dette er ikke en database " * 100)
    with pytest.raises(LogError, match="beskadiget"):
        AuditLog(path)


@pytest.mark.parametrize(
    "changes",
    [
        {"entities": [{"type": "PERSON", "count": 1, "text": "Jens Hansen"}]},
        {"output_findings": [{"type": "CPR_NUMBER", "value": "010190-1234"}]},
        {"warnings": [{"category": "helbred", "count": 1, "words": ["diabetes"]}]},
        {"messages": [{"role": "user", "content": "x", "original": "Jens"}]},
        {"decision": "maybe"},
        {"finish_reason": "tired"},
    ],
)
def test_an_entry_cannot_carry_found_values_or_unknown_states(changes: dict) -> None:
    with pytest.raises(ValueError):
        make_entry(**changes)


# -- the log benchmark measures what the app writes ------------------------------------------


def test_the_log_benchmark_writes_what_the_app_writes(pipeline, tmp_path: Path) -> None:
    import importlib.util

    from sandbox.pipeline import Pipeline, new_pseudonym

    spec = importlib.util.spec_from_file_location("bench_log", ROOT / "benchmarks" / "log.py")
    bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    real = Pipeline(pipeline._backend, pipeline.guard, AuditLog(tmp_path / "template.sqlite3"))
    template = bench.template_entry(real)
    entry = bench.realistic_entry(template, 7, [new_pseudonym()])
    assert {row["type"] for row in entry.entities} >= {"CPR", "PERSON", "ADRESSE", "TELEFON", "EMAIL"}
    assert {row["type"] for row in entry.entities} <= set(ENTITY_TYPES)
    placeholders = set(re.findall(r"[\[<]([A-ZÆØÅ_]+?)_\d+[\]>]", entry.prompt))
    assert placeholders <= set(ENTITY_TYPES) and "[CPR_1]" in entry.prompt and "<" not in entry.prompt
    assert [w["category"] for w in entry.warnings] == ["HELBRED"] and "HELBRED" in ART9_LABELS
    assert entry.guard_config == pipeline.guard.config_hash
    with AuditLog(tmp_path / "bench.sqlite3") as log:
        log.append(entry)
        assert log.entries(entity_type="CPR") and log.verify().ok
