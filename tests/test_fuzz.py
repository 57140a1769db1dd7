"""Property-based fuzzing of everything that takes text from a person: no traceback, ever.

Targets run in this process, so each gets many examples: ``Guard.check``, the
pipeline on the real demo model (``ask``, and ``stream`` abandoned after the
first token), and ``legeplads redact`` / ``--json`` / ``--jsonl`` through
click's test runner. ``tests/test_fuzz_cli.py`` runs the real process. The
committed corpus (``tests/data/fuzz/corpus.jsonl``) is replayed at the end.

A target may refuse an input, but only with a :class:`UserError` (the CLI:
exit code 1 and ``Fejl: `` plus a Danish sentence); any other exception
fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from fuzz_inputs import (
    BUG_MARKER,
    IN_PROCESS,
    LABELLED,
    Case,
    corpus,
    jsonl_input,
    secret_text,
    stdin_bytes,
    text,
    tricky_text,
    utf8,
    with_secret,
)
from hypothesis import example, given
from hypothesis import strategies as st

from sandbox.audit import AuditLog
from sandbox.backends.base import GenerationParams, Token
from sandbox.cli import main
from sandbox.errors import GuardError, UserError
from sandbox.guards import Vault
from sandbox.pipeline import Pipeline, Request, Session
from sandbox.pipeline import Result as Answer

# Words at least one of which every Danish message of the app contains.
DANISH = (" er ", " ikke ", " kan ", " skal ", " og ", " for ", " til ", " på ", " med ")
ONE_MB = ("Borgeren ringede om sagen. " * 40_000)[:1_000_000]


def assert_danish(message: str) -> None:
    assert message.strip() and "Traceback" not in message and BUG_MARKER not in message, message
    assert any(word in f" {message} " for word in DANISH), f"not a Danish sentence: {message!r}"


# -- the guard ---------------------------------------------------------------------------------


@IN_PROCESS
@given(value=text)
@example(value="\ud800 Mette Hansen \udfff")
@example(value="\u202eMette Hansen\u202c 010190-1235 \u0301\u0301")
@example(value="9" * 5000)
@example(value="[" * 2_000)
@example(value=ONE_MB)
@example(value="x" * 1_300_000)  # over the guard's own limit
def test_guard_check_answers_or_refuses_in_danish(pipeline: Pipeline, value: str) -> None:
    try:
        result = pipeline.guard.check(value, Vault())
    except GuardError as error:
        assert_danish(error.message)
        return
    result.text.encode("utf-8")  # strict: no lone surrogate leaves the guard
    assert all(0 <= e.start <= e.end for e in result.entities)


@IN_PROCESS
@given(prefix=tricky_text, suffix=tricky_text)
def test_guard_finds_a_labelled_cpr_number_whatever_surrounds_it(pipeline: Pipeline, prefix: str, suffix: str) -> None:
    result = pipeline.guard.check(with_secret(prefix, suffix), Vault())
    assert LABELLED not in result.text


# -- the pipeline on the real demo model --------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_pipeline(pipeline: Pipeline, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The session's model and guard with a log of its own, so every entry here can be checked."""
    log = AuditLog(tmp_path_factory.mktemp("fuzz") / "log.sqlite3")
    yield Pipeline(pipeline._backend, pipeline.guard, log)
    log.close()


def ask_once(pipe: Pipeline, value: str, abandon: bool) -> Answer | None:
    """Ask with two tokens; ``abandon``: stop reading after the first, as a closed browser tab does."""
    request = Request(value, GenerationParams(max_tokens=2, seed=7))
    if not abandon:
        return pipe.ask(request, Session())
    stream = pipe.stream(request, Session())
    for item in stream:
        if isinstance(item, Token):
            stream.close()
            return None
        return item
    return None


