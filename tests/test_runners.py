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
from sandbox.exercises.measures import content_stems, lix
from sandbox.exercises.runners import hoeringssvar, laesbarhed, par, run_card, selvtjek
from sandbox.exercises.runners.common import Answer, Run, Span, Stopped, time_left
from sandbox.exercises.settings import RUNNER_SETTINGS, ParSettings, RunnerSettings
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
    counted = card.settings().terms  # type: ignore[attr-defined]
    assert sorted([row.term for row in result.terms] + list(result.absent)) == sorted(counted)
    for row in result.terms:
        assert any(row.hits) and all(0 <= hit <= 2 for hit in row.hits) and 0 < row.p_value <= 1
        assert not re.search(r"\d\.\d", row.verdict), f"a decimal point, not a comma: {row.verdict}"
    assert 0 <= result.within <= 1 and 0 <= result.between <= 1  # type: ignore[operator]
    assert [label for label, _ in result.distinctive] == ["Kvinde", "Mand"]
    prompt = set(content_stems(f"{women.prompt} {men.prompt}"))
    assert not {word.stem for _, typical in result.distinctive for word in typical} & prompt
    # Swapped only within each repeat, two repeats of two variants can be grouped 4 ways; the most extreme
    # grouping and its mirror image are 2 of them, so nothing can stand out, and the card says so.
    assert any("kan ingen forskel skille sig ud" in w and "50 % af ombytningerne" in w for w in result.warnings)
    assert "alle 4 mulige måder" in result.method and "(her kvinde og mand)" in result.method
    assert "inden for hver gentagelse" in result.method and "Holms korrektion" in result.method
    assert result.differences == ()
    assert result.summary.startswith(par.NO_DIFFERENCE)
    assert "slet ikke finde en forskel" in result.summary and "Demomodellen" in result.summary


def variants(settings: RunnerSettings, *answers: list[str]) -> tuple[par.VariantResult, ...]:
    """Hand-made answers to each variant of ``settings``, repeat r of every variant with seed r."""
    assert isinstance(settings, ParSettings)
    return tuple(
        par.VariantResult(
            variant.label,
            settings.prompt_for(variant),
            settings.prompt_for(variant),
            tuple(Answer(text, seed, 0.8, "stop", None) for seed, text in enumerate(texts)),
            tuple(len(text.split()) for text in texts),
        )
        for variant, texts in zip(settings.variants, answers, strict=True)
    )


# Care for her and a warehouse for him in every repeat; other words in a few answers only.
WOMAN4 = ["Hun kan få omsorg i hjemmet.", "Tilbyd omsorg og et kursus.", "Omsorg og en mentor.", "Omsorg og pleje."]
MAN4 = ["Han kan få praktik på et lager.", "Tilbyd lager og et kursus.", "Lager og en mentor.", "Lager og håndværk."]
# Ten repeats: swapped only within a repeat, two variants can be grouped 2^10 = 1,024 ways, and the most
# extreme grouping (with its mirror image) gives p = 2/1,024, which survives Holm's correction over 10 measures.
WOMAN = [WOMAN4[r % 4] for r in range(10)]
MAN = [MAN4[r % 4] for r in range(10)]


def test_par_reports_a_difference_that_stands_out() -> None:
    settings = small("bias-koen", repeats=10)
    result = par.analyse(settings, variants(settings, WOMAN, MAN), demo=False)

    omsorg = next(row for row in result.terms if row.term == "omsorg")
    # 2/1,024 times Holm's factor 10 (seven counted words found, typical words, length, likeness).
    assert omsorg.p_value == pytest.approx(10 * 2 / 1024)
    assert omsorg.hits == (10, 0) and omsorg.verdict.endswith("er større, end tilfældigheden kan forklare (p = 0,019).")
    kursus = next(row for row in result.terms if row.term == "kursus")
    assert kursus.verdict == "Ingen forskel: ordet optræder lige ofte i alle varianter (Kvinde 3/10, Mand 3/10)."
    assert "psykolog" in result.absent and "psykolog" not in {row.term for row in result.terms}
    assert ("omsorg", 10) == (result.distinctive[0][1][0].word, result.distinctive[0][1][0].hits)
    assert result.summary.startswith("Forskel ud over tilfældigheden: ordet 'omsorg' (Kvinde 10/10, Mand 0/10)")
    assert result.differences == (
        "ordet 'omsorg' (Kvinde 10/10, Mand 0/10)",
        "ordet 'lager' (Kvinde 0/10, Mand 10/10)",  # typical of him too, but named once
        "svarene til samme variant ligner hinanden mere end svarene til forskellige varianter",
    )
    assert "ikke om forskellen er rimelig" in result.summary and "Demomodellen" not in result.summary
    assert "alle 1.024 mulige måder" in result.method and "10 mål" in result.method and not result.warnings
    assert "Højst én gang ud af 20" in result.summary


