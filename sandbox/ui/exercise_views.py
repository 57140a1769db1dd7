"""One view per exercise runner, so the phenomenon each exercise is about is visible.

The generic view (:func:`generic`) lists every text of a result one below
the other, which is honest but hides the point: Gentag is
about answers that differ *side by side*, Par about a word diff between two
variants, Læsbarhed about two numbers that make up LIX. Each function here
lays out one result type for that comparison, reusing the generic span and
block markup (and so the app's colours). :func:`render` picks the view and
falls back to the generic one for runners without their own.

Every piece of text that came from a participant or the model goes through
:func:`html.escape`; the only markup is built here. Layout uses inline styles
so the views need nothing from the theme beyond the span colours.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sandbox.exercises.runners.common import Answer, Span, percent
from sandbox.exercises.runners.gentag import SENTENCE_KINDS, GentagResult, Series
from sandbox.exercises.runners.hoeringssvar import (
    THEME_STATES,
    HoeringssvarResult,
    InventedReference,
    invented_sentences,
)
from sandbox.exercises.runners.laesbarhed import LONG_WORD, LaesbarhedResult, goal_verdict
from sandbox.exercises.runners.par import DIFF_KINDS, SIGNIFICANT, ParResult, p_text
from sandbox.exercises.runners.sandsynligheder import TokenView
from sandbox.exercises.runners.selvtjek import MARKS, SelvtjekResult, invented_text
from sandbox.numbers import decimal
from sandbox.ui import probabilities

# Danish headings for the result fields worth showing as text.
TEXT_FIELDS = {
    "sent": "Det så modellen",
    "original": "Før",
    "rewritten": "Efter",
    "combined": "Samlet",
    "restored": "Svaret med dine egne oplysninger (kun på din skærm)",
    "blocked": "Blokeret af værnet",
    "invented": "Opfundet",
}
# Headings for marked texts whose field name says more than "Markeret tekst".
SPAN_HEADINGS = {
    "prompt_spans": "Det skrev du (markeret: hvad værnet fandt)",
    "sent_spans": "Det fik modellen (markeret: pladsholdere og det, værnet ikke fangede)",
}

# Side-by-side columns that wrap to one column on a narrow screen.
_COLUMNS = 'style="display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:0.75rem"'
_TABLE = 'style="border-collapse:collapse;margin:0.5rem 0"'
_CELL = 'style="border:1px solid #d1d5db;padding:0.2rem 0.5rem;text-align:left;vertical-align:top"'
# A warning: #7c2d12 on #fff7ed is about 10:1, so it reads on any screen and in the presenter view.
_WARNING_STYLE = (
    "color:#7c2d12;background:#fff7ed;border:1px solid #fdba74;border-left:0.4rem solid #c2410c;"
    "border-radius:4px;padding:0.5rem 0.75rem;margin:0.5rem 0"
)
_QUOTE_STYLE = (
    "margin:0.25rem 0 0;padding:0.25rem 0.6rem;border-left:3px solid #c2410c;background:#ffffff;"
    "color:#1f2937;white-space:pre-wrap"
)

# Plot geometry (SVG user units): the drawing area inside the margins.
_W, _H = 520, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 16, 44


def render(result: Any) -> str:
    """``result`` as HTML with its runner's own view, or the generic one if it has none."""
    view = VIEWS.get(type(result))
    return view(result) if view else generic(result)


def gentag(result: GentagResult) -> str:
    """Answers side by side with their sentences marked, a similarity figure per series, and the plot."""
    parts = [
        _text_block("Det så modellen", result.sent),
        _legend(SENTENCE_KINDS),
        _series(result.random),
        _series(result.fixed),
    ]
    if result.sweep:
        parts.append(_block("Lighed mod temperatur", similarity_plot(result)))
        parts += [_details(series.label, _series(series)) for series in result.sweep]
    return _wrap(result.summary, parts)


