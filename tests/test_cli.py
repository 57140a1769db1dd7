"""The ``legeplads`` command, run as a real subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest


def legeplads(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ask_prints_the_answer_on_stdout_and_facts_on_stderr() -> None:
    args = ("ask", "--seed", "42", "--max-tokens", "8", "Hvad er en kommune?")
    first, second = legeplads(*args), legeplads(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip()
    assert first.stdout == second.stdout  # fixed seed, same answer
    assert "seed: 42" in first.stderr and "seed" not in first.stdout
    assert "demomodel" in first.stderr


def test_ask_reads_stdin_and_shows_what_the_model_saw() -> None:
    done = legeplads("ask", "--max-tokens", "4", stdin="Ring til Hanne Nielsen på 22 33 44 55.")
    assert done.returncode == 0, done.stderr
    assert "modellen så:" in done.stderr and "[TELEFON_1]" in done.stderr
    assert "22 33 44 55" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", ""), "Prompten er tom"),
        (("ask", "--temperature", "5", "hej"), "Temperatur skal være mellem 0 og 2"),
        (("ask", "--model", "/findes/ikke.gguf", "hej"), "findes ikke"),
    ],
)
def test_bad_input_gives_a_danish_message_and_no_traceback(args: tuple[str, ...], message: str) -> None:
    done = legeplads(*args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_models_list_marks_the_model_serve_would_use() -> None:
    done = legeplads("models", "list")
    assert done.returncode == 0, done.stderr
    chosen = [line for line in done.stdout.splitlines() if line.startswith("*")]
    assert len(chosen) == 1 and "Gemma 3 270M" in chosen[0] and "demomodel" in chosen[0]
    assert "SmolLM2" in done.stdout


@pytest.mark.parametrize("command", [(), ("ask",), ("serve",), ("models", "list")])
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    done = legeplads(*command, "--help")
    assert done.returncode == 0 and "Usage:" in done.stdout