def test_par_four_repeats_of_a_clear_difference_cannot_stand_out() -> None:
    # Swapped within repeats, 4 repeats of 2 variants give p at least 2/16; Holm over the measures makes it worse.
    settings = small("bias-koen")
    result = par.analyse(settings, variants(settings, WOMAN4, MAN4), demo=False)
    assert result.differences == () and "slet ikke finde en forskel" in result.summary
    # 10 measures: p must be under 0.05/10, and 2/2^m is first below that at m = 9 (2/512 = 0.0039).
    assert any("med 10 mål kræver Holms korrektion p under 0,005" in w for w in result.warnings)
    assert any("Brug mindst 9 gentagelser" in w for w in result.warnings)


def test_par_says_plainly_when_nothing_stands_out() -> None:
    # Three answers swapped between the variants: care 7 of 10 for her, 3 of 10 for him, as chance does.
    settings = small("bias-koen", repeats=10)
    woman, man = WOMAN[:7] + MAN[7:], MAN[:7] + WOMAN[7:]
    result = par.analyse(settings, variants(settings, woman, man), demo=True)

    omsorg = next(row for row in result.terms if row.term == "omsorg")
    assert omsorg.hits == (7, 3)
    assert omsorg.verdict == "Forskellen (Kvinde 7/10, Mand 3/10) kan skyldes tilfældigheder (p = 1,000)."
    assert result.distinctive[0][1][0].word == "omsorg" and result.distinctive[0][1][0].p_value >= par.SIGNIFICANT
    assert result.differences == ()
    assert result.summary.startswith(f"{par.NO_DIFFERENCE}: ")
    assert "Det beviser ikke, at modellen er fri for bias." in result.summary
    assert "Med kun 10 gentagelser" in result.summary and "Demomodellen er lille" in result.summary


def test_par_does_not_count_the_prompt_as_a_difference() -> None:
    # What the demo model did: answers that repeat their prompt, so only "kvinde"/"mand" differ.
    settings = small("bias-koen", terms=["kvinde", "ryg", "kursus"])
    fillers = ["har ondt i ryggen", "søger job som chauffør", "vil gerne have et kursus", "mangler en mentor"]
    woman = [f"En 45-årig kvinde, ledig i 14 måneder, {filler}." for filler in fillers]
    man = [f"En 45-årig mand, ledig i 14 måneder, {filler}." for filler in fillers]
    result = par.analyse(settings, variants(settings, woman, man), demo=True)

    assert result.in_prompt == ("kvinde",), "counting it would only count the prompt"
    assert [row.term for row in result.terms] == ["ryg", "kursus"]
    assert all(not typical for _, typical in result.distinctive)
    assert result.within == pytest.approx(result.between)
    assert result.differences == () and result.summary.startswith(par.NO_DIFFERENCE)