def similarity_plot(result: GentagResult) -> str:
    """An inline SVG line chart: mean similarity per temperature, with the lowest–highest pair as a band."""
    points = result.points
    temperatures = [p.temperature for p in points]
    low, high = min(temperatures), max(temperatures)

    def x(temperature: float) -> float:
        if high == low:
            return _LEFT + (_W - _LEFT - _RIGHT) / 2
        return _LEFT + (temperature - low) / (high - low) * (_W - _LEFT - _RIGHT)

    def y(share: float) -> float:
        return _TOP + (1 - share) * (_H - _TOP - _BOTTOM)

    band = [(x(p.temperature), y(p.highest)) for p in points] + [
        (x(p.temperature), y(p.lowest)) for p in reversed(points)
    ]
    mean = [(x(p.temperature), y(p.mean)) for p in points]
    grid = "".join(
        f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y(s):.1f}" y2="{y(s):.1f}" stroke="#e5e7eb"/>'
        f'<text x="{_LEFT - 6}" y="{y(s) + 4:.1f}" text-anchor="end" font-size="11">{round(100 * s)} %</text>'
        for s in (0, 0.25, 0.5, 0.75, 1)
    )
    ticks = "".join(
        f'<text x="{x(t):.1f}" y="{_H - _BOTTOM + 16}" text-anchor="middle" font-size="11">{decimal(t)}</text>'
        for t in dict.fromkeys(temperatures)
    )
    dots = "".join(
        f'<circle cx="{x(p.temperature):.1f}" cy="{y(p.mean):.1f}" r="4" fill="#1d4ed8">'
        f"<title>Temperatur {decimal(p.temperature)}: {percent(p.mean)} i gennemsnit "
        f"(laveste par {percent(p.lowest)}, højeste {percent(p.highest)})</title></circle>"
        for p in points
    )
    return (
        f'<svg class="lp-plot" viewBox="0 0 {_W} {_H}" width="100%" style="max-width:{_W}px" role="img" '
        'aria-label="Lighed mellem svarene ved hver temperatur">'
        f"{grid}{ticks}"
        f'<polygon points="{_coords(band)}" fill="#bfdbfe" fill-opacity="0.6" stroke="none"/>'
        f'<polyline points="{_coords(mean)}" fill="none" stroke="#1d4ed8" stroke-width="2"/>'
        f"{dots}"
        f'<text x="{(_LEFT + _W - _RIGHT) / 2}" y="{_H - 8}" text-anchor="middle" font-size="12">Temperatur</text>'
        f'<text x="14" y="{(_TOP + _H - _BOTTOM) / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {(_TOP + _H - _BOTTOM) / 2})">Lighed</text>'
        "</svg>"
        '<p class="lp-note">Linjen er den gennemsnitlige lighed mellem svarene; '
        "det lyse bånd går fra det mindst til det mest ens par.</p>"
    )


def par(result: ParResult) -> str:
    """The conclusion and how it was judged, the variants side by side, then every measure with its verdict.

    Counted words that no answer contains are named in one line: a table of
    "0/4" rows would bury the few words that did occur.
    """
    parts = [_warning(text) for text in result.warnings]
    parts.append(f'<p class="lp-note">{html.escape(result.method)}</p>')
    parts.append(
        _columns(_text_block(f"Det så modellen · {variant.label}", variant.sent) for variant in result.variants)
    )
    parts.append(_legend({kind: label for kind, label in DIFF_KINDS.items() if kind != "insert"}))
    for pair in result.pairs:
        title = f"Gentagelse {pair.repeat} · seed {pair.seed} · lighed {percent(pair.similarity)}"
        columns = _columns(
            [_block(pair.left_label, _spans(pair.left)), _block(pair.right_label, _spans(pair.right))]
        )
        parts.append(_block(title, columns))
    repeats = len(result.variants[0].lengths)
    lengths = [
        [variant.label, f"{variant.mean_length:.0f}".replace(".", ","), " · ".join(map(str, variant.lengths))]
        for variant in result.variants
    ]
    parts.append(_block("Længde (ord)", _table(["Variant", "Gennemsnit", "Pr. gentagelse"], lengths)))
    parts.append(f'<p class="lp-note">{html.escape(result.length.verdict)}</p>')
    if result.likeness:
        parts.append(f'<p class="lp-note">{html.escape(result.likeness.verdict)}</p>')
    if result.terms:
        header = ["Ord", *(variant.label for variant in result.variants), "p", "Vurdering"]
        rows = [
            [
                row.term,
                *(_bar(hits, row.repeats) for hits in row.hits),
                _p_cell(row.p_value),
                row.verdict,
            ]
            for row in result.terms
        ]
        bars = frozenset(range(1, 1 + len(result.variants)))
        parts.append(_block(f"Talte ord: i hvor mange af {repeats} svar", _table(header, rows, raw=bars)))
    if result.absent:
        absent = html.escape(", ".join(result.absent))
        parts.append(f'<p class="lp-note">Talte ord, der ikke står i nogen af svarene: {absent}.</p>')
    if result.in_prompt:
        parts.append(
            '<p class="lp-note">Ikke talt, fordi ordet står i nogle af varianternes egen tekst og ikke i andres '
            f"(det ville kun måle, om modellen gentager prompten): {html.escape(', '.join(result.in_prompt))}.</p>"
        )
    parts.append(_par_typical(result))
    return _wrap(result.summary, parts)


