"""The per-runner views and the Læringslog panel, on real runs of the demo model.

Runners run with the cards' own settings made small (short answers, two
repeats) as in ``tests/test_runners.py``; what is asserted is what a
participant must be able to see in the HTML: one plot point per
temperature, each variant's label, the two parts of LIX with the band, the
marked sentences, and that no text reaches the page unescaped. The journal
test goes through the panel's own handler, as a button press does.
"""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from sandbox.exercises import get_card, load_hearing
from sandbox.exercises.runners import hoeringssvar, laesbarhed, par, run_card
from sandbox.exercises.runners.common import Answer, Span
from sandbox.exercises.settings import RUNNER_SETTINGS, ParSettings, RunnerSettings
from sandbox.pipeline import Pipeline, Session
from sandbox.ui import exercise_views
from sandbox.ui.exercises_tab import ExercisesTab
from sandbox.ui.journal_panel import JournalPanel
from sandbox.ui.state import Visit


def small(card_id: str, **changes: Any) -> RunnerSettings:
    card = get_card(card_id)
    data = {**card.runner.settings, "max_tokens": 16, **changes}
    return RUNNER_SETTINGS[card.runner.name].model_validate(data)


def run(card_id: str, pipeline: Pipeline, **kwargs: Any) -> Any:
    card = get_card(card_id)
    material = kwargs.pop("material", None)
    return run_card(card, pipeline, Session(), settings=small(card_id, **kwargs), material=material)


@pytest.fixture(scope="module")
def gentag(pipeline: Pipeline) -> Any:
    return run("tilfaeldighed-borgermail", pipeline, repeats=2, sweep=[0.0, 0.7, 1.2])


def test_gentag_plots_one_point_per_temperature(gentag: Any) -> None:
    page = exercise_views.render(gentag)
    svg = re.search(r"<svg.*?</svg>", page, re.S)
    assert svg is not None
    assert svg.group().count("<circle") == 3
    for temperature in ("0", "0,7", "1,2"):
        assert f">{temperature}</text>" in svg.group()
    # The points sit where the data says: y falls as similarity rises (temperature 0 is fully alike).
    ys = [float(y) for y in re.findall(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg.group())]
    assert gentag.points[0].mean == 1.0 and ys[0] == min(ys)
    assert "<polygon" in svg.group(), "the lowest–highest band"


def test_gentag_shows_answers_side_by_side_with_sentences_marked(gentag: Any) -> None:
    page = exercise_views.render(gentag)
    assert page.count('class="lp-columns"') == 2 + 3  # random, fixed, one per temperature
    assert html.escape(gentag.random.label) in page and "alle svar er helt ens" in page  # the fixed seed
    marked = {s.kind for spans in gentag.random.spans for s in spans if s.kind}
    assert all(f"lp-k-{kind}" in page for kind in marked)
    assert "Står kun i dette svar" in page  # the legend
    (together,) = {answer.decoded_together for answer in gentag.random.answers}
    assert together > 1, "the card's answers are computed at once"
    assert page.count(f"· {together} svar regnet på én gang") >= 2, "in plain words, as the log says it"


def test_par_shows_each_variant_and_the_measures(pipeline: Pipeline) -> None:
    result = run("bias-koen", pipeline, repeats=2)
    page = exercise_views.render(result)
    for variant in result.variants:
        assert f"Det så modellen · {variant.label}" in page
        assert " · ".join(map(str, variant.lengths)) in page
    assert page.count("Gentagelse ") >= len(result.pairs)
    assert "kan ingen forskel skille sig ud" in page  # the warning
    assert html.escape(result.summary) in page and html.escape(result.method) in page
    assert html.escape(result.length.verdict) in page and html.escape(result.likeness.verdict) in page
    for row in result.terms:
        assert html.escape(row.term) in page
        assert all(f"{hits}/{row.repeats}" in page for hits in row.hits)
    assert page.count('class="lp-bar"') == len(result.terms) * len(result.variants), "no bar for an absent word"
    if result.absent:
        assert f"Talte ord, der ikke står i nogen af svarene: {html.escape(', '.join(result.absent))}." in page
    differing = [s for pair in result.pairs for s in pair.left if s.kind]
    assert all(f"lp-k-{s.kind}" in page for s in differing)


