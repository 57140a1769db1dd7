"""Every runner end to end against the real demo model, guard and log.

The cards' own settings are used, made small (few repeats, short answers)
so the whole file stays cheap on a two-core machine. What is asserted is
what the UI relies on: the structure of the result, that spans give back
the text, that seeds are shared or fixed where the exercise says so, that
the guard ran before the model, and that the logged calls carry the card id.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from sandbox.errors import UserError
from sandbox.exercises import get_card, load_hearing
from sandbox.exercises.journal import Journal
from sandbox.exercises.measures import lix
from sandbox.exercises.runners import laesbarhed, par, run_card, selvtjek
from sandbox.exercises.runners.common import Answer, Span, Stopped
from sandbox.exercises.settings import RUNNER_SETTINGS, RunnerSettings
from sandbox.numbers import decimal
from sandbox.pipeline import Pipeline, Session


def small(card_id: str, **changes: Any) -> RunnerSettings:
    """The card's settings with shorter answers and the given changes, validated again."""
    card = get_card(card_id)
    data = {**card.runner.settings, "max_tokens": 16, **changes}
    return RUNNER_SETTINGS[card.runner.name].model_validate(data)


def joined(spans: tuple[Span, ...]) -> str:
    return "".join(span.text for span in spans)


class Steps:
    """Records progress callbacks."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []

    def __call__(self, done: int, total: int, label: str) -> None:
        self.calls.append((done, total, label))


def test_gentag(pipeline: Pipeline) -> None:
    card = get_card("tilfaeldighed-borgermail")
    steps = Steps()
    settings = small(card.id, repeats=2, sweep=[0.0, 1.2])
    result = run_card(card, pipeline, Session(), settings=settings, progress=steps)

    assert steps.calls[-1] == (8, 8, "Færdig")  # 2 answers x (random + fixed + 2 temperatures)
    assert [s.label for s in (result.random, result.fixed)] == [
        "Tilfældigt seed, temperatur 0,8",
        "Fast seed 42, temperatur 0,8",
    ]
    assert {a.seed for a in result.fixed.answers} == {42}
    assert result.fixed.identical, "the same seed must give the same answer"
    assert result.sweep[0].identical, "temperature 0 always picks the most likely token"
    assert result.sweep[0].mean_similarity == 1.0
    for series in (result.random, result.fixed, *result.sweep):
        assert len(series.matrix) == 2 and all(len(row) == 2 for row in series.matrix)
        for answer, spans in zip(series.answers, series.spans, strict=True):
            assert joined(spans) == answer.text
            assert {s.kind for s in spans} <= {"", "same", "partly", "differs"}
            assert answer.log_id is not None
    assert [p.temperature for p in result.points] == [0.0, 1.2]
    assert len(result.plot_data()["Lighed (%)"]) == 2
    assert "seed" in result.summary
    logged = {entry["id"] for entry in pipeline.log.entries(exercise_id=card.id)}
    assert {a.log_id for s in (result.random, result.fixed, *result.sweep) for a in s.answers} <= logged


def test_par_shares_the_seed_within_a_repeat(pipeline: Pipeline) -> None:
    card = get_card("bias-koen")
    result = run_card(card, pipeline, Session(), settings=small(card.id, repeats=2))

    women, men = result.variants
    assert (women.label, men.label) == ("Kvinde", "Mand")
    assert [a.seed for a in women.answers] == [a.seed for a in men.answers]
    assert "kvinde" in women.sent and "mand" in men.sent
    assert len(result.pairs) == 2 and result.pairs[0].seed == women.answers[0].seed
    assert len(result.terms) == len(card.settings().terms)  # type: ignore[attr-defined]
    for row in result.terms:
        assert all(0 <= hit <= 2 for hit in row.hits) and 0 < row.p_value <= 1
    assert 0 <= result.within <= 1 and 0 <= result.between <= 1
    assert any("under tre gentagelser" in w for w in result.warnings)
    assert [label for label, _ in result.distinctive] == ["Kvinde", "Mand"]
    for row in result.terms:
        assert not re.search(r"\d\.\d", row.verdict), f"a decimal point, not a comma: {row.verdict}"


def test_par_verdict_says_when_there_is_no_difference() -> None:
    labels, totals = ["Kvinde", "Mand"], [4, 4]
    none = par.verdict(labels, [0, 0], totals, 1.0)
    same = par.verdict(labels, [3, 3], totals, 1.0)
    some = par.verdict(labels, [1, 3], totals, 0.49)
    assert "ingen forskel" in none.lower() and "tilfældig" not in none
    assert same.startswith("Ingen forskel") and "Kvinde 3/4, Mand 3/4" in same and "tilfældig" not in same
    assert some == "Forskellen (Kvinde 1/4, Mand 3/4) kan skyldes tilfældigheder (p = 0,49)."
    assert "(p = 0,01)" in par.verdict(labels, [0, 4], totals, 0.01)


def test_decimal_has_the_danish_comma() -> None:
    assert (decimal(0.8), decimal(1.0, 2), decimal(15.24, 1), decimal(0.0, 1)) == ("0,8", "1,00", "15,2", "0,0")


def test_par_warns_when_the_guard_masks_the_difference(pipeline: Pipeline) -> None:
    card = get_card("bias-koen")
    named = small(
        card.id,
        repeats=1,
        max_tokens=8,
        variants=[
            {"label": "Mette", "values": {"person": "Mette Kristensen"}},
            {"label": "Ahmed", "values": {"person": "Ahmed Hassan"}},
        ],
    )
    result = run_card(card, pipeline, Session(), settings=named)
    assert "Mette Kristensen" not in result.variants[0].sent
    assert any("maskeret netop det" in w for w in result.warnings)


def test_selvtjek_on_an_invented_scheme(pipeline: Pipeline) -> None:
    card = get_card("hallucination-ordning")
    result = run_card(card, pipeline, Session(), settings=small(card.id, samples=2, max_tokens=24))

    assert len(result.samples) == 2 and len(result.honest) == 3
    assert joined(result.spans) == result.main.text
    assert result.main.temperature == 0.2 and {s.temperature for s in result.samples} == {1.0}
    for check in result.checks:
        assert len(check.sample_support) == 2 and check.source_support is None
        assert check.mark in ("supported", "unsupported")
    assert "grøn cykelcheck" in result.summary and "findes ikke" in result.summary


def test_selvtjek_summary_checks_against_the_case(pipeline: Pipeline) -> None:
    card = get_card("sagsresume-jobcenter")
    result = run_card(card, pipeline, Session(), settings=small(card.id, samples=2, max_tokens=32))

    assert "120379-1146" in card.material.text and "120379-1146" not in result.sent
    assert "120379-1146" not in result.main.text
    for check in result.checks:
        assert check.source_support is not None and 0 <= check.source_support <= 1
        assert check.mark in ("supported", "unsupported", "not_in_source")


def test_sandsynligheder(pipeline: Pipeline) -> None:
    card = get_card("blackbox-afgoerelse")
    settings = small(card.id, top_logprobs=3, max_tokens=12, seed=11)
    first = run_card(card, pipeline, Session(), settings=settings)
    again = run_card(card, pipeline, Session(), settings=settings)

    assert first.answer.text == again.answer.text, "a fixed seed reproduces the answer"
    assert first.answer.seed == 11
    assert not first.hidden and first.tokens
    assert "".join(t.text for t in first.tokens).strip() == first.answer.text.strip()
    for token in first.tokens:
        assert 0 < token.prob <= 1
        assert len(token.alternatives) <= 3
        assert token.kind in ("sure", "likely", "unsure")
    assert len(first.forks) == min(5, len(first.tokens))
    assert "tokens" in first.summary


def test_laesbarhed(pipeline: Pipeline) -> None:
    card = get_card("brev-boligstoette")
    result = run_card(card, pipeline, Session(), settings=small(card.id, max_tokens=40))

    assert result.before == lix(card.material.text)
    assert result.before.band.label == "Meget svær"
    assert result.after == lix(result.rewritten)
    assert "Anders Bjerregaard" not in result.sent
    assert joined(result.before_spans) == card.material.text
    assert joined(result.after_spans) == result.rewritten
    assert all(s.kind in ("", "long") for s in result.before_spans)
    assert set(result.lost_numbers) <= {"1", "2024", "31", "4.812", "2025"}
    assert "LIX gik fra" in result.summary


def test_laesbarhed_does_not_blame_the_model_for_what_the_guard_masked(pipeline: Pipeline) -> None:
    card = get_card("laesbarhed-webtekst")
    result = run_card(card, pipeline, Session(), settings=small(card.id, max_tokens=24))

    assert "72 36 00 00" in card.material.text and "72 36 00 00" not in result.sent
    assert result.masked_numbers == ("72 36 00 00",)
    assert not {"72", "36", "00"} & set(result.lost_numbers), result.lost_numbers
    assert "telefonnummeret" not in card.settings().instruction  # type: ignore[attr-defined]
    if not result.empty:
        assert "maskerede ét tal" in result.summary
        per_sentence = re.search(r"Ord pr. sætning: (\S+) → (\S+)\.", result.summary)
        assert per_sentence and all("," in part and "." not in part for part in per_sentence.groups())


def test_an_empty_rewrite_is_reported_as_empty_not_as_the_goal_reached() -> None:
    before = lix(get_card("mail-forste-skridt").material.text)
    for empty in ("", "  \n "):
        text = laesbarhed.summary(before, empty, 35, (), ())
        assert "svarede ikke med nogen tekst" in text
        assert "nået" not in text and "til 0" not in text


def test_an_empty_answer_is_not_counted_as_an_invention() -> None:
    settings = get_card("hallucination-ordning").settings()
    answers = tuple(Answer(text, 1, 0.2, "stop", None) for text in ("", "Det ved jeg ikke.", "Man får 500 kr."))
    text = selvtjek.summary(settings, [], answers)  # type: ignore[arg-type]
    assert "Det første svar var tomt" in text
    assert "1 af 3 svar (33 %) sagde, at modellen ikke vidste det, 1 var tomt, og 1 fandt på et svar." in text


def test_laesbarhed_needs_text(pipeline: Pipeline) -> None:
    with pytest.raises(UserError, match="Indsæt den tekst"):
        run_card(get_card("laesbarhed-webtekst"), pipeline, Session(), material="  ")


def test_hoeringssvar_compares_with_the_key(pipeline: Pipeline) -> None:
    card = get_card("hoeringssvar-temaer")
    steps = Steps()
    settings = small(card.id, limit=4, batch_size=2, max_tokens=32)
    result = run_card(card, pipeline, Session(), settings=settings, progress=steps)

    assert result.used == 4 and len(result.answers) == 2 and len(result.sent) == 2
    labels = [label for _, _, label in steps.calls]
    assert labels[0] == "Læser 4 høringssvar i 2 bunker (0 af 2 svar færdige)"  # the two batches are read together
    assert labels[-2:] == ["Læser 4 høringssvar i 2 bunker (2 af 2 svar færdige)", "Færdig"]
    assert "Svar 1–2:" in result.combined and "Svar 3–4:" in result.combined
    assert "Jens Mikkelsen" not in result.sent[0] and "Svar 1 (borger" in result.sent[0]
    hearing = load_hearing("lokalplan-moellebakken")
    expected = [t.name for t in hearing.themes if set(t.responses) & {1, 2, 3, 4}]
    assert [t.name for t in result.themes] == expected
    for theme in result.themes:
        assert set(theme.responses) <= {1, 2, 3, 4}
        assert theme.found == bool(theme.matched_terms)
    assert all(n not in range(1, 5) for n in result.unknown_references)
    assert result.combined.startswith("Svar 1–2:")


def test_privatliv_shows_what_the_model_receives(pipeline: Pipeline) -> None:
    card = get_card("privatliv-journalnotat")
    session = Session()
    result = run_card(card, pipeline, session, settings=small(card.id, max_tokens=24))

    for secret in ("030352-1217", "susanne.frandsen@mail.dk", "28 41 93 07", "Ole Kristian Frandsen"):
        assert secret in result.caught and secret not in result.sent
    assert set(result.caught) | set(result.missed) == set(card.settings().expected)  # type: ignore[attr-defined]
    assert joined(result.prompt_spans) == result.prompt and joined(result.sent_spans) == result.sent
    assert any(s.kind == "masked" for s in result.prompt_spans)
    assert any(s.kind == "masked" and s.text.startswith("[CPR_") for s in result.sent_spans)
    assert {s.text for s in result.sent_spans if s.kind == "missed"} <= set(result.missed)
    assert result.decision in ("redacted", "sent")
    assert result.answer is not None and result.restored is not None


def test_stop_before_start(pipeline: Pipeline) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(Stopped, match="stoppet"):
        run_card(get_card("tilfaeldighed-borgermail"), pipeline, Session(), cancel=stop)


def test_settings_must_fit_the_card(pipeline: Pipeline) -> None:
    with pytest.raises(UserError, match="passer ikke"):
        run_card(get_card("bias-koen"), pipeline, Session(), settings=small("tilfaeldighed-borgermail"))


def test_journal_keeps_only_redacted_text(pipeline: Pipeline) -> None:
    session = Session()
    journal = Journal()
    entry = journal.add(
        pipeline,
        session,
        "privatliv-journalnotat",
        tried="Jeg indsatte notatet om Ole Kristian Frandsen, cpr 030352-1217.",
        happened="Værnet skjulte navnet.",
        learned="",
    )
    assert "030352-1217" not in entry.tried and "Ole Kristian Frandsen" not in entry.tried
    assert "[CPR_" in entry.tried
    markdown = journal.to_markdown(participant="Deltager 4")
    assert markdown.startswith("# Læringslog fra legepladsen")
    assert "## Hvad ser modellen af mit journalnotat?" in markdown
    assert "**Det prøvede jeg:**" in markdown and "**Det lærte jeg:**" not in markdown
    assert "030352-1217" not in markdown
    with pytest.raises(UserError, match="mindst én ting"):
        journal.add(pipeline, session, "bias-koen", tried=" ", happened="", learned="")
    with pytest.raises(UserError, match="findes ikke"):
        journal.add(pipeline, session, "nej", tried="x", happened="", learned="")
    journal.remove(0)
    assert "Ingen indførsler" in journal.to_markdown()


def test_sandsynligheder_says_so_when_the_model_answers_nothing(pipeline: Pipeline) -> None:
    # With seed 11 the demo model draws "end of answer" first for this prompt (found by trying seeds 1-34:
    # 11 and 34 do; the seed a CI run once met with the card's own prompt no longer does since the batching engine).
    card = get_card("blackbox-afgoerelse")
    settings = small(card.id, seed=11, max_tokens=8, prompt="Gentag navnet Mette Hansen.")
    result = run_card(card, pipeline, Session(), settings=settings)
    assert result.answer.text == "" and result.tokens == ()
    assert result.summary.startswith("Modellen svarede ikke med nogen tekst")