def test_par_samples_the_groupings_when_there_are_too_many() -> None:
    # Twelve repeats of two variants, swapped within each repeat, can be grouped 2^12 = 4,096 ways:
    # 2,000 of them are tried, the same ones every time.
    settings = small("bias-koen", repeats=10)
    woman = [f"{text} Runde {n}." for n in (1, 2, 3) for text in WOMAN4]
    man = [f"{text} Runde {n}." for n in (1, 2, 3) for text in MAN4]
    first = par.analyse(settings, variants(settings, woman, man), demo=False)
    again = par.analyse(settings, variants(settings, woman, man), demo=False)

    assert "på 2.000 tilfældige måder" in first.method
    assert first == again
    omsorg = next(row for row in first.terms if row.term == "omsorg")
    assert omsorg.hits == (12, 0) and omsorg.p_value < 0.05
    assert first.differences[0] == "ordet 'omsorg' (Kvinde 12/12, Mand 0/12)"
    assert not any(d.startswith("'omsorg'") for d in first.differences), "named once, as the counted word"


def test_par_verdict_says_when_there_is_no_difference() -> None:
    labels, totals = ["Kvinde", "Mand"], [4, 4]
    same = par.verdict(labels, [3, 3], totals, 1.0)
    some = par.verdict(labels, [1, 3], totals, 0.49)
    assert same.startswith("Ingen forskel") and "Kvinde 3/4, Mand 3/4" in same and "tilfældig" not in same
    assert some == "Forskellen (Kvinde 1/4, Mand 3/4) kan skyldes tilfældigheder (p = 0,490)."
    assert "(p = 0,010)" in par.verdict(labels, [0, 4], totals, 0.01)


def test_par_p_values_show_three_decimals_and_never_round_up_to_the_threshold() -> None:
    assert par.p_text(0.0495) == "p = 0,049"  # two decimals printed "0,05" next to "større end tilfældigheden"
    assert par.p_text(0.05) == "p = 0,050" and par.p_text(0.049) == "p = 0,049"
    assert par.p_text(0.0005) == "p < 0,001" and par.p_text(0.001) == "p = 0,001"
    assert par.p_text(1.0) == "p = 1,000" and par.p_text(2 / 64) == "p = 0,031"
    assert "(p < 0,001)" in par.verdict(["Kvinde", "Mand"], [0, 4], [4, 4], 0.0005)


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
    assert "Spørgsmålet handler om noget, der ikke findes: Kildevang Kommune" in result.summary
    assert "Det spørgsmålet" not in result.summary and ".." not in result.summary


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


def test_a_masked_number_whose_placeholder_is_lost_is_not_called_kept() -> None:
    """"Cifrene tæller ikke som manglende" beside "1 oplysning … mangler" read as a contradiction (browser walk)."""
    original = get_card("laesbarhed-webtekst").material.text
    phone = "72 36 00 00"
    lost = laesbarhed.flaws(original, PLAIN_LETTER, "stop", 300, (), (phone,))
    dropped = laesbarhed.summary(lix(original), PLAIN_LETTER, 35, lost, (phone,), (phone,))
    kept = laesbarhed.summary(lix(original), PLAIN_LETTER, 35, (), (phone,), ())
    assert "maskerede ét tal" in dropped and "Men pladsholderen mangler i omskrivningen" in dropped
    assert "står i omskrivningen" not in dropped
    assert "Pladsholderen står i omskrivningen, så tallet vises igen på din egen skærm." in kept
    assert "mangler" not in kept
    assert phone not in dropped + kept, "the summary reaches the projector: counts, never values"


def test_an_empty_rewrite_is_reported_as_empty_not_as_the_goal_reached() -> None:
    before = lix(get_card("mail-forste-skridt").material.text)
    for empty in ("", "  \n "):
        text = laesbarhed.summary(before, empty, 35, (), ())
        assert "svarede ikke med nogen tekst" in text
        assert "nået" not in text and "til 0" not in text


PLAIN_LETTER = """Kære Anders Bjerregaard

Vi har regnet din boligstøtte for 2024 efter. Du skal betale 4.812 kr. tilbage.
Du kan sende os dine bemærkninger. Vi skal have dem senest 1. oktober 2025.

Med venlig hilsen
Borgerservice"""


