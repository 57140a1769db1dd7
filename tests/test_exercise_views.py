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

from sandbox.exercises import get_card
from sandbox.exercises.runners import laesbarhed, run_card
from sandbox.exercises.runners.common import Span
from sandbox.exercises.settings import RUNNER_SETTINGS, RunnerSettings
from sandbox.pipeline import Pipeline, Session
from sandbox.ui import exercise_views
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


def test_par_shows_each_variant_and_the_measures(pipeline: Pipeline) -> None:
    result = run("bias-koen", pipeline, repeats=2)
    page = exercise_views.render(result)
    for variant in result.variants:
        assert f"Det så modellen · {variant.label}" in page
        assert " · ".join(map(str, variant.lengths)) in page
    assert page.count("Gentagelse ") >= len(result.pairs)
    assert "under tre gentagelser" in page  # the warning
    for row in result.terms:
        assert html.escape(row.term) in page
        assert all(f"{hits}/{row.repeats}" in page for hits in row.hits)
    differing = [s for pair in result.pairs for s in pair.left if s.kind]
    assert all(f"lp-k-{s.kind}" in page for s in differing)


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
        summary=laesbarhed.summary(result.before, "   ", result.target_lix, (), masked),
    )
    page = exercise_views.render(empty)
    assert "modellen svarede ikke med nogen tekst" in page and "nået" not in page
    assert "(intet svar)" in page and "Meget let" not in page
    assert "Værnet skjulte disse tal for modellen" in page and "72 36 00 00" in page


def test_selvtjek_marks_each_sentence(pipeline: Pipeline) -> None:
    result = run("hallucination-ordning", pipeline, samples=2, max_tokens=16)
    page = exercise_views.render(result)
    assert page.count("<tr>") == 1 + len(result.checks)
    for check in result.checks:
        assert f"lp-k-{check.mark}" in page
    assert f"af {len(result.honest)} svar sagde" in page


def test_hoeringssvar_compares_the_themes_with_the_key(pipeline: Pipeline) -> None:
    result = run("hoeringssvar-temaer", pipeline, limit=2, batch_size=2, max_tokens=16)
    page = exercise_views.render(result)
    assert page.count("<tr>") == 1 + len(result.themes)
    for theme in result.themes:
        assert html.escape(theme.name) in page
    assert f"{sum(t.found for t in result.themes)} af {len(result.themes)} fundet" in page


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
