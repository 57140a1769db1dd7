"""Fuzzing the real ``legeplads`` process: stdin bytes in a strict UTF-8 locale, no traceback, ever.

Each example starts Python, the guard and (for ``ask``) the demo model, so
there are few of them; ``tests/test_fuzz.py`` covers the same commands with
many examples in-process. The environment is a terminal in ``da_DK.UTF-8``
with PYTHONIOENCODING unset and UTF-8 mode off (see ``test_cli.locale_env``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from fuzz_inputs import (
    BUG_MARKER,
    LABELLED,
    SUBPROCESS,
    Case,
    corpus,
    jsonl_input,
    secret_text,
    stdin_bytes,
    utf8,
)
from hypothesis import example, given
from hypothesis import strategies as st
from test_cli import locale_env
from test_fuzz import assert_danish


@pytest.fixture(scope="module")
def strict_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    yield locale_env(tmp_path_factory.mktemp("locale"), "da_DK.UTF-8")


def legeplads(env: dict[str, str], args: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args], input=data, env=env, capture_output=True, timeout=600
    )


def assert_process_outcome(done: subprocess.CompletedProcess[bytes], data: bytes) -> tuple[str, str]:
    """Exit 0, or exit 1 with a Danish ``Fejl:`` line; no traceback; no labelled CPR number in the output."""
    stdout, stderr = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert "Traceback" not in stderr and BUG_MARKER not in stderr, stderr[-2000:]
    assert done.returncode in (0, 1), stderr[-2000:]
    if done.returncode == 1:
        assert stderr.startswith("Fejl: ")
        assert_danish(stderr)
    assert LABELLED not in stdout + stderr
    return stdout, stderr


@SUBPROCESS
@given(data=st.one_of(stdin_bytes, secret_text.map(utf8)))
@example(data=b"Mette \xff\xfe Hansen")
def test_redact_process(strict_env: dict[str, str], data: bytes) -> None:
    done = legeplads(strict_env, ["redact"], data)
    assert_process_outcome(done, data)
    if done.returncode == 1:
        assert done.stdout == b""


@SUBPROCESS
@given(data=jsonl_input)
@example(data=b'{"text": "x", "n": ' + b"9" * 5000 + b"}\n")
@example(data=b"[" * 100_000 + b"\n")
def test_redact_jsonl_process(strict_env: dict[str, str], data: bytes) -> None:
    assert_process_outcome(legeplads(strict_env, ["redact", "--jsonl"], data), data)


@SUBPROCESS
@given(data=st.one_of(stdin_bytes, secret_text.map(utf8)))
@example(data=b"Skriv til Mette \xff\xfe Hansen")
def test_ask_from_stdin_process(strict_env: dict[str, str], data: bytes) -> None:
    done = legeplads(strict_env, ["ask", "--max-tokens", "2", "--seed", "1"], data)
    _stdout, stderr = assert_process_outcome(done, data)
    if done.returncode == 0:
        assert "seed: 1" in stderr


@pytest.mark.parametrize("case", [c for c in corpus() if c.target == "ask"], ids=lambda c: c.note)
def test_corpus_replays_in_the_process(strict_env: dict[str, str], case: Case) -> None:
    done = legeplads(strict_env, ["ask", "--max-tokens", "2"], case.data)
    _stdout, stderr = assert_process_outcome(done, case.data)
    assert done.returncode == (0 if case.outcome == "ok" else 1), stderr
    if case.message:
        assert case.message in stderr
