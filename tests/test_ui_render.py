"""What the app draws from tokens and guard results: by example, including the awkward ones."""

from __future__ import annotations

import dataclasses
import html
import re

import gradio as gr

from sandbox.backends.base import Alternative, GenerationParams, Token
from sandbox.exercises.schema import CATEGORIES
from sandbox.guards import Entity, GuardResult
from sandbox.pipeline import Pipeline, Request, Session
from sandbox.ui import preview, probabilities
from sandbox.ui.exercises_tab import ExercisesTab
from sandbox.ui.playground import NO_WORDS_NOTE, answer_html, meta_markdown
from sandbox.ui.state import Visit


def tok(text: str, prob: float, *alternatives: tuple[str, float]) -> Token:
    return Token(text, prob, tuple(Alternative(t, p) for t, p in alternatives))


def visible_text(html: str) -> str:
    """The answer text as it reads on screen (tooltips removed, entities decoded)."""
    body = html.split('<div class="lp-tokens">', 1)[1]
    body = re.sub(r'<span class="lp-alts"[^>]*>.*?</span></span>', "", body)
    body = re.sub(r"<[^>]+>", "", body)
    return (
        body.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
    )


def test_unmasked_tokens_keep_their_probabilities() -> None:
    tokens = [tok("Kære", 0.95, ("Kære", 0.95), ("Hej", 0.03)), tok(" borger", 0.4, (" borger", 0.4), (" Jens", 0.3))]
    pieces = probabilities.align(tokens, "Kære borger", [])
    assert pieces is not None
    assert [(p.text, p.prob) for p in pieces] == [("Kære", 0.95), (" borger", 0.4)]
    html = probabilities.render(pieces)
    assert 'class="lp-tok lp-sure"' in html and 'class="lp-tok lp-unsure"' in html
    assert "95 %" in html and "40 %" in html and "30 %" in html
    assert visible_text(html) == "Kære borger"


def test_masked_names_hide_the_tokens_and_their_alternatives() -> None:
    tokens = [
        tok("Kære", 0.9),
        tok(" Jens", 0.2, (" Jens", 0.2), (" Hans", 0.1)),
        tok(" Han", 0.5, (" Han", 0.5), (" Niel", 0.2)),
        tok("sen", 0.99),
        tok(",", 0.8),
    ]
    # The output guard checked "Kære Jens Hansen," and replaced characters 5-16.
    pieces = probabilities.align(tokens, "Kære [PERSON_1],", [(5, 16, "[PERSON_1]")])
    assert pieces is not None
    assert [(p.text, p.prob, p.masked) for p in pieces] == [
        ("Kære", 0.9, False),
        (" ", None, False),
        ("[PERSON_1]", None, True),
        (",", 0.8, False),
    ]
    html = probabilities.render(pieces)
    assert "Jens" not in html and "Hans" not in html and "Niel" not in html
    assert "lp-masked" in html and probabilities.MASKED_LABEL in html
    assert visible_text(html) == "Kære [PERSON_1],"


def test_offsets_account_for_the_stripped_leading_whitespace() -> None:
    tokens = [tok("\n", 0.7), tok("Mette", 0.3), tok(" Hansen", 0.6), tok(" skriver", 0.5)]
    pieces = probabilities.align(tokens, "[PERSON_1] skriver", [(0, 12, "[PERSON_1]")])
    assert pieces is not None
    assert "".join(p.text for p in pieces) == "\n[PERSON_1] skriver"


def test_pieces_that_do_not_spell_the_answer_are_refused() -> None:
    assert probabilities.align([tok("Hej", 0.9)], "Farvel", []) is None
    assert probabilities.align([tok("Jens", 0.9)], "[PERSON_1]", [(0, 2, "[PERSON_1]")]) is None


def test_model_markup_is_escaped_everywhere() -> None:
    tokens = [tok("<script>alert(1)</script>", 0.6, ('"><img src=x onerror=alert(1)>', 0.2))]
    html = probabilities.render(probabilities.align(tokens, "<script>alert(1)</script>", []) or ())
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&quot;&gt;&lt;img" in html


def test_whitespace_alternatives_are_readable() -> None:
    html = probabilities.render(
        [probabilities.Piece("a", 0.5, (Alternative(" ", 0.3), Alternative("\n", 0.1), Alternative("", 0.05)))]
    )
    assert "<code>·</code>" in html and "<code>⏎</code>" in html and "<code>∅</code>" in html