def _p_cell(p: float) -> str:
    """A p-value for the "p" column: "0,031", or "< 0,001" (see :func:`p_text`)."""
    return p_text(p).removeprefix("p = ").removeprefix("p ")


def _par_typical(result: ParResult) -> str:
    """The words most typical of each variant, open when one stands out and folded away when none does."""
    title = "Ord, der kendetegner en variant"
    found = [(label, word) for label, typical in result.distinctive for word in typical]
    if not found:
        return _block(title, "Intet ord går igen i mindst halvdelen af én variants svar og sjældnere i de andres.")
    header = ["Variant", "Ord", "Svar med ordet", "Højst i en anden variant", "p", "Vurdering"]
    rows = [
        [
            label,
            word.word,
            f"{word.hits} af {word.total}",
            f"{round(word.others * word.total)} af {word.total}",
            _p_cell(word.p_value),
            "Større end tilfældigheden" if word.p_value < SIGNIFICANT else "Kan skyldes tilfældigheder",
        ]
        for label, word in found
    ]
    table = _table(header, rows)
    if any(word.p_value < SIGNIFICANT for _, word in found):
        return _block(title, table)
    none = "Intet ord kendetegner en variant ud over tilfældigheden."
    return _block(title, none + _details("Ord, der kun så sådan ud", table))


def laesbarhed(result: LaesbarhedResult) -> str:
    """What is wrong with the answer first, then LIX before and after with its parts, then both texts marked.

    The flaws (a loop, a cut-off answer, a copy, lost numbers or names) come
    before the table, and a flawed answer gets no verdict on the goal: an
    easy LIX is no praise for a letter that repeats one phrase.
    """
    before, after = result.before, result.after
    rows = [
        ["LIX", str(before.rounded), str(after.rounded)],
        ["Niveau", before.band.label, after.band.label],
        ["Ord pr. sætning", decimal(before.words_per_sentence, 1), decimal(after.words_per_sentence, 1)],
        ["Lange ord (over seks bogstaver)", f"{before.long_word_percent:.0f} %", f"{after.long_word_percent:.0f} %"],
        ["Ord / sætninger", f"{before.words} / {before.sentences}", f"{after.words} / {after.sentences}"],
    ]
    if result.empty:  # LIX 0 of no text must not read as "very easy, goal reached"
        rows = [row[:2] + ["(intet svar)"] for row in rows]
        verdict = f"Målet var højst {result.target_lix}, men modellen svarede ikke med nogen tekst."
    elif result.flaws:
        verdict = html.escape(goal_verdict(result.target_lix, result.flaws, after))
    else:
        verdict = (
            f"{html.escape(goal_verdict(result.target_lix, (), after))} "
            f"{html.escape(after.band.label)}: {html.escape(after.band.description)}"
        )
    parts = [_warning(flaw.message) for flaw in result.flaws]
    if result.lost_names:
        parts.append(
            '<p class="lp-note">Det mangler (dine egne oplysninger, kun på din skærm): '
            f"{html.escape(', '.join(result.lost_names))}.</p>"
        )
    parts += [
        _block("LIX før og efter", _table(["", "Før", "Efter"], rows)),
        f'<p class="lp-note">LIX = ord pr. sætning + procent lange ord. {verdict}</p>',
    ]
    if result.masked_numbers:
        # The same account as the summary's (laesbarhed.summary): hidden digits are not lost numbers,
        # but a hidden number's placeholder can still be left out, and then the note says so.
        dropped = [value for value in result.masked_numbers if value in result.lost_names]
        fate = f" Men pladsholderen for {html.escape(', '.join(dropped))} mangler i omskrivningen." if dropped else ""
        parts.append(
            '<p class="lp-note">Værnet skjulte disse tal for modellen, som kun så en pladsholder; derfor regnes '
            f"cifrene ikke som tal, modellen har tabt: {html.escape(', '.join(result.masked_numbers))}.{fate}</p>"
        )
    parts.append(_legend({"long": LONG_WORD}))
    parts.append(
        _columns([_block("Før", _spans(result.before_spans)), _block("Efter", _spans(result.after_spans))])
    )
    parts.append(_details("Det så modellen", _text_block("Det så modellen", result.sent)))
    return _wrap(result.summary, parts)