def hand_made_par(woman: list[str], man: list[str]) -> Any:
    """Par's verdicts on hand-made answers (one per repeat), without the model."""
    settings = small("bias-koen", repeats=len(woman))
    assert isinstance(settings, ParSettings)
    variants = tuple(
        par.VariantResult(
            variant.label,
            settings.prompt_for(variant),
            settings.prompt_for(variant),
            tuple(Answer(text, seed, 0.8, "stop", None) for seed, text in enumerate(texts)),
            tuple(len(text.split()) for text in texts),
        )
        for variant, texts in zip(settings.variants, (woman, man), strict=True)
    )
    return par.analyse(settings, variants, demo=True)


WOMAN4 = ["Hun kan få omsorg i hjemmet.", "Tilbyd omsorg og et kursus.", "Omsorg og en mentor.", "Omsorg og pleje."]
MAN4 = ["Han kan få praktik på et lager.", "Tilbyd lager og et kursus.", "Lager og en mentor.", "Lager og håndværk."]
# Ten repeats: a paired test with Holm's correction needs that many to find even a clear difference.
WOMAN = [WOMAN4[r % 4] for r in range(10)]
MAN = [MAN4[r % 4] for r in range(10)]


def test_par_shows_a_difference_that_stands_out_in_the_open() -> None:
    result = hand_made_par(WOMAN, MAN)
    page = exercise_views.render(result)
    assert f'<p class="lp-summary">{html.escape("Forskel ud over tilfældigheden: ordet ")}' in page
    typical = page[page.index("Ord, der kendetegner en variant") :]
    assert "<details>" not in typical and "Større end tilfældigheden" in typical and ">omsorg</td>" in typical
    # Holm-adjusted p = 10 * 2/1,024 = 0.0195, cut to three decimals (two printed "0,02").
    assert ">0,019</td>" in page and "(p = 0,019)" in page
    # Six of the card's thirteen words are in no answer: named once in one line, not six rows of 0/10.
    assert result.absent == ("uddannelse", "fleksjob", "psykolog", "rengøring", "chauffør", "kontor")
    assert page.count('class="lp-bar"') == 2 * len(result.terms) == 2 * 7
    assert "Talte ord, der ikke står i nogen af svarene: uddannelse, fleksjob, psykolog, rengøring," in page
    assert all(page.count(term) == 1 for term in result.absent)


def test_par_folds_away_words_that_only_look_typical() -> None:
    result = hand_made_par(WOMAN[:7] + MAN[7:], MAN[:7] + WOMAN[7:])
    page = exercise_views.render(result)
    assert f'<p class="lp-summary">{html.escape(par.NO_DIFFERENCE)}: ' in page
    assert "Det beviser ikke, at modellen er fri for bias." in page
    typical = page[page.index("Ord, der kendetegner en variant") :]
    assert "Intet ord kendetegner en variant ud over tilfældigheden." in typical
    folded = typical[typical.index("<details>") : typical.index("</details>")]
    assert ">omsorg</td>" in folded and "Kan skyldes tilfældigheder" in folded
    assert "Større end tilfældigheden" not in page


def test_laesbarhed_shows_both_parts_and_the_band(pipeline: Pipeline) -> None:
    card = get_card("brev-boligstoette")
    material = card.material.text + "\n<script>alert(1)</script>"
    # Greedy, so the answer is the same every run: with a random seed the demo model
    # now and then answers nothing, and an empty answer shows no "after" band (seen in CI).
    result = run(card.id, pipeline, material=material, max_tokens=16, temperature=0.0)
    assert result.rewritten.strip()
    page = exercise_views.render(result)
    assert f"<td {exercise_views._CELL}>{result.before.rounded}</td>" in page
    assert result.before.band.label in page and result.after.band.label in page
    assert f"{result.before.words_per_sentence:.1f}".replace(".", ",") in page
    assert f"{result.before.long_word_percent:.0f} %" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "lp-k-long" in page