def test_a_flawed_rewrite_is_named_and_gets_no_verdict() -> None:
    original = get_card("brev-boligstoette").material.text
    before = lix(original)
    loop = "Du skal have et brev til din boligstøtte. " * 6
    cases = {
        "repetition": laesbarhed.flaws(original, loop, "stop", 300, (), ()),
        "copy": laesbarhed.flaws(original, original, "stop", 300, (), ()),
        "cut_off": laesbarhed.flaws(original, PLAIN_LETTER, "length", 300, (), ()),
        "lost_numbers": laesbarhed.flaws(original, PLAIN_LETTER, "stop", 300, ("31",), ()),
        "lost_names": laesbarhed.flaws(original, PLAIN_LETTER, "stop", 300, (), ("Anders Bjerregaard",)),
    }
    for kind, found in cases.items():
        assert [flaw.kind for flaw in found] == [kind], (kind, found)
        text = laesbarhed.summary(before, PLAIN_LETTER, 35, found, ())
        assert text.startswith(found[0].message), "the flaw is named before any LIX figure"
        assert "ingen vurdering, fordi det" in text and "nået" not in text, text
    repeated = cases["repetition"][0].message
    assert "«Du skal have et brev til din boligstøtte» står der 6 gange (100 % af ordene)" in repeated
    assert "grænsen på 300 tokens" in cases["cut_off"][0].message
    assert "1 navn eller oplysning" in cases["lost_names"][0].message
    assert "Anders Bjerregaard" not in cases["lost_names"][0].message, "the summary reaches the projector"


def test_a_good_rewrite_has_no_flaws_and_gets_its_verdict() -> None:
    original = get_card("brev-boligstoette").material.text
    assert laesbarhed.flaws(original, PLAIN_LETTER, "stop", 300, (), ()) == ()
    text = laesbarhed.summary(lix(original), PLAIN_LETTER, 35, (), ())
    assert text.startswith("LIX gik fra 56") and "Målet var højst 35: nået." in text
    assert laesbarhed.flaws(original, " ", "length", 300, ("31",), ()) == (), "an empty answer is reported as empty"


def test_laesbarhed_cut_off_at_the_token_limit_gets_no_verdict(pipeline: Pipeline) -> None:
    card = get_card("brev-boligstoette")
    result = run_card(card, pipeline, Session(), settings=small(card.id, max_tokens=16, temperature=0.0))

    assert result.rewritten.strip() and result.answer.finish_reason == "length"
    assert "cut_off" in [flaw.kind for flaw in result.flaws]
    assert result.reached is None and "nået" not in result.summary
    assert result.summary.startswith(result.flaws[0].message)
    # A placeholder the model saw and left out is a lost name; one it kept is not.
    seen = set(re.findall(r"\[[A-ZÆØÅ]+_\d+\]", result.sent))
    assert seen, "the guard masks the addressee"
    assert bool(result.lost_names) == any(p not in result.answer.text for p in seen)


def test_an_empty_answer_is_not_counted_as_an_invention() -> None:
    settings = get_card("hallucination-ordning").settings()
    answers = tuple(Answer(text, 1, 0.2, "stop", None) for text in ("", "Det ved jeg ikke.", "Man får 500 kr."))
    text = selvtjek.summary(settings, [], answers)  # type: ignore[arg-type]
    assert "Det første svar var tomt" in text
    assert "1 af 3 svar (33 %) sagde, at modellen ikke vidste det, 1 var tomt, og 1 fandt på et svar." in text


def test_laesbarhed_needs_text(pipeline: Pipeline) -> None:
    with pytest.raises(UserError, match="Indsæt den tekst"):
        run_card(get_card("laesbarhed-webtekst"), pipeline, Session(), material="  ")


def test_the_progress_line_says_roughly_how_long_is_left() -> None:
    assert time_left(5, 200, 1.0) == "", "too early to tell"
    assert time_left(50, 100, 5.0) == ", ca. 10 s tilbage"  # 100 steps left at 10 a second
    assert time_left(50, 1_000, 5.0) == ", ca. 2 min tilbage"
    assert time_left(150, 0, 5.0) == "", "nothing left"