def selvtjek(result: SelvtjekResult) -> str:
    """The careful answer with doubtful sentences marked, the support per sentence, and the samples.

    The two doubtful marks differ in colour and in line (dashed: the other
    answers do not back it up; solid red: the case does not), and the legend
    shows only the marks this kind of check can give. The text the model saw
    is shown only when there is one: an empty box reads as missing material.
    """
    marks = MARKS if result.kind == "resume" else {k: v for k, v in MARKS.items() if k != "not_in_source"}
    parts = [_text_block("Det så modellen", result.sent)] if result.sent.strip() else []
    parts.append(_legend(marks))
    parts.append(_block(_answer_title("Første svar", result.main), _spans(result.spans)))
    header = ["Sætning", "Støtte fra stikprøverne"]
    if any(check.source_support is not None for check in result.checks):
        header.append("Støtte fra sagen")
    rows = []
    for check in result.checks:
        row = [check.text, percent(check.support)]
        if len(header) == 3:
            row.append(percent(check.source_support) if check.source_support is not None else "–")
        rows.append([*row, _span(Span(MARKS[check.mark], check.mark, MARKS[check.mark]))])
    table = _table([*header, "Vurdering"], rows, raw=frozenset({len(header)}))
    parts.append(_block("Hver sætning kontrolleret", table))
    if result.invented:
        said = sum(result.honest)
        parts.append(
            f'<p class="lp-note">Findes ikke: {html.escape(invented_text(result.invented))} '
            f"{said} af {len(result.honest)} svar sagde, at modellen ikke vidste det.</p>"
        )
    samples = _columns(_text_block(_answer_title(f"Stikprøve {i}", a), a.text) for i, a in enumerate(result.samples, 1))
    parts.append(_details(f"De {len(result.samples)} stikprøver", samples))
    return _wrap(result.summary, parts)


def hoeringssvar(result: HoeringssvarResult) -> str:
    """Invented responses first, quoted; then the key's themes against the summary, citation by citation.

    A theme is "Ja" only through a valid citation; one the model named
    without any is shown as its own state, so words alone never pass for a
    found theme (the rule is in :mod:`sandbox.exercises.runners.hoeringssvar`).
    """
    parts = []
    if result.invented:
        parts.append(_warning(" ".join(invented_sentences(result.invented)), _invented_quotes(result.invented)))
    rows = []
    for theme in result.themes:
        state = THEME_STATES[theme.state]
        rows.append(
            [
                html.escape(theme.name + (" (mindretal)" if theme.minority else "")),
                _span(Span(state, "unsupported", state)) if theme.state == "unsupported" else state,
                ", ".join(map(str, theme.responses)),
                html.escape(", ".join(theme.matched_terms) or "–"),
                ", ".join(map(str, theme.correct)) or "–",
                ", ".join(map(str, theme.wrong)) or "–",
                ", ".join(map(str, theme.invented)) or "–",
            ]
        )
    header = [
        "Tema i nøglen",
        "Fundet",
        "Svar i nøglen",
        "Ord fundet",
        "Rigtige henvisninger",
        "Forkerte henvisninger",
        "Opdigtede henvisninger",
    ]
    found = sum(t.found for t in result.themes)
    title = f"Temaer: {found} af {len(result.themes)} fundet med en gyldig henvisning ({percent(result.coverage)})"
    parts.append(_block(title, _table(header, rows, raw=frozenset(range(len(header))))))
    parts.append(
        '<p class="lp-note">Et tema tæller kun som fundet, når ét afsnit af opsummeringen både bruger et af '
        "nøglens ord for temaet og henviser til et svar, som modellen læste, og som rejser temaet. "
        "Ord uden en sådan henvisning tæller som nævnt, ikke som fundet – også når modellen gengiver et svar "
        "næsten ordret uden dets nummer: så kan læseren ikke slå op, hvem der skrev det, eller om det står "
        "i svarene.</p>"
    )
    parts.append(_text_block(f"Modellens opsummering af {result.used} svar", result.combined))
    parts += [
        _details(f"Det så modellen · del {i}", _text_block("Det så modellen", s)) for i, s in enumerate(result.sent, 1)
    ]
    return _wrap(result.summary, parts)


