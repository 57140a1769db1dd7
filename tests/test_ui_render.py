"""What the app draws from tokens and guard results: by example, including the awkward ones."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path

import gradio as gr

from sandbox.backends.base import Alternative, GenerationParams, Token
from sandbox.exercises.schema import CATEGORIES
from sandbox.guards import Entity, GuardResult
from sandbox.pipeline import Pipeline, Request, Session
from sandbox.ui import preview, probabilities
from sandbox.ui.exercises_tab import ExercisesTab
from sandbox.ui.playground import NO_WORDS_NOTE, Playground, answer_html, meta_markdown, redraw_interval
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


def test_a_piece_of_a_word_is_explained_as_one() -> None:
    tokens = [tok("Et", 0.9), tok(" pro", 0.6), tok("jek", 0.3, ("jek", 0.3), ("gram", 0.2)), tok("t", 0.9),
              tok(" i den", 0.8), tok(".", 0.99)]
    pieces = probabilities.align(tokens, "Et projekt i den.", [])
    assert pieces is not None
    assert probabilities.whole_words(pieces) == [None, "projekt", "projekt", "projekt", None, None]
    html = probabilities.render(pieces)
    assert "Modellen skriver i ordstykker (tokens), ikke i hele ord, så et stykke som «pro» kan være en del af et " \
        "ord som «projekt»." in html
    assert html.count("Et ordstykke af «projekt».") == 3
    whole = probabilities.render(probabilities.align([tok("Hej", 0.9), tok(" med", 0.8)], "Hej med", []) or ())
    assert "Et ordstykke" not in whole and "«jek» kan være en del af et ord som «projekt»" in whole


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


def test_the_dot_for_a_space_is_explained_where_word_pieces_are() -> None:
    """A tooltip wrote " og" as "·og", and nothing on screen said what the dot was."""
    html = probabilities.render(probabilities.align([tok("Hej", 0.9), tok(" og", 0.5)], "Hej og", []) or ())
    assert "<code>·og</code>" in html
    legend = html.split('<div class="lp-tokens">', 1)[0]
    assert "ordstykker (tokens)" in legend and probabilities.SPACE_SENTENCE in legend
    assert "Et «·» betyder et mellemrum" in legend
    alternative = probabilities.render([probabilities.Piece("a", 0.5, (Alternative(" b", 0.2),))])
    assert "<code>·b</code>" in alternative and probabilities.SPACE_SENTENCE in alternative
    no_dot = probabilities.render(probabilities.align([tok("Hej", 0.9), tok("!", 0.5)], "Hej!", []) or ())
    assert "·" not in no_dot, "no tooltip shows a dot, so the legend does not explain one"


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
    request = Request("Hej.", GenerationParams(max_tokens=4, seed=1, top_logprobs=5), conversation=visit.conversation)
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


def test_a_slider_says_its_value_with_a_decimal_comma(pipeline: Pipeline) -> None:
    # The number box beside a slider is the browser's and writes 0.7; the label is ours.
    playground = Playground(pipeline)
    with gr.Blocks() as blocks:
        playground.build(gr.State(lambda: Visit()))
    assert playground.temperature.label == "Temperatur: 0,7" and playground.top_p.label == "Top-p: 0,95"
    moved = [
        fn.fn(1.25) for fn in blocks.fns.values()
        if [t[0] for t in fn.targets] == [playground.temperature._id] and fn.outputs == [playground.temperature]
    ]
    assert [update.label for update in moved] == ["Temperatur: 1,25"]


def test_the_about_tab_says_how_many_answers_the_model_writes_at_once(pipeline: Pipeline) -> None:
    from sandbox.ui.about import model_markdown

    shown = model_markdown(pipeline.info)
    assert f"op til {pipeline.slots} svar på én gang" in shown and pipeline.slots > 1


def test_the_demo_notice_tells_each_reader_what_they_can_do(pipeline: Pipeline) -> None:
    """Alone, the caseworker gets the one command for IT; in a workshop, a participant cannot change the laptop."""
    from sandbox.ui.about import model_markdown

    assert pipeline.info.demo
    alone, room = model_markdown(pipeline.info), model_markdown(pipeline.info, workshop=True)
    assert "python scripts/download_model.py gemma-3-4b-it" in alone and "Bed IT" in alone
    assert "download_model" not in room and "IT" not in room.split()
    assert "demomodel" in room and "optaget en øvelse med en rigtig model" in room


# -- fonts ----------------------------------------------------------------------------------------

WOFF2_TAGS = (
    "cmap head hhea hmtx maxp name OS/2 post cvt  fpgm glyf loca prep CFF  VORG EBDT EBLC gasp hdmx kern LTSH PCLT "
    "VDMX vhea vmtx BASE GDEF GPOS GSUB EBSC JSTF MATH CBDT CBLC COLR CPAL SVG  sbix acnt avar bdat bloc bsln cvar "
    "fdsc feat fmtx fvar gvar hsty just lcar mort morx opbd prop trak Zapf Silf Glat Gloc Feat Sill"
)


def woff2_characters(data: bytes) -> set[str]:
    """The characters a WOFF2 font has glyphs for, from its cmap table (format 4, the one browsers use for text)."""
    import struct

    import brotli  # gradio's own dependency, and WOFF2's compression

    tags = [WOFF2_TAGS[i : i + 4] for i in range(0, len(WOFF2_TAGS), 5)]
    count, compressed = struct.unpack(">H", data[12:14])[0], struct.unpack(">I", data[20:24])[0]
    position = 48

    def base128() -> int:
        nonlocal position
        value = 0
        while True:
            byte = data[position]
            position += 1
            value = value << 7 | byte & 0x7F
            if not byte & 0x80:
                return value

    lengths: list[tuple[str, int]] = []
    for _ in range(count):
        flags = data[position]
        position += 1
        tag = tags[flags & 0x3F] if flags & 0x3F != 63 else data[position : position + 4].decode()
        position += 4 if flags & 0x3F == 63 else 0
        length = base128()
        transformed = (flags >> 6 == 0) if tag in ("glyf", "loca") else (flags >> 6 != 0)
        lengths.append((tag, base128() if transformed else length))
    tables, offset = {}, 0
    decompressed = brotli.decompress(data[position : position + compressed])
    for tag, length in lengths:
        tables[tag], offset = decompressed[offset : offset + length], offset + length
    cmap, found = tables["cmap"], set()
    for i in range(struct.unpack(">H", cmap[2:4])[0]):
        start = struct.unpack(">I", cmap[8 + 8 * i : 12 + 8 * i])[0]
        if struct.unpack(">H", cmap[start : start + 2])[0] == 4:
            segments = struct.unpack(">H", cmap[start + 6 : start + 8])[0] // 2
            ends = struct.unpack(f">{segments}H", cmap[start + 14 : start + 14 + 2 * segments])
            starts = struct.unpack(f">{segments}H", cmap[start + 16 + 2 * segments : start + 16 + 4 * segments])
            found |= {chr(c) for s, e in zip(starts, ends, strict=True) if s != 0xFFFF for c in range(s, e + 1)}
    return found


DANISH_LETTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅabcdefghijklmnopqrstuvwxyzæøå0123456789:.,-–«»")


def test_every_font_weight_the_page_loads_has_every_danish_letter(pipeline: Pipeline) -> None:
    # Bold labels ("**Regnet:**", "Art. 9: helbred") began with a thin A: gradio's default
    # SemiBold file has only A and B, so the browser mixed it with a fallback font letter by letter.
    import httpx
    from ui_server import running_app

    with running_app(pipeline) as (url, _), httpx.Client(base_url=url, timeout=60) as http:
        faces = re.findall(r"@font-face\s*{([^}]*)}", http.get("theme.css").text)
        fonts = {
            re.search(r"font-weight:\s*(\d+)", face).group(1): http.get(re.search(r"url\('([^']+)'\)", face).group(1))
            for face in faces
            if "Source Sans" in face
        }
    assert "400" in fonts and any(int(weight) >= 600 for weight in fonts), "a normal and a bold face"
    for weight, response in fonts.items():
        assert response.status_code == 200
        assert DANISH_LETTERS - woff2_characters(response.content) == set(), weight


def test_notes_are_dark_enough_to_read() -> None:
    """Notes carry conclusions; gradio's subdued grey measured 1.9:1 on white in the browser walk (WCAG asks 4.5:1)."""
    css = (Path(__file__).resolve().parent.parent / "sandbox/ui/theme.css").read_text()
    colour = re.search(r"^\.lp-note \{[^}]*color: #([0-9a-f]{6})", css, re.M)
    assert colour, "the note's colour is set in theme.css, not left to the theme"

    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    assert (1.05) / (luminance(colour.group(1)) + 0.05) >= 4.5


def test_a_streaming_answer_is_redrawn_less_often_the_more_answers_are_written_at_once() -> None:
    """Alone ten redraws a second; eight at once, about 30 in all, so Gradio's loop leaves the model its cores."""
    assert redraw_interval(1) == redraw_interval(3) == 0.1
    assert abs(redraw_interval(8) - 8 / 30) < 1e-9, "8 answers, 30 redraws a second in all"