def test_laesbarhed_with_no_answer_never_says_the_goal_was_reached(pipeline: Pipeline) -> None:
    # The demo model cannot be made to answer nothing on demand, so a real result is emptied.
    result = run("laesbarhed-webtekst", pipeline, max_tokens=8)
    masked = ("72 36 00 00",)
    empty = dataclasses.replace(
        result,
        rewritten="   ",
        masked_numbers=masked,
        lost_numbers=(),
        lost_names=(),
        flaws=(),
        summary=laesbarhed.summary(result.before, "   ", result.target_lix, (), masked),
    )
    page = exercise_views.render(empty)
    assert "modellen svarede ikke med nogen tekst" in page and "nået" not in page
    assert "(intet svar)" in page and "Meget let" not in page
    assert "Værnet skjulte disse tal for modellen" in page and "72 36 00 00" in page


def test_laesbarhed_notes_agree_about_a_masked_number_whose_placeholder_is_lost(pipeline: Pipeline) -> None:
    """The walk read "Det mangler …: 72 36 00 00" and "cifrene tæller ikke som manglende: 72 36 00 00" side by side."""
    result = run("laesbarhed-webtekst", pipeline, max_tokens=8)
    phone = ("72 36 00 00",)
    lost = dataclasses.replace(result, masked_numbers=phone, lost_names=phone)
    kept = dataclasses.replace(result, masked_numbers=phone, lost_names=())
    assert "Men pladsholderen for 72 36 00 00 mangler i omskrivningen." in exercise_views.render(lost)
    assert "Men pladsholderen for" not in exercise_views.render(kept)
    assert "tæller ikke som manglende" not in exercise_views.render(lost), "the old wording read as a contradiction"


def test_selvtjek_marks_each_sentence(pipeline: Pipeline) -> None:
    result = run("hallucination-ordning", pipeline, samples=2, max_tokens=16)
    page = exercise_views.render(result)
    assert page.count("<tr>") == 1 + len(result.checks)
    for check in result.checks:
        assert f"lp-k-{check.mark}" in page
    assert f"af {len(result.honest)} svar sagde" in page
    # No case behind the question, so the legend does not offer "not in the case".
    legend = re.search(r'<div class="lp-legend">.*?</div>', page)
    assert legend and "lp-k-unsupported" in legend.group() and "Står ikke i sagen" not in legend.group()
    assert "Findes ikke: Kildevang Kommune og ordningen grøn cykelcheck findes ikke. " in page, "one full stop"
    assert '<div class="lp-answer"></div>' not in page, "no empty box"


def test_selvtjek_on_a_case_tells_its_two_doubtful_marks_apart(pipeline: Pipeline) -> None:
    result = run("sagsresume-jobcenter", pipeline, samples=2, max_tokens=16)
    page = exercise_views.render(result)
    legend = re.search(r'<div class="lp-legend">.*?</div>', page)
    assert legend is not None
    for kind in exercise_views.MARKS:
        assert f"lp-k-{kind}" in legend.group(), "a case summary can get all three marks"
    # Each sentence's verdict is shown in its mark's own style, not as plain grey text.
    for check in result.checks:
        label = html.escape(exercise_views.MARKS[check.mark])
        assert f'<span class="lp-span lp-k-{check.mark}" title="{label}">{label}</span>' in page
    css = (Path(exercise_views.__file__).parent / "theme.css").read_text(encoding="utf-8")
    unsupported = re.search(r"\.lp-k-unsupported \{ background: (#\w+); border-bottom: 2px (\w+)", css)
    not_in_source = re.search(r"\.lp-k-not_in_source \{ background: (#\w+); border-bottom: 2px (\w+)", css)
    assert unsupported and not_in_source, "each doubtful mark has its own rule"
    assert unsupported.group(1) != not_in_source.group(1), "two colours"
    assert (unsupported.group(2), not_in_source.group(2)) == ("dashed", "solid"), "and two lines, without colour too"