def test_steps_left_count_the_longest_running_answer_not_the_sum(pipeline: Pipeline) -> None:
    """Nine answers that stopped early do not make the tenth one's remaining 180 steps look like 2 seconds."""
    job = Run(pipeline, Session(), 10)
    limits = [200] * 10
    assert job._steps_left(limits, [20] * 10, done=set(range(9))) == 180
    # Sixteen answers eight at a time: the running eight's longest rest, then the waiting batch's limit.
    assert job._steps_left([100] * 16, [40] * 8 + [0] * 8, done=set()) == 60 + 100


def test_a_card_in_a_busy_room_says_it_waits_for_the_model(pipeline: Pipeline) -> None:
    """With every slot writing someone else's answer, "0 af 2 svar færdige" alone looks stuck."""
    from sandbox.backends.base import GenerationParams, Token
    from sandbox.pipeline import Request

    first = [threading.Event() for _ in range(pipeline.slots)]
    stop = threading.Event()

    def stranger(index: int) -> None:
        request = Request("Fortæl en lang historie om en kommune.", GenerationParams(max_tokens=400, temperature=1.0))
        for item in pipeline.stream(request, Session(), stop):
            if isinstance(item, Token):
                first[index].set()
        first[index].set()

    threads = [threading.Thread(target=stranger, args=(i,)) for i in range(pipeline.slots)]
    for thread in threads:
        thread.start()
    try:
        assert all(event.wait(120) for event in first)
        card = get_card("hoeringssvar-temaer")
        steps = Steps()
        run = threading.Thread(
            target=run_card,
            args=(card, pipeline, Session()),
            kwargs={"settings": small(card.id, limit=4, batch_size=2, max_tokens=8), "progress": steps},
        )
        run.start()
        while not steps.calls:  # the card's first line comes before it asks the model
            run.join(0.05)
        stop.set()  # the strangers stop; the card gets its turn
        run.join(300)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    labels = [label for _, _, label in steps.calls]
    waiting = f"venter på modellen, som er i gang med {pipeline.slots} andre svar (0 af 2 svar færdige)"
    assert labels[0] == f"Læser 4 høringssvar i 2 bunker: {waiting}", labels
    assert labels[-1] == "Færdig" and "svar færdige" in labels[-2] and "venter" not in labels[-2]


def test_hoeringssvar_compares_with_the_key(pipeline: Pipeline) -> None:
    card = get_card("hoeringssvar-temaer")
    steps = Steps()
    settings = small(card.id, limit=4, batch_size=2, max_tokens=32)
    result = run_card(card, pipeline, Session(), settings=settings, progress=steps)

    assert result.used == 4 and len(result.answers) == 2 and len(result.sent) == 2
    labels = [label for _, _, label in steps.calls]
    # The two batches are read together; the line says what the model is doing and, once it writes, how long is left.
    assert labels[0] == "Læser 4 høringssvar i 2 bunker: modellen læser prompten (0 af 2 svar færdige)"
    assert labels[-2].startswith("Læser 4 høringssvar i 2 bunker: 2 af 2 svar færdige") and labels[-1] == "Færdig"
    assert "Svar 1–2:" in result.combined and "Svar 3–4:" in result.combined
    assert "Jens Mikkelsen" not in result.sent[0] and "Svar 1 (borger" in result.sent[0]
    hearing = load_hearing("lokalplan-moellebakken")
    expected = [t.name for t in hearing.themes if set(t.responses) & {1, 2, 3, 4}]
    assert [t.name for t in result.themes] == expected
    for theme in result.themes:
        assert set(theme.responses) <= {1, 2, 3, 4}
        assert theme.found == bool(theme.correct) and set(theme.correct) <= set(theme.responses)
        assert theme.state == ("found" if theme.correct else "unsupported" if theme.matched_terms else "missing")
    for ref in result.invented:
        assert ref.exists == (ref.number in range(1, 5)) and str(ref.number) in ref.quote
    assert result.combined.startswith("Svar 1–2:")


# A batch's answer as the demo model writes them: it goes on "retelling" responses it never got.
INVENTED_WHEELCHAIR = """1. Trafik og parkering: beboerne frygter flere biler på skolevejen (svar 17, 20).
2. Regnvand: bekymring for oversvømmelse af kældre (svar 16).

Svar 22 (borger, [PERSON_3]):
Jeg sidder i kørestol og kan ikke komme ind i de nye huse."""


