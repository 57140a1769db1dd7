"""The web app through its API (gradio_client), on a real server with the real pipeline.

Every test talks HTTP to an app started on 127.0.0.1 by the test, with the
same launch settings as ``legeplads serve``; the model, guard and log are
the real ones from the shared ``pipeline`` fixture.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from ui_server import running_app

from sandbox.audit import AuditLog
from sandbox.backends.base import Token
from sandbox.errors import GenerationError
from sandbox.pipeline import Pipeline

CPR = "150385-1234"
NAME = "Mette Hansen"
PROMPT = f"Skriv et kort brev til {NAME}, CPR {CPR}, om at hendes ansøgning om boligstøtte er modtaget."


@pytest.fixture(scope="module")
def app(pipeline: Pipeline) -> Iterator[tuple[str, Any]]:
    with running_app(pipeline) as running:
        yield running


def send(
    client: Client,
    prompt: str,
    *,
    max_tokens: int = 16,
    seed_mode: str = "Tilfældig",
    seed: int = 42,
    probs: bool = False,
    restored: bool = False,
) -> Any:
    """Submit to the Send endpoint (settings in the order the tab passes them); returns the job."""
    return client.submit(prompt, 0.7, 0.95, max_tokens, seed_mode, seed, probs, restored, api_name="/send")


def newest(log: AuditLog, after: int) -> list[dict]:
    return [entry for entry in log.entries() if entry["id"] > after]


def last_id(log: AuditLog) -> int:
    entries = log.entries(limit=1)
    return entries[0]["id"] if entries else 0


def test_prompt_with_cpr_and_name_streams_and_logs_only_placeholders(app: tuple[str, Any], pipeline: Pipeline) -> None:
    url, _ = app
    before = last_id(pipeline.log)
    job = send(Client(url, verbose=False), PROMPT)
    answer, meta, status, history = job.result(timeout=600)
    streamed = [output[0] for output in job.outputs()[:-1]]
    assert len(streamed) >= 2, "the answer arrives token by token"
    assert all("lp-streaming" in html for html in streamed)
    assert status.startswith("**Færdig.**")
    assert "**Seed:**" in meta and "tilfældigt valgt" in meta
    [entry] = newest(pipeline.log, before)
    assert entry["decision"] == "redacted"
    assert "[PERSON_1]" in entry["prompt"] and "[CPR_1]" in entry["prompt"]
    stored = json.dumps(entry, ensure_ascii=False)
    assert CPR not in stored and "1503851234" not in stored
    assert "Mette" not in stored and "Hansen" not in stored
    assert history["data"][0][2] == entry["prompt"], "the session history shows what the model saw"


def test_preview_marks_entities_and_art9_without_sending(app: tuple[str, Any], pipeline: Pipeline) -> None:
    url, _ = app
    before = last_id(pipeline.log)
    update, explanation = Client(url, verbose=False).predict(
        f"Notat om {NAME}, CPR {CPR}: borgeren har diabetes og er sygemeldt.", api_name="/forhaandsvis"
    )
    pieces = update["value"]
    labelled = {piece["token"]: piece["class_or_confidence"] for piece in pieces}
    assert set(update["color_map"]) == {"Navn", "CPR-nummer", "Art. 9: helbred"}, "the legend lists what is in the text"
    assert labelled["[PERSON_1]"] == "Navn"
    assert labelled["[CPR_1]"] == "CPR-nummer"
    assert labelled["diabetes"] == "Art. 9: helbred"
    shown = "".join(piece["token"] for piece in pieces)
    assert CPR not in shown and NAME not in shown
    assert "Værnet erstatter 2 personoplysninger" in explanation and "helbred" in explanation
    assert last_id(pipeline.log) == before, "a preview is never logged"


def test_preview_of_a_huge_paste_answers_at_once(app: tuple[str, Any]) -> None:
    url, _ = app
    update, explanation = Client(url, verbose=False).predict("borger " * 30_000, api_name="/forhaandsvis")
    assert update["value"] == []
    assert "Teksten er for lang: 210.000 tegn. Legepladsen tager højst 100.000 tegn ad gangen, og " in explanation


@pytest.mark.parametrize(
    ("prompt", "message", "logged"),
    [
        ("   ", "Prompten er tom", False),
        (f"{CPR} " + "x" * 200_000, "Teksten er for lang", False),
        (
            f"Brev til {NAME}, CPR {CPR}. " + "Borgeren ønsker hjælp til sin sag. " * 1_000,
            "for lang til modellen",
            True,
        ),
    ],
    ids=["empty", "200000-chars", "longer-than-context"],
)
def test_bad_input_gets_a_danish_message_and_leaves_the_app_usable(
    app: tuple[str, Any], pipeline: Pipeline, prompt: str, message: str, logged: bool
) -> None:
    url, _ = app
    client = Client(url, verbose=False)
    before = last_id(pipeline.log)
    answer, meta, status, _ = send(client, prompt).result(timeout=600)
    assert status.startswith("**Fejl:**") and message in status
    assert "lp-empty" in answer, "a new tab has no earlier answer to keep on screen"
    entries = newest(pipeline.log, before)
    assert len(entries) == (1 if logged else 0)
    for entry in entries:
        stored = json.dumps(entry, ensure_ascii=False)
        assert CPR not in stored and NAME not in stored and entry["error"]
    _, _, status, _ = send(client, "Skriv ét ord.", max_tokens=8).result(timeout=600)
    assert status.startswith("**Færdig.**")


def test_stop_during_generation_keeps_a_guarded_partial_answer(app: tuple[str, Any], pipeline: Pipeline) -> None:
    url, _ = app
    client = Client(url, verbose=False)
    before = last_id(pipeline.log)
    job = send(client, "Fortæl en lang historie om en kommune.", max_tokens=400)  # long, so Stop surely comes first
    deadline = time.monotonic() + 300
    while len(job.outputs()) < 2 and not job.done():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    client.predict(api_name="/stop")  # answers with a pop-up; the status line belongs to the call
    answer, meta, status, _ = job.result(timeout=300)
    assert status.startswith("**Stoppet.**") and "Du stoppede svaret" in status
    [entry] = newest(pipeline.log, before)
    assert entry["finish_reason"] == "cancelled"
    assert entry["completion_tokens"] < 400


def test_rerun_uses_a_new_random_seed_and_a_fixed_seed_repeats(app: tuple[str, Any]) -> None:
    url, _ = app
    client = Client(url, verbose=False)
    first = send(client, "Skriv en sætning om vejret.", max_tokens=8).result(timeout=600)
    again = client.submit(0.7, 0.95, 8, "Tilfældig", 42, False, False, api_name="/koer_igen").result(timeout=600)
    assert again[2].startswith("**Færdig.**")
    assert seed_of(first[1]) != seed_of(again[1])
    fixed = [
        client.submit(0.7, 0.95, 8, "Fast", 1234, False, False, api_name="/koer_igen").result(timeout=600)
        for _ in range(2)
    ]
    assert seed_of(fixed[0][1]) == seed_of(fixed[1][1]) == 1234
    assert fixed[0][0] == fixed[1][0], "same prompt, settings and seed: the same answer"
    assert "(fast)" in fixed[0][1]


def test_rerun_before_any_prompt_is_explained(app: tuple[str, Any]) -> None:
    url, _ = app
    *_, status, _ = (
        Client(url, verbose=False)
        .submit(0.7, 0.95, 8, "Tilfældig", 42, False, False, api_name="/koer_igen")
        .result(timeout=600)
    )
    assert "Send en prompt først" in status


def test_each_client_has_its_own_session(app: tuple[str, Any], pipeline: Pipeline) -> None:
    url, _ = app
    before = last_id(pipeline.log)
    one, two = Client(url, verbose=False), Client(url, verbose=False)
    send(one, f"Hej {NAME}.", max_tokens=8).result(timeout=600)
    _, _, _, history = send(two, "Hej Jens Nielsen.", max_tokens=8).result(timeout=600)
    assert len(history["data"]) == 1, "the second browser does not see the first one's history"
    sessions = {entry["session"] for entry in newest(pipeline.log, before)}
    assert len(sessions) == 2


class FailingBackend:
    """The real backend, made to fail after a few real tokens when the prompt asks for it."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.kind, self.info = real.kind, real.info

    def count_tokens(self, messages: Any) -> int:
        return self._real.count_tokens(messages)

    def stream(self, messages: Any, params: Any, seed: int, cancel: threading.Event) -> Iterator[Any]:
        produced = 0
        failing = "FEJLTEST" in messages[-1].content
        for item in self._real.stream(messages, params, seed, cancel):
            produced += isinstance(item, Token)
            # After three tokens, or at the end of a shorter answer: with a random seed the answer
            # can end early, and the test must fail the call whatever the seed.
            if failing and (produced > 2 or not isinstance(item, Token)):
                raise GenerationError("Modellen fejlede midt i svaret: llama_decode returned -3.")
            yield item

    def close(self) -> None:
        pass