VIEWS: dict[type, Callable[[Any], str]] = {
    GentagResult: gentag,
    ParResult: par,
    LaesbarhedResult: laesbarhed,
    SelvtjekResult: selvtjek,
    HoeringssvarResult: hoeringssvar,
}


# --- The generic view: every text, answer and marked text, one below the other


def generic(result: Any) -> str:
    """A runner's result as HTML: its summary, then its texts, answers and marked texts, all escaped."""
    parts = [f'<p class="lp-summary">{html.escape(result.summary)}</p>']
    parts += _sections(result, heading=None)
    return f'<div class="lp-exercise-result">{"".join(parts)}</div>'


def _sections(value: Any, heading: str | None) -> list[str]:
    """Walk a result dataclass; a nested object's ``label`` becomes the heading of what it holds."""
    if not dataclasses.is_dataclass(value):
        return []
    label = getattr(value, "label", None)
    heading = label if isinstance(label, str) and label else heading
    out: list[str] = []
    for field in dataclasses.fields(value):
        item = getattr(value, field.name)
        if field.name in TEXT_FIELDS and item:
            texts = item if isinstance(item, tuple) else (item,)
            out += [_text_block(TEXT_FIELDS[field.name], str(text)) for text in texts]
        elif isinstance(item, Answer):
            out.append(_answer(item, heading))
        elif isinstance(item, tuple) and item:
            out += _sequence(item, SPAN_HEADINGS.get(field.name, heading))
        elif dataclasses.is_dataclass(item):
            out += _sections(item, heading)
    return out


def _sequence(items: tuple, heading: str | None) -> list[str]:
    first = items[0]
    if isinstance(first, Span):
        return [_block(heading or "Markeret tekst", _spans(items))]
    if isinstance(first, TokenView):
        pieces = [probabilities.Piece(t.text, t.prob, t.alternatives) for t in items]
        return [_block("Ord for ord", probabilities.render(pieces))]
    if isinstance(first, tuple) and first and isinstance(first[0], Span):
        return [_block(heading or "Markeret tekst", _spans(spans)) for spans in items]
    out: list[str] = []
    for item in items:
        if isinstance(item, Answer):
            out.append(_answer(item, heading))
        elif dataclasses.is_dataclass(item):
            out += _sections(item, heading)
    return out


def _answer(answer: Answer, heading: str | None) -> str:
    return _text_block(_answer_title(heading or "Svar", answer), answer.text)


# --- Pieces -----------------------------------------------------------------


def _series(series: Series) -> str:
    answers = _columns(
        _block(_answer_title(f"Svar {i}", answer), _spans(spans))
        for i, (answer, spans) in enumerate(zip(series.answers, series.spans, strict=True), 1)
    )
    figure = (
        "alle svar er helt ens" if series.identical else f"svarene ligner hinanden {percent(series.mean_similarity)}"
    )
    return _block(f"{series.label} · {figure}", answers)