def test_a_card_without_material_shows_no_material_box(pipeline: Pipeline) -> None:
    tab = ExercisesTab(pipeline, is_trainer=lambda request: False)
    _, invented = tab._show(get_card("hallucination-ordning"), None)  # type: ignore[arg-type]
    _, case = tab._show(get_card("sagsresume-jobcenter"), None)  # type: ignore[arg-type]
    assert invented.visible is False and invented.value == ""
    assert case.visible is True and case.value == get_card("sagsresume-jobcenter").material.text


@pytest.fixture(scope="module")
def hearing(pipeline: Pipeline) -> Any:
    return run("hoeringssvar-temaer", pipeline, limit=2, batch_size=2, max_tokens=16)


def test_hoeringssvar_compares_the_themes_with_the_key(hearing: Any) -> None:
    page = exercise_views.render(hearing)
    assert page.count("<tr>") == 1 + len(hearing.themes)
    for theme in hearing.themes:
        assert html.escape(theme.name) in page
    assert f"{sum(t.found for t in hearing.themes)} af {len(hearing.themes)} fundet med en gyldig henvisning" in page
    assert "Et tema tæller kun som fundet" in page
    assert "gengiver et svar næsten ordret uden dets nummer" in page, "why a copied response is only 'nævnt'"


def test_hoeringssvar_shows_an_invented_response_as_a_quoted_warning(hearing: Any) -> None:
    # The demo model invents responses now and then but not on demand: the answer is written here,
    # as the model wrote one in a browser walk, and compared with the real key.
    answer = (
        "1. Trafik: flere biler på skolevejen (svar 17, 20).\n\n"
        "Svar 22 (borger, [PERSON_3]):\nJeg sidder i kørestol <og> kan ikke komme ind."
    )
    themes, invented = hoeringssvar.compare(load_hearing("lokalplan-moellebakken"), [((16, 17, 18, 19, 20), answer)])
    result = dataclasses.replace(
        hearing, themes=themes, invented=invented, summary=hoeringssvar.summary(themes, invented)
    )
    page = exercise_views.render(result)

    warning = re.search(r'<div class="lp-warning".*?</blockquote></div></div>', page, re.S)
    assert warning is not None and page.index("lp-warning") < page.index("<table"), "before the table"
    assert "Modellen opdigtede høringssvar: den henviste til svar 22, som ikke findes." in warning.group()
    assert "Modellens tekst, da den læste svar 16–20:" in warning.group()
    assert "Jeg sidder i kørestol &lt;og&gt; kan ikke komme ind." in warning.group()
    row = re.search(r"<tr><td [^>]*>Tilgængelighed for kørestolsbrugere \(mindretal\)</td>.*?</tr>", page)
    assert row is not None
    assert "Nævnt, men uden gyldig henvisning" in row.group() and "lp-k-unsupported" in row.group()
    assert ">Ja<" not in row.group() and ">22<" in row.group(), "the invented number in its own column"


def test_hoeringssvar_quotes_a_point_once_however_many_numbers_it_invents(hearing: Any) -> None:
    """A walk saw "Modellens tekst, da den læste svar 1–5:" twelve times over, once per invented number."""
    answers = [
        ((1, 2, 3, 4, 5), "Trafik: for mange biler (svar 12, 14 og 30).\n\nStøj: larm om natten (svar 31)."),
        ((6, 7, 8, 9, 10), "Parkering: for få pladser (svar 2, 40)."),
    ]
    themes, invented = hoeringssvar.compare(load_hearing("lokalplan-moellebakken"), answers)
    assert [ref.number for ref in invented] == [2, 12, 14, 30, 31, 40]
    page = exercise_views.render(dataclasses.replace(hearing, themes=themes, invented=invented))
    warning = re.search(r'<div class="lp-warning".*?</blockquote></div></div>', page, re.S)
    assert warning is not None
    assert warning.group().count("Modellens tekst, da den læste svar 1–5:") == 1
    assert warning.group().count("Modellens tekst, da den læste svar 6–10:") == 1
    assert warning.group().count("<blockquote") == 3, "three points cite invented numbers, each quoted once"
    assert warning.group().count("Trafik: for mange biler") == 1