def test_model_failing_mid_stream_is_reported_logged_and_recovered(pipeline: Pipeline, tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "log.sqlite3")
    failing = Pipeline(FailingBackend(pipeline._backend), pipeline.guard, log)
    with running_app(failing) as (url, _):
        client = Client(url, verbose=False)
        answer, _, status, _ = send(client, f"FEJLTEST: skriv til {NAME}, CPR {CPR}.", max_tokens=16).result(
            timeout=600
        )
        assert status.startswith("**Fejl:**") and "fejlede midt i svaret" in status
        assert "lp-empty" in answer, "the unchecked partial answer does not stay on screen"
        [entry] = log.entries()
        assert entry["error"] and CPR not in json.dumps(entry) and NAME not in json.dumps(entry)
        _, _, status, _ = send(client, "Skriv ét ord.", max_tokens=8).result(timeout=600)
        assert status.startswith("**Færdig.**")
    assert log.verify().ok


def seed_of(meta: str) -> int:
    return int(meta.split("**Seed:** ")[1].split(" ")[0])


def test_exercise_runs_through_the_pipeline_and_renders_its_result(app: tuple[str, Any], pipeline: Pipeline) -> None:
    url, _ = app
    before = last_id(pipeline.log)
    status, result = (
        Client(url, verbose=False).submit("blackbox-afgoerelse", "", api_name="/oevelse").result(timeout=900)
    )
    assert status == "**Færdig:** «Afslag eller bevilling? Se modellen vælge ord for ord»."
    assert "Resultat: Afslag eller bevilling?" in result, "named: another card may be on screen by now"
    assert '<p class="lp-summary">' in result
    # The card draws a random seed; now and then the demo model ends its answer at once.
    if "Modellen svarede ikke med nogen tekst" not in result:
        assert "Ord for ord" in result and 'class="lp-tok lp-' in result
    assert "Det så modellen" in result
    [entry] = newest(pipeline.log, before)
    assert entry["exercise_id"] == "blackbox-afgoerelse"