def test_preview_marks_placeholders_and_art9_words_in_the_redacted_text(pipeline: Pipeline) -> None:
    text = "Brev til Mette Hansen, CPR 150385-1234, om hendes diabetes."
    result = pipeline.preview(text, Session())
    pieces, colours = preview.highlights(text, result)
    assert "".join(piece for piece, _ in pieces) == result.text
    assert ("[PERSON_1]", "Navn") in pieces and ("[CPR_1]", "CPR-nummer") in pieces
    assert ("diabetes", "Art. 9: helbred") in pieces
    assert colours == {"Navn": preview.MASKED, "CPR-nummer": preview.MASKED, "Art. 9: helbred": preview.ART9}


def test_preview_labels_blocked_and_allowed_types() -> None:
    text = "Jens Hansen har CPR 150385-1234."
    result = GuardResult(
        text="Jens Hansen har CPR [CPR_1].",
        entities=(
            Entity("PERSON", 0, 11, 0.85, "DanishNameRecognizer", "", "allow", None),
            Entity("CPR", 20, 31, 0.95, "DanishCprRecognizer", "", "block", "[CPR_1]"),
        ),
        warnings=(),
        decision="blocked",
    )
    pieces, colours = preview.highlights(text, result)
    assert pieces == [
        ("Jens Hansen", "Tilladt: Navn"),
        (" har CPR ", None),
        ("[CPR_1]", "Blokeres: CPR-nummer"),
        (".", None),
    ]
    assert colours == {"Tilladt: Navn": preview.ALLOWED, "Blokeres: CPR-nummer": preview.BLOCKED}
    explained = preview.explanation(result)
    assert "Prompten vil blive afvist" in explained and "CPR-nummer" in explained and "tillader" in explained


def test_preview_falls_back_to_plain_text_rather_than_a_wrong_picture() -> None:
    result = GuardResult(text="noget helt andet", entities=(), warnings=(), decision="sent")
    assert preview.highlights("Hej", result) == ([("noget helt andet", None)], {})


def test_exercise_list_is_grouped_by_category(pipeline: Pipeline) -> None:
    tab = ExercisesTab(pipeline, is_trainer=lambda request: False)
    with gr.Blocks():
        tab.build(gr.State(lambda: Visit()))
    shown = [label.split(":")[0] for label, _ in tab.choice.choices]
    order = list(CATEGORIES.values())
    assert [order.index(category) for category in shown] == sorted(order.index(category) for category in shown)
    assert shown[0] == "Brugsscenarie", "the use cases, what most participants came for, first"


def test_an_empty_answer_is_named_whichever_toggle_is_on(pipeline: Pipeline) -> None:
    """The demo model's first draw is "end" about once in a hundred random seeds; that must not look like a fault."""
    visit = Visit()
    request = Request("Hej.", GenerationParams(max_tokens=4, seed=1, top_logprobs=5))
    result = pipeline.ask(request, visit.session)
    assert result.answer.strip(), "seed 1 answers; the empty case is made from it below"
    visit.remember(visit.session, request, dataclasses.replace(result, answer="", tokens=()))
    for show_probs, show_restored in ((False, False), (True, False), (False, True), (True, True)):
        shown = answer_html(visit, show_probs, show_restored)
        assert html.escape(NO_WORDS_NOTE) in shown, (show_probs, show_restored)
        assert "Sandsynlighederne kan ikke vises" not in shown


def test_the_answer_says_whether_it_was_decoded_alone_or_with_others(pipeline: Pipeline) -> None:
    request = Request("Hej.", GenerationParams(max_tokens=4, seed=1))
    result = pipeline.ask(request, Session())
    assert "alene – samme seed giver samme svar igen" in meta_markdown(request, result)
    shared = meta_markdown(request, dataclasses.replace(result, decoded_together=3))
    assert "sammen med 2 andre svar" in shared and "vælg *Fast seed*" in shared
    assert "sammen med 1 andet svar" in meta_markdown(request, dataclasses.replace(result, decoded_together=2))


def test_the_about_tab_says_how_many_answers_the_model_writes_at_once(pipeline: Pipeline) -> None:
    from sandbox.ui.about import model_markdown

    shown = model_markdown(pipeline.info)
    assert f"op til {pipeline.slots} svar på én gang" in shown and pipeline.slots > 1
