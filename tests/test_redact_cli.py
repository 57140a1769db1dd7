"""``legeplads redact`` as a person runs it: real stdin, real stdout, Danish errors, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

TEXT = "Mette Hansen, cpr 010190-1235, ringede fra 22 33 44 55."


def redact(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", "redact", *args], input=stdin, capture_output=True, timeout=120
    )


def test_plain_text_in_redacted_text_out() -> None:
    run = redact(stdin=TEXT.encode())
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode() == "[PERSON_1], cpr [CPR_1], ringede fra [TELEFON_1]."


def test_json_has_offsets_into_the_input() -> None:
    run = redact("--json", stdin=TEXT.encode())
    data = json.loads(run.stdout)
    assert data["redacted"] == "[PERSON_1], cpr [CPR_1], ringede fra [TELEFON_1]."
    assert [(e["type"], TEXT[e["start"] : e["end"]]) for e in data["entities"]] == [
        ("PERSON", "Mette Hansen"),
        ("CPR", "010190-1235"),
        ("TELEFON", "22 33 44 55"),
    ]
    assert all(set(e) == {"type", "start", "end", "score", "recognizer"} for e in data["entities"])


def test_jsonl_gives_one_result_per_line_in_order() -> None:
    lines = [{"text": "Ring til Jens Jensen."}, {"text": "Ingen data her.", "id": 7}, {"text": "Ring til Jens Jensen."}]
    run = redact("--jsonl", stdin="".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode())
    assert run.returncode == 0, run.stderr
    out = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert [o["redacted"] for o in out] == ["Ring til [PERSON_1].", "Ingen data her.", "Ring til [PERSON_1]."]


def test_bad_jsonl_line_is_a_danish_error_without_traceback() -> None:
    run = redact("--jsonl", stdin=b'{"text": "ok"}\n{"tekst": "forkert felt"}\n')
    assert run.returncode == 1
    assert 'Linje 2 skal være et JSON-objekt med feltet "text"' in run.stderr.decode()
    assert b"Traceback" not in run.stderr


def test_binary_input_is_a_danish_error_without_traceback() -> None:
    run = redact(stdin=b"Mette \xff\xfe Hansen")
    assert run.returncode == 1
    assert "ikke gyldig UTF-8" in run.stderr.decode() and b"Traceback" not in run.stderr


def test_empty_input() -> None:
    run = redact("--json", stdin=b"")
    assert run.returncode == 0 and json.loads(run.stdout) == {"redacted": "", "entities": []}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"text": "x", "n": ' + "9" * 5000 + "}", "Linje 2 kan ikke læses: den har et tal med flere end 4.300 cifre"),
        ("[" * 100_000 + "]" * 100_000, "Linje 2 kan ikke læses: JSON'en har for mange lag"),
        ('{"text": "Ole Hansen", "x": ' + "[" * 5000 + "]" * 5000 + "}", "Linje 2 kan ikke læses: JSON'en har for"),
    ],
    ids=["5000-digit-integer", "nested-brackets", "nested-inside-an-object"],
)
def test_json_python_cannot_read_is_a_danish_error_without_traceback(line: str, message: str) -> None:
    run = redact("--jsonl", stdin=b'{"text": "Ring til Jens Jensen."}\n' + line.encode() + b"\n")
    assert run.returncode == 1
    assert message in run.stderr.decode() and b"Traceback" not in run.stderr
    assert [json.loads(out)["redacted"] for out in run.stdout.decode().splitlines()] == ["Ring til [PERSON_1]."]
    assert b"Hansen" not in run.stdout + run.stderr
