"""The one door to the model, with the real model, guard and log.

Order is observed with recording proxies: each wraps a real component,
writes the name of every call into a shared list and passes the call on.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from sandbox.audit import AuditLog
from sandbox.backends.base import GenerationParams, Message, Token
from sandbox.errors import BlockedError, GuardError, LogError, UserError
from sandbox.guards import Guard, GuardPolicy
from sandbox.pipeline import Conversation, Pipeline, Request, Result, Session

CPR = "150385-1234"
NAME = "Mette Kirstine Sørensen"
PHONE = "23 45 67 89"
EMAIL = "mette.sorensen@example.dk"
PII_PROMPT = (
    f"Skriv et kort brev til {NAME}, cpr-nr. {CPR}, tlf. {PHONE}, e-mail {EMAIL}, "
    "om at hendes ansøgning om boligstøtte er modtaget."
)
SMALL = GenerationParams(max_tokens=8, temperature=0.7)


class Recorder:
    """Passes every call to the real ``target`` and notes its name in ``calls``."""

    def __init__(
        self, target: Any, name: str, calls: list[tuple[str, tuple]], fail: dict[str, Exception] | None = None
    ):
        self._target, self._name, self._calls, self._fail = target, name, calls, fail or {}

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._target, attr)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append((f"{self._name}.{attr}", args))
            if attr in self._fail:
                raise self._fail[attr]
            return value(*args, **kwargs)

        return call


@pytest.fixture()
def log(tmp_path: Path) -> AuditLog:
    return AuditLog(tmp_path / "log.sqlite3")


def recorded(pipeline: Pipeline, log: AuditLog, guard: Guard | None = None, fail: dict[str, dict] | None = None):
    calls: list[tuple[str, tuple]] = []
    fail = fail or {}
    spied = Pipeline(
        Recorder(pipeline._backend, "backend", calls, fail.get("backend")),
        Recorder(guard or pipeline.guard, "guard", calls, fail.get("guard")),
        Recorder(log, "log", calls, fail.get("log")),
    )
    return spied, calls


def names(calls: list[tuple[str, tuple]]) -> list[str]:
    return [name for name, _ in calls if name not in ("guard.config_hash",)]


def test_order_is_guard_model_guard_log(pipeline: Pipeline, log: AuditLog) -> None:
    spied, calls = recorded(pipeline, log)
    result = spied.ask(Request(PII_PROMPT, SMALL), Session())
    assert names(calls) == ["log.check_writable", "guard.check", "backend.stream", "guard.check_output", "log.append"]
    assert result.log_id == 1


def test_model_receives_only_redacted_text(pipeline: Pipeline, log: AuditLog) -> None:
    spied, calls = recorded(pipeline, log)
    result = spied.ask(Request(PII_PROMPT, SMALL), Session())
    (messages, *_), = [args for name, args in calls if name == "backend.stream"]
    sent = " ".join(m.content for m in messages)
    for value in (CPR, NAME, "Mette", "Sørensen", PHONE, EMAIL):
        assert value not in sent
    assert "[CPR_1]" in sent and "[PERSON_1]" in sent
    assert result.sent == tuple(messages)
    assert {e.type for e in result.input_guard.entities} >= {"CPR", "PERSON", "TELEFON", "EMAIL"}


def test_blocked_prompt_never_reaches_the_model(pipeline: Pipeline, log: AuditLog) -> None:
    guard = Guard(GuardPolicy(actions={"CPR": "block"}))
    spied, calls = recorded(pipeline, log, guard=guard)
    with pytest.raises(BlockedError, match="indeholder CPR-nummer, som"):
        spied.ask(Request(PII_PROMPT, SMALL), Session())
    assert "backend.stream" not in names(calls)
    (entry,) = log.entries()
    assert entry["decision"] == "blocked"
    assert CPR not in str(entry)


def test_guard_failure_fails_closed(pipeline: Pipeline, log: AuditLog) -> None:
    # A guard crash cannot be provoked on purpose with real input, so the
    # recorder raises the error the guard raises on an internal failure.
    spied, calls = recorded(pipeline, log, fail={"guard": {"check": GuardError("Værnet fejlede.")}})
    with pytest.raises(GuardError):
        spied.ask(Request(PII_PROMPT, SMALL), Session())
    assert "backend.stream" not in names(calls)
    (entry,) = log.entries()
    assert entry["decision"] == "guard_error"
    assert entry["prompt"] == "" and not entry["messages"]


def test_unwritable_log_fails_closed(pipeline: Pipeline, log: AuditLog) -> None:
    # A full disk cannot be provoked safely here; the recorder raises what
    # the log raises then (the log's own tests cover the real condition).
    spied, calls = recorded(pipeline, log, fail={"log": {"check_writable": LogError("Loggen kan ikke skrives.")}})
    with pytest.raises(LogError):
        spied.ask(Request(PII_PROMPT, SMALL), Session())
    assert names(calls) == ["log.check_writable"]


@pytest.mark.parametrize("prompt", ["", "   \n ", "\u200b\u200e\ufeff \t", "x" * 200_000])
def test_bad_prompts_get_danish_messages_and_nothing_is_logged(pipeline: Pipeline, log: AuditLog, prompt: str) -> None:
    spied, calls = recorded(pipeline, log)
    with pytest.raises(UserError) as error:
        spied.ask(Request(prompt, SMALL), Session())
    assert "tom" in error.value.message or "for lang" in error.value.message
    assert names(calls) == []


def test_random_seed_is_recorded_and_reproduces_the_answer(pipeline: Pipeline) -> None:
    params = GenerationParams(max_tokens=16, temperature=1.0)
    session = Session()
    first = pipeline.ask(Request("Hvad laver en sagsbehandler?", params), session)
    second = pipeline.ask(Request("Hvad laver en sagsbehandler?", params), session)
    assert first.seed != second.seed
    replay = pipeline.ask(
        Request("Hvad laver en sagsbehandler?", GenerationParams(max_tokens=16, temperature=1.0, seed=first.seed)),
        session,
    )
    assert replay.answer == first.answer
    entry = pipeline.log.entries(session=session.pseudonym)[-1]
    assert entry["params"]["seed"] == first.seed


def test_placeholders_are_stable_and_originals_restore(pipeline: Pipeline) -> None:
    session = Session()
    one = pipeline.ask(Request(f"Skriv til {NAME} om sagen.", SMALL), session)
    two = pipeline.ask(Request(f"Husk at {NAME} har cpr-nr. {CPR}.", SMALL), session)
    assert "[PERSON_1]" in one.sent[-1].content and "[PERSON_1]" in two.sent[-1].content
    assert session.vault.restore("Kære [PERSON_1]") == f"Kære {NAME}"
    assert Session().vault.restore("Kære [PERSON_1]") == "Kære [PERSON_1]"


def test_cancel_mid_stream_is_logged_as_cancelled(pipeline: Pipeline, log: AuditLog) -> None:
    spied, _ = recorded(pipeline, log)
    cancel = threading.Event()
    seen = 0
    result = None
    request = Request("Fortæl om kommunens opgaver.", GenerationParams(max_tokens=200))
    for item in spied.stream(request, Session(), cancel):
        if isinstance(item, Token):
            seen += 1
            if seen == 2:
                cancel.set()
        else:
            result = item
    assert isinstance(result, Result)
    assert result.finish_reason == "cancelled" and result.completion_tokens == 2
    assert log.entries()[-1]["finish_reason"] == "cancelled"


def test_a_stream_abandoned_by_its_reader_is_still_logged(pipeline: Pipeline, log: AuditLog) -> None:
    spied, _ = recorded(pipeline, log)
    stream = spied.stream(Request(f"Skriv til {NAME} om sagen.", GenerationParams(max_tokens=200)), Session())
    next(stream), next(stream)
    stream.close()  # what a closed browser tab does to the generator
    (entry,) = log.entries()
    assert entry["finish_reason"] == "cancelled" and entry["completion_tokens"] == 2
    assert NAME not in str(entry) and "[PERSON_1]" in entry["prompt"]
    # The model was released: the next call runs.
    assert pipeline.ask(Request("Hej", GenerationParams(max_tokens=2)), Session()).completion_tokens >= 1


def test_no_personal_data_in_the_log_file(tmp_path: Path, pipeline: Pipeline) -> None:
    log = AuditLog(tmp_path / "pii.sqlite3")
    spied, _ = recorded(pipeline, log)
    session = Session()
    prompts = [
        PII_PROMPT,
        "Jeg hedder ahmad hussein og bor på Vestergade 12B, 2. th., 8000 Aarhus C. Konto 1234 5678901234.",
        "Fru Jensen har IBAN DK5000400440116243 og bilen AB 12 345. CVR 35145890 er hendes firma.",
    ]
    for prompt in prompts:
        spied.ask(Request(prompt, SMALL), session)
    with sqlite3.connect(log.path) as db:  # make sure nothing is only in memory
        db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("pii.sqlite3*"))
    values = [CPR, "1503851234", NAME, "Mette", "Sørensen", PHONE, "23456789", EMAIL, "ahmad", "hussein",
              "Vestergade 12B", "5678901234", "Jensen", "DK5000400440116243", "AB 12 345", "35145890"]
    for value in values:
        assert value.encode() not in blob, f"{value!r} found in the log file"
    assert log.verify().ok


def test_only_the_pipeline_imports_backends() -> None:
    import ast

    root = Path(__file__).resolve().parent.parent / "sandbox"
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel == "pipeline.py" or rel.startswith("backends/"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module:
                targets = [module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                targets = []
            for target in targets:
                if target and target.startswith(("sandbox.backends.llama", "sandbox.backends.openai", "llama_cpp")):
                    offenders.append(f"{rel}: {target}")
    assert offenders == []


def test_redact_keeps_the_sessions_placeholders_and_sends_nothing(pipeline: Pipeline) -> None:
    session = Session()
    before = pipeline.log.entries(limit=1)
    first = pipeline.redact("Karen Nielsen ringede.", session)
    second = pipeline.redact("Ole Hansen skrev, og Karen Nielsen svarede.", session)
    assert first.text == "[PERSON_1] ringede."
    assert second.text == "[PERSON_2] skrev, og [PERSON_1] svarede.", "two people, two numbers; Karen keeps hers"
    assert pipeline.preview("Karen Nielsen", session).text == "[PERSON_1]"
    assert pipeline.log.entries(limit=1) == before, "nothing is logged"


class BrokenBackend:
    """A backend with a bug: it raises something other than a UserError after the prompt was sent.

    The real backends turn every failure they know of into a Danish
    GenerationError (tests/test_openai_backend.py provokes those with a real
    server), so a bug is the one fault that cannot be provoked with them: this
    stand-in wraps the real backend and breaks after its first token.
    """

    def __init__(self, real: Any, error: Exception | None) -> None:
        self._real, self._error = real, error
        self.kind, self.info = real.kind, real.info

    def stream(self, messages, params, seed, cancel):
        for item in self._real.stream(messages, params, seed, cancel):
            if isinstance(item, Token):
                yield item
                break
        if self._error is not None:
            raise self._error
        # else: ends without the Finished every stream must end with

    def close(self) -> None:
        pass


@pytest.mark.parametrize("error", [RuntimeError(f"uventet: {CPR}"), KeyError(CPR), None])
def test_a_backend_bug_after_sending_is_logged_and_explained_in_danish(
    pipeline: Pipeline, log: AuditLog, error: Exception | None
) -> None:
    broken = Pipeline(BrokenBackend(pipeline._backend, error), pipeline.guard, log)
    with pytest.raises(UserError) as failed:
        broken.ask(Request(PII_PROMPT, SMALL), Session())
    assert "registreret i loggen" in failed.value.message and CPR not in failed.value.message
    (entry,) = log.entries()
    assert entry["error"] == failed.value.message and entry["finish_reason"] is None
    assert "[CPR_1]" in entry["prompt"] and entry["completion_tokens"] == 1
    assert CPR not in str(entry)
    assert log.verify().ok


def test_session_pseudonyms_have_128_random_bits_and_select_one_session(pipeline: Pipeline, log: AuditLog) -> None:
    import io
    import json
    import re

    sessions = [Session() for _ in range(3)]
    assert all(re.fullmatch(r"s-[0-9a-f]{32}", s.pseudonym) for s in sessions)
    assert len({s.pseudonym for s in sessions}) == 3
    for session in sessions:
        Pipeline(pipeline._backend, pipeline.guard, log).ask(Request("Hej", GenerationParams(max_tokens=2)), session)
    out = io.BytesIO()
    assert log.export("jsonl", out, session=sessions[1].pseudonym) == 1
    assert json.loads(out.getvalue())["session"] == sessions[1].pseudonym


# -- conversations -------------------------------------------------------------


def test_a_conversation_sends_earlier_turns_masked_with_stable_placeholders_and_logs_each_turn(
    pipeline: Pipeline, log: AuditLog
) -> None:
    spied, calls = recorded(pipeline, log)
    session, conversation = Session(), Conversation()
    results = []
    for prompt in (PII_PROMPT, "Gør brevet kortere.", f"Skriv det nu i du-form til {NAME}."):
        result = spied.ask(Request(prompt, SMALL, conversation=conversation), session)
        results.append(result)
        conversation = conversation.after(result)
    sent = [args[0] for name, args in calls if name == "backend.stream"]
    assert [len(messages) for messages in sent] == [1, 3, 5], "each turn carries the turns before it"
    first, second, third = results
    earlier = (first.sent[-1], Message("assistant", first.answer), second.sent[-1], Message("assistant", second.answer))
    assert sent[2][:4] == earlier, "the earlier turns exactly as the model saw and said them"
    everything = " ".join(m.content for m in sent[2])
    for value in (CPR, NAME, "Mette", "Sørensen", PHONE, EMAIL):
        assert value not in everything
    assert "[PERSON_1]" in first.sent[-1].content and "[PERSON_1]" in third.sent[-1].content, (
        "the same name in turn 1 and turn 3 is the same placeholder"
    )
    entries = sorted(log.entries(), key=lambda e: e["id"])
    assert [(e["conversation_id"], e["turn"]) for e in entries] == [(conversation.id, n) for n in (1, 2, 3)]
    assert entries[2]["messages"] == [{"role": m.role, "content": m.content} for m in sent[2]]
    assert entries[1]["prompt"] == "Gør brevet kortere.", "the entry's prompt is its own turn"
    assert log.verify().ok


def test_a_turn_that_would_not_fit_is_refused_in_danish_and_nothing_is_sent(pipeline: Pipeline, log: AuditLog) -> None:
    spied, calls = recorded(pipeline, log)
    session = Session()
    first = spied.ask(Request("Skriv et brev om boligstøtte.", SMALL, conversation=Conversation()), session)
    conversation = Conversation().after(first)
    assert 0 < pipeline.context_used(conversation) < pipeline.info.context_length
    limit = pipeline.info.context_length
    too_much = GenerationParams(max_tokens=limit - pipeline.context_used(conversation))
    with pytest.raises(UserError) as refused:
        spied.ask(Request("Gør brevet kortere.", too_much, conversation=conversation), session)
    assert "Samtalen er blevet for lang til modellen" in refused.value.message
    assert "intet er sendt" in refused.value.message and "«Ny samtale»" in refused.value.message
    assert [name for name, _ in calls].count("backend.stream") == 1, "the refused turn never reached the model"
    assert len(log.entries()) == 1
    fitting = spied.ask(Request("Gør brevet kortere.", SMALL, conversation=conversation), session)
    assert len(fitting.sent) == 3, "the same turn with room for its answer is sent whole"