@IN_PROCESS
@given(value=st.one_of(text, secret_text), abandon=st.booleans())
@example(value="\ud800\udfff" * 10, abandon=False)
@example(value=with_secret("\u202e", "\u0301"), abandon=True)
@example(value=ONE_MB, abandon=False)
def test_pipeline_answers_or_refuses_in_danish(fuzz_pipeline: Pipeline, value: str, abandon: bool) -> None:
    before = fuzz_pipeline.log.entries(limit=1)
    try:
        result = ask_once(fuzz_pipeline, value, abandon)
    except UserError as error:
        assert_danish(error.message)
    else:
        if result is not None:
            result.answer.encode("utf-8")
    after = fuzz_pipeline.log.entries(limit=1)
    if after != before:  # the call reached the guard: its entry holds no labelled CPR number
        assert LABELLED not in json.dumps(after[0], ensure_ascii=False)
    assert fuzz_pipeline.log.verify().ok


# -- legeplads redact, in this process ----------------------------------------------------------


def redact(args: list[str], data: bytes) -> Result:
    return CliRunner().invoke(main, ["redact", *args], input=data)


def assert_cli_outcome(run: Result) -> None:
    """Exit 0, or exit 1 with one Danish ``Fejl:`` line; never an exception."""
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert run.exit_code in (0, 1)
    if run.exit_code == 1:
        assert run.stderr.startswith("Fejl: ")
        assert_danish(run.stderr)


@IN_PROCESS
@given(data=st.one_of(stdin_bytes, secret_text.map(utf8)), as_json=st.booleans())
@example(data=b"Mette \xff\xfe Hansen", as_json=False)
@example(data=utf8("\ud800"), as_json=True)
@example(data=ONE_MB.encode(), as_json=True)
def test_redact_answers_or_refuses_in_danish(data: bytes, as_json: bool) -> None:
    run = redact(["--json"] if as_json else [], data)
    assert_cli_outcome(run)
    if run.exit_code == 1:
        assert run.stdout_bytes == b"", "a refused text writes nothing"
        return
    out = run.stdout_bytes.decode("utf-8")
    if as_json:
        assert set(json.loads(out)) == {"redacted", "entities"}
    assert LABELLED not in out


@IN_PROCESS
@given(data=jsonl_input)
@example(data=b'{"text": "x", "n": ' + b"9" * 5000 + b"}\n")
@example(data=b"[" * 100_000 + b"\n")
@example(data=b'{"text": "\\ud800 Mette Hansen"}\n{"text": 1}\n')
@example(data=b'{"text": "' + ONE_MB.encode() + b'"}\n')
def test_redact_jsonl_answers_or_refuses_in_danish(data: bytes) -> None:
    run = redact(["--jsonl"], data)
    assert_cli_outcome(run)
    lines = [line for line in data.split(b"\n") if line.strip()]
    out = run.stdout_bytes.decode("utf-8").splitlines()
    assert all(set(json.loads(line)) == {"redacted", "entities"} for line in out)
    assert len(out) == len(lines) if run.exit_code == 0 else len(out) < len(lines)


# -- the corpus -------------------------------------------------------------------------------

IN_PROCESS_TARGETS = ("guard", "pipeline", "redact", "redact-json", "redact-jsonl")


@pytest.mark.parametrize(
    "case", [c for c in corpus() if c.target in IN_PROCESS_TARGETS], ids=lambda c: f"{c.target}:{c.note}"
)
def test_corpus_replays(case: Case, fuzz_pipeline: Pipeline) -> None:
    """Every input that ever failed, and the hostile classics, with the outcome each must have."""
    if case.target in ("guard", "pipeline"):
        try:
            if case.target == "guard":
                fuzz_pipeline.guard.check(case.text, Vault())
            else:
                ask_once(fuzz_pipeline, case.text, abandon=False)
        except UserError as error:
            assert case.outcome == "error", error.message
            assert_danish(error.message)
            assert case.message in error.message
            return
        assert case.outcome == "ok"
        return
    args = {"redact": [], "redact-json": ["--json"], "redact-jsonl": ["--jsonl"]}[case.target]
    run = redact(args, case.data)
    assert_cli_outcome(run)
    assert run.exit_code == (0 if case.outcome == "ok" else 1), run.output
    if case.message:
        assert case.message in run.stderr
    assert LABELLED not in run.stdout_bytes.decode("utf-8")


def test_the_corpus_covers_every_target() -> None:
    targets = {c.target for c in corpus()}
    assert targets == {*IN_PROCESS_TARGETS, "ask"}