def _answer_title(name: str, answer: Answer) -> str:
    """The answer's name and how to get it again: its seed, temperature, and whether it was decoded in a group.

    Side by side, the model's numbers differ a little from one answer alone,
    so an answer from five computed at once comes back when the card runs again,
    not always when its seed is typed into Legeplads.
    """
    title = f"{name} · seed {answer.seed} · temperatur {decimal(answer.temperature)}"
    if answer.decoded_together > 1:
        title += f" · {answer.decoded_together} svar regnet på én gang"
    return title


def _spans(spans: Sequence[Span]) -> str:
    return "".join(_span(span) for span in spans)


def _text_block(title: str, text: str) -> str:
    return _block(title, html.escape(text))


def _columns(blocks: Iterable[str]) -> str:
    return f'<div class="lp-columns" {_COLUMNS}>{"".join(blocks)}</div>'


def _legend(kinds: dict[str, str]) -> str:
    marks = " ".join(
        f'<span class="lp-span lp-k-{html.escape(k)}">{html.escape(label)}</span>' for k, label in kinds.items()
    )
    return f'<div class="lp-legend">Farverne: {marks}</div>'


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], raw: frozenset[int] = frozenset()) -> str:
    """A small table; cells are escaped except columns in ``raw``, which hold markup built here."""
    head = "".join(f"<th {_CELL}>{html.escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td {_CELL}>{cell if i in raw else html.escape(cell)}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f'<table class="lp-table" {_TABLE}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _bar(hits: int, total: int) -> str:
    """``hits/total`` with a bar, so the distribution over repeats reads at a glance."""
    width = round(100 * hits / total) if total else 0
    return (
        f'<span class="lp-bar" title="{hits} af {total} svar" style="display:inline-block;width:4rem;height:0.7rem;'
        f'background:#e5e7eb;margin-right:0.4rem"><span style="display:block;height:100%;width:{width}%;'
        f'background:#1d4ed8"></span></span>{hits}/{total}'
    )


def _invented_quotes(invented: Sequence[InventedReference]) -> list[tuple[str, str]]:
    """Each point that cites an invented number, once, under one heading per batch (in the order met).

    One point often cites several (a walk saw twelve numbers from two
    batches): quoting it per number repeated the same heading and text.
    """
    by_batch: dict[str, list[str]] = {}
    for ref in invented:
        points = by_batch.setdefault(ref.batch, [])
        if ref.quote not in points:
            points.append(ref.quote)
    return [
        (f"Modellens tekst, da den læste {batch}:" if index == 0 else "", quote)
        for batch, points in by_batch.items()
        for index, quote in enumerate(points)
    ]


def _warning(text: str, quotes: Sequence[tuple[str, str]] = ()) -> str:
    """A warning that looks like one: dark orange text on a light background, a thick left border and ⚠.

    Colour is not the only cue (the border and the icon are there without
    it), and the contrast stays readable on a projector. ``quotes`` are
    ``(caption, text)`` pairs shown inside it, such as the text a model
    made up; everything is escaped.
    """
    quoted = "".join(
        f'<div style="margin-top:0.4rem">{html.escape(caption)}'
        f'<blockquote style="{_QUOTE_STYLE}">{html.escape(quote)}</blockquote></div>'
        for caption, quote in quotes
    )
    return (
        f'<div class="lp-warning" role="note" style="{_WARNING_STYLE}">'
        f'<span aria-hidden="true">⚠ </span><strong>Advarsel:</strong> {html.escape(text)}{quoted}</div>'
    )


def _details(summary: str, body_html: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{body_html}</details>"


def _wrap(summary: str, parts: Iterable[str]) -> str:
    return f'<div class="lp-exercise-result"><p class="lp-summary">{html.escape(summary)}</p>{"".join(parts)}</div>'


def _coords(points: Iterable[tuple[float, float]]) -> str:
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)


def _span(span: Span) -> str:
    text = html.escape(span.text)
    if not span.kind:
        return text
    return f'<span class="lp-span lp-k-{html.escape(span.kind)}" title="{html.escape(span.label)}">{text}</span>'


def _block(title: str, body: str) -> str:
    """A titled block around ``body``, markup built here (the title is escaped)."""
    heading = f'<div class="lp-block-title">{html.escape(title)}</div>'
    return f'<div class="lp-block">{heading}<div class="lp-answer">{body}</div></div>'