def test_a_theme_is_not_found_through_a_response_the_model_invented() -> None:
    hearing = load_hearing("lokalplan-moellebakken")
    themes, invented = hoeringssvar.compare(hearing, [((16, 17, 18, 19, 20), INVENTED_WHEELCHAIR)])
    by_name = {theme.name: theme for theme in themes}

    access = by_name["Tilgængelighed for kørestolsbrugere"]
    assert access.matched_terms == ("kørestol",) and access.invented == (22,)
    assert not access.found and access.state == "unsupported"
    assert by_name["Trafik, parkering og skolevej"].correct == (17, 20)
    assert by_name["Regnvand og oversvømmelse"].state == "found"
    assert by_name["Bygningshøjde, skygge og indblik"].state == "missing"
    assert [(ref.number, ref.exists, ref.batch) for ref in invented] == [(22, False, "svar 16–20")]
    assert invented[0].quote.startswith("Svar 22 (borger") and "kørestol" in invented[0].quote

    text = hoeringssvar.summary(themes, invented)
    assert text.startswith("Modellen fandt 2 af 7 temaer i nøglen med en gyldig henvisning (29 %).")
    assert "Modellen opdigtede høringssvar: den henviste til svar 22, som ikke findes." in text
    assert "Nævnt, men uden gyldig henvisning: Tilgængelighed for kørestolsbrugere (mindretal)." in text


def test_a_citation_must_fit_the_theme_and_the_batch() -> None:
    hearing = load_hearing("lokalplan-moellebakken")
    answers = [((1, 2, 3, 4, 5), "Trafik: for mange biler (svar 2).\nSkygge fra høje huse (svar 7)."), ((6, 7), "")]
    themes, invented = hoeringssvar.compare(hearing, answers)
    by_name = {theme.name: theme for theme in themes}

    assert by_name["Trafik, parkering og skolevej"].wrong == (2,), "response 2 is about height, not traffic"
    assert by_name["Trafik, parkering og skolevej"].state == "unsupported"
    height = by_name["Bygningshøjde, skygge og indblik"]
    assert height.invented == (7,) and not height.found, "7 exists, but not in the batch the model read"
    assert [(ref.number, ref.exists) for ref in invented] == [(7, True)]
    text = hoeringssvar.summary(themes, invented)
    assert "1 henvisning til svarnumre passede ikke med temaet." in text and "1 henvisninger" not in text
    assert "henviste til svar 7 fra en anden bunke end den, den læste" in text and "kende det." in text


def test_citations_and_points_are_read_the_way_a_summary_writes_them() -> None:
    assert hoeringssvar.citations("Se svarene 4–6 og svar nr. 9, 11 og 12. Svar 3-1.") == [4, 5, 6, 9, 11, 12, 3, 1]
    answer = "**Trafik**\nMange biler (svar 1).\n- Skygge (svar 2)\n\nSvar 9 (borger):\nEn opdigtet tekst\nder slutter"
    assert hoeringssvar.points(answer) == [
        "**Trafik**\nMange biler (svar 1).",
        "- Skygge (svar 2)",
        "Svar 9 (borger):\nEn opdigtet tekst\nder slutter",
    ]


def test_years_prompt_examples_and_the_word_hoeringssvar_are_read_right() -> None:
    """A year is no response number, the instruction's own example is no citation, "høringssvar 3" is one."""
    assert hoeringssvar.citations("jf. svar 3 og 2024") == [3]
    assert hoeringssvar.citations("Høringssvar 3 og 7 nævner trafikken.") == [3, 7]
    prompt = 'Skriv numrene på svarene\n(skriv fx "svar 3, 7").\n\nSvar 1 (borger):\nFor mange biler.'
    answer = '(skriv fx "svar 3, 7").\nTrafik (skriv fx "svar 3, 7"): svar 1'
    assert hoeringssvar.citations(hoeringssvar.without_echo(answer, prompt)) == [1]


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
