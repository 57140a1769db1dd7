"""``legeplads log``: the compliance log from the terminal, on a real SQLite file.

Each test gets its own data folder through ``LEGEPLADS_DATA_DIR``, exactly
as a person would point legeplads at another folder.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_audit import T0, Clock, make_entry

from sandbox.audit import AuditLog
from sandbox.cli import main
from sandbox.exercises import get_card


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LEGEPLADS_DATA_DIR", str(tmp_path))
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(main, ["log", *args], catch_exceptions=False)


def fill(data: Path, sessions: list[str], clock: Clock | None = None, days_apart: int = 0) -> Path:
    clock = clock or Clock()
    with AuditLog(data / "log.sqlite3", clock=clock) as log:
        for session in sessions:
            log.append(make_entry(session=session, prompt=f"Ansøgning fra {session} om ældrebolig"))
            clock.now += timedelta(days=days_apart)
    return data / "log.sqlite3"


def sql(path: Path, *statements: str) -> None:
    con = sqlite3.connect(path)
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def test_path_prints_the_database_in_the_data_folder(data: Path) -> None:
    result = run("path")
    assert result.exit_code == 0
    assert result.output.strip() == str(data / "log.sqlite3")


def test_show_prints_the_newest_entries_oldest_first(data: Path) -> None:
    fill(data, ["s-a", "s-b", "s-c"])
    result = run("show", "--last", "2")
    assert result.exit_code == 0
    assert "#1" not in result.output
    assert result.output.index("#2") < result.output.index("#3")
    assert "Ansøgning fra s-c om ældrebolig" in result.output
    assert "MASKERET" in result.output and "Navn ×1" in result.output


def test_show_speaks_danish_not_codes(data: Path) -> None:
    finding = {"type": "ADRESSE", "count": 1, "max_score": 0.9, "min_score": 0.9, "recognizers": ["R"],
               "action": "redact"}
    person = {**finding, "type": "PERSON", "count": 6}
    with AuditLog(data / "log.sqlite3") as log:
        log.append(make_entry(entities=[person, finding], warnings=[{"category": "HELBRED", "count": 1}],
                              exercise_id="bias-koen", finish_reason="cancelled", allowed_types=["ADRESSE"]))
    shown = run("show").output
    assert "fundet: Adresse ×1, Navn ×6" in shown
    assert "art. 9: helbred ×1" in shown
    assert "tilladt umaskeret: Adresse" in shown
    assert "stopårsag: stoppet af brugeren" in shown
    assert f"øvelse: {get_card('bias-koen').title} (bias-koen)" in shown
    header, facts = shown.splitlines()[:2]  # the prompt and answer below keep their placeholders, <PERSON_1>
    for code in ("PERSON", "ADRESSE", "HELBRED", "cancelled"):
        assert code not in header + facts


def test_show_on_an_empty_log_and_a_bad_count(data: Path) -> None:
    assert "Loggen er tom" in run("show").output
    result = run("show", "--last", "nul")
    assert result.exit_code == 1
    assert "helt tal" in result.output
    assert "Traceback" not in result.output


def test_verify_passes_and_prints_an_anchor(data: Path) -> None:
    fill(data, ["s-a", "s-b"])
    result = run("verify")
    assert result.exit_code == 0
    first_line = result.output.splitlines()[0]
    assert first_line == "Kæden er intakt. 2 poster kontrolleret.", "the verdict, said once"
    anchor = result.output.strip().rsplit(" ", 1)[1]
    assert run("verify", "--anchor", anchor).exit_code == 0


@pytest.mark.parametrize(
    ("tampering", "first_bad"),
    [
        (["UPDATE entries SET prompt = 'Ansøgning fra Jens Hansen' WHERE id = 2"], 2),
        (["DELETE FROM entries WHERE id = 2"], 2),
        (
            [
                "UPDATE entries SET id = -1 WHERE id = 2",
                "UPDATE entries SET id = 2 WHERE id = 3",
                "UPDATE entries SET id = 3 WHERE id = -1",
            ],
            2,
        ),
    ],
    ids=["edit", "delete", "reorder"],
)
def test_verify_exits_1_naming_the_first_broken_entry(data: Path, tampering: list[str], first_bad: int) -> None:
    path = fill(data, ["s-a", "s-b", "s-c", "s-d"])
    sql(path, *tampering)
    result = run("verify")
    assert result.exit_code == 1
    assert result.output.startswith("Kæden er IKKE intakt.\nFørste brud: post " + f"{first_bad}.")
    assert result.output.lower().count("intakt") == 1


def test_verify_with_a_wrong_or_malformed_anchor(data: Path) -> None:
    fill(data, ["s-a"])
    wrong = run("verify", "--anchor", "1:" + "0" * 64)
    assert wrong.exit_code == 1 and "noteret" in wrong.output
    malformed = run("verify", "--anchor", "sidste")
    assert malformed.exit_code == 1 and "NR:HASH" in malformed.output


def test_purge_older_than_keeps_the_chain_verifiable(data: Path) -> None:
    fill(data, ["s-old-1", "s-old-2"], clock=Clock(T0))
    fill(data, ["s-new"], clock=Clock(datetime.now(UTC)))
    result = run("purge", "--older-than", "30d")
    assert result.exit_code == 0
    assert "Teksten i 2 poster" in result.output
    assert run("verify").exit_code == 0
    shown = run("show").output
    assert "s-old-1" not in shown and "Ansøgning fra s-new" in shown


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "--older-than 30d"),
        (["--older-than", "30 dage"], "Ugyldig alder"),
        (["--older-than", "0d"], "Ugyldig alder"),
    ],
)
def test_purge_refuses_missing_or_bad_ages(data: Path, args: list[str], words: str) -> None:
    result = run("purge", *args)
    assert result.exit_code == 1
    assert words in result.output


def test_export_csv_to_a_file_for_excel(data: Path) -> None:
    fill(data, ["s-a", "s-b"])
    out = data / "udtræk.csv"
    result = run("export", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0
    assert "2 poster eksporteret" in result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert [r["Prompt (maskeret)"] for r in rows] == [
        "Ansøgning fra s-a om ældrebolig",
        "Ansøgning fra s-b om ældrebolig",
    ]
    assert {(r["Fundet i prompten"], r["Stopårsag"]) for r in rows} == {("Navn ×1", "færdig")}
    assert {len(r["Modelfilens sha256"]) for r in rows} == {64}, "the full sha256, as the entry holds it"
    assert {r["Parametre (inkl. seed)"].split("; ")[0] for r in rows} == {"temperatur 0,7"}


def test_export_jsonl_for_one_session_and_period(data: Path) -> None:
    fill(data, ["s-a", "s-b", "s-a", "s-a"], clock=Clock(T0), days_apart=1)  # 1-4 March 2025, 09:30 UTC
    result = run("export", "--format", "jsonl", "--session", "s-a", "--since", "2025-03-02", "--until", "2025-03-03")
    assert result.exit_code == 0
    assert result.stderr.strip() == "1 post eksporteret."
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["id"], e["session"]) for e in lines] == [(3, "s-a")], "--until includes the whole day"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--format", "xml"], "--format csv eller --format jsonl"),
        (["--format", "csv", "--since", "1. marts"], "Ugyldigt tidspunkt"),
        (["--format", "csv", "-o", "/findes/ikke/udtræk.csv"], "Kan ikke skrive til"),
    ],
)
def test_export_refuses_bad_input_in_danish(data: Path, args: list[str], words: str) -> None:
    fill(data, ["s-a"])
    result = run("export", *args)
    assert result.exit_code == 1
    assert words in result.output
    assert "Traceback" not in result.output