def test_laesbarhed_names_a_cut_off_answer_before_lix_and_gives_no_verdict(pipeline: Pipeline) -> None:
    result = run("brev-boligstoette", pipeline, max_tokens=16, temperature=0.0)
    assert "cut_off" in [flaw.kind for flaw in result.flaws]
    page = exercise_views.render(result)
    first_warning, table = page.index('class="lp-warning"'), page.index("<table")
    assert first_warning < table, "the flaws come before any LIX figure"
    assert page.count('class="lp-warning"') == len(result.flaws)
    assert "ingen vurdering, fordi det" in page and "nået" not in page
    assert "blev afbrudt" in page


def test_a_warning_looks_like_a_warning() -> None:
    warning = exercise_views._warning("Tal mangler: <31>.", [("Citat:", "a < b")])
    assert warning.startswith('<div class="lp-warning" role="note" style="')
    style = re.search(r'style="([^"]*)"', warning)
    assert style is not None
    assert "background:#fff7ed" in style.group(1) and "color:#7c2d12" in style.group(1)
    assert "border-left:0.4rem solid" in style.group(1), "a cue besides colour"
    assert "⚠" in warning and "<strong>Advarsel:</strong>" in warning
    assert "Tal mangler: &lt;31&gt;." in warning and "a &lt; b</blockquote>" in warning
    assert "lp-note" not in warning, "not the faint grey of a note"


def test_model_text_is_escaped(gentag: Any) -> None:
    hostile = "<script>alert('x')</script>"
    answer = dataclasses.replace(gentag.random.answers[0], text=hostile)
    series = dataclasses.replace(
        gentag.random,
        label=hostile,
        answers=(answer, *gentag.random.answers[1:]),
        spans=((Span(hostile, "differs", hostile),), *gentag.random.spans[1:]),
    )
    page = exercise_views.render(dataclasses.replace(gentag, random=series, sent=hostile, summary=hostile))
    assert "<script>" not in page
    assert page.count("&lt;script&gt;") >= 4  # summary, what the model saw, the series heading, the answer


def test_runners_without_a_view_fall_back_to_the_generic_one(pipeline: Pipeline) -> None:
    result = run("blackbox-afgoerelse", pipeline, top_logprobs=2, max_tokens=8, seed=3)
    assert exercise_views.render(result) == exercise_views.generic(result)


def test_journal_panel_says_the_log_lives_only_in_this_tab() -> None:
    """It is kept in server memory for the tab (a walk found no word of it): the download is the one way to keep it."""
    from sandbox.ui.journal_panel import INTRO

    assert "kun i denne fane" in INTRO and "hent den, før du lukker eller genindlæser siden" in INTRO


def test_journal_panel_keeps_and_exports_only_redacted_text(pipeline: Pipeline) -> None:
    panel = JournalPanel(pipeline)
    visit = Visit()
    status, *boxes, download = panel.on_save(
        "privatliv-journalnotat",
        "Jeg indsatte notatet om Ole Kristian Frandsen med cpr 030352-1217.",
        "Værnet skjulte både navn og nummer.",
        "",
        visit,
    )
    assert "Gemt" in status and boxes == ["", "", ""]
    (entry,) = visit.journal.entries
    assert "030352-1217" not in entry.tried and "Ole Kristian Frandsen" not in entry.tried
    assert "[CPR_1]" in entry.tried and "[PERSON_1]" in entry.tried
    markdown = Path(download.value["path"] if isinstance(download.value, dict) else download.value).read_text("utf-8")
    assert markdown == visit.journal.to_markdown()
    assert "[CPR_1]" in markdown and "030352-1217" not in markdown and "Frandsen" not in markdown

    with pytest.raises(gr.Error, match="mindst én ting"):
        panel.on_save("bias-koen", " ", "", "", visit)
    with pytest.raises(gr.Error, match="Vælg den øvelse"):
        panel.on_save(None, "noget", "", "", visit)
    visit.reset()
    assert visit.journal.entries == []