def test_a_follow_up_reaches_the_model_with_the_first_turn_and_ny_samtale_starts_over(
    app: tuple[str, Any], pipeline: Pipeline
) -> None:
    url, _ = app
    client = Client(url, verbose=False)
    before = last_id(pipeline.log)
    send(client, f"Skriv et brev til {NAME} om boligstøtte.", max_tokens=8).result(timeout=600)
    _, meta, status, history = send(client, f"Gør brevet til {NAME} kortere.", max_tokens=8).result(timeout=600)
    assert status.startswith("**Færdig.**") and "**Samtale:** tur 2" in meta
    first, second = sorted(newest(pipeline.log, before), key=lambda e: e["id"])
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user"]
    assert second["messages"][0]["content"] == first["prompt"] == "Skriv et brev til [PERSON_1] om boligstøtte."
    assert second["messages"][1]["content"] == first["response"], "the answer as the output guard let it through"
    assert second["prompt"] == "Gør brevet til [PERSON_1] kortere.", "the same name, the same placeholder"
    assert (second["conversation_id"], second["turn"]) == (first["conversation_id"], 2)
    assert NAME not in json.dumps(second, ensure_ascii=False)
    assert [row[4] for row in history["data"]] == [2, 1], "the history shows each answer's turn"
    _, _, status = client.predict(api_name="/ny_samtale")
    assert status.startswith("**Ny samtale.**")
    send(client, f"Hej {NAME}.", max_tokens=8).result(timeout=600)
    [third] = newest(pipeline.log, second["id"])
    assert [m["role"] for m in third["messages"]] == ["user"] and third["turn"] == 1
    assert third["conversation_id"] != first["conversation_id"]
    assert third["prompt"] == "Hej [PERSON_1].", "the vault stays with the session"
