"""The answer coloured token by token by how likely the model found each choice.

Hovering over (or tabbing to, or tapping) a token shows its probability and
the alternatives the model could just as well have written. This is pure
HTML and CSS (``theme.css``), so it works without JavaScript, and every piece
of text is escaped: the model writes whatever it likes, including markup.

Streamed tokens are the model's raw output; the answer that stays on screen
is the output-guarded one. Where the output guard masked something, the
tokens there are replaced by the placeholder and their probabilities and
alternatives are dropped, so the colouring never shows what was masked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sandbox.backends.base import Alternative, Token
from sandbox.exercises.runners.common import percent
from sandbox.exercises.runners.sandsynligheder import KINDS, LIKELY, SURE
from sandbox.guards.normalise import normalise

MASKED_LABEL = "Maskeret af værnet: sandsynligheder og alternativer vises ikke her."
# In the legend when a tooltip writes a space as "·" (see _visible).
SPACE_SENTENCE = "Et «·» betyder et mellemrum, som regel foran ordstykket."
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Piece:
    """A run of answer text: a whole token with its probability, or text without one."""

    text: str
    prob: float | None = None
    alternatives: tuple[Alternative, ...] = ()
    masked: bool = False


def kind(prob: float) -> str:
    """The colour class of a probability (the same bands as the probability exercise)."""
    return "sure" if prob >= SURE else "likely" if prob >= LIKELY else "unsure"


def align(tokens: Sequence[Token], answer: str, masked: Sequence[tuple[int, int, str]]) -> tuple[Piece, ...] | None:
    """Cut the raw tokens into pieces that spell the guarded ``answer``.

    ``masked`` holds ``(start, end, placeholder)`` ranges of what the output
    guard replaced, as offsets into the stripped raw text (the guard checks
    the stripped text). Returns ``None`` when the pieces do not spell the
    answer (up to the guard's folding of look-alike characters): then the
    colouring is not shown rather than shown wrong.
    """
    joined = "".join(token.text for token in tokens)
    shift = len(joined) - len(joined.lstrip())
    spans = sorted((start + shift, end + shift, placeholder) for start, end, placeholder in masked)
    pieces: list[Piece] = []
    position = 0
    for token in tokens:
        start, end = position, position + len(token.text)
        position = end
        overlapping = [span for span in spans if span[0] < end and span[1] > start]
        if not overlapping:
            pieces.append(Piece(token.text, token.prob, token.alternatives))
            continue
        cursor = start
        for span_start, span_end, placeholder in overlapping:
            if span_start > cursor:
                pieces.append(Piece(token.text[cursor - start : span_start - start]))
            if span_start >= start:
                pieces.append(Piece(placeholder, masked=True))
            cursor = max(cursor, span_end)
        if cursor < end:
            pieces.append(Piece(token.text[cursor - start :]))
    # The guarded answer is built from the text with look-alike characters folded.
    if normalise("".join(piece.text for piece in pieces)).text.strip() != answer.strip():
        return None
    return tuple(pieces)


def render(pieces: Sequence[Piece]) -> str:
    """The pieces as HTML: a legend, then the coloured answer."""
    legend = "".join(f'<span class="lp-tok lp-{name}">{html.escape(label)}</span> ' for name, label in KINDS.items())
    words = whole_words(pieces)
    body = "".join(_piece_html(piece, word) for piece, word in zip(pieces, words, strict=True))
    space = f"{html.escape(SPACE_SENTENCE)} " if shows_a_space(pieces) else ""
    return (
        f'<div class="lp-legend">Farven viser, hvor sikker modellen var på hvert valg: {legend}'
        f"{html.escape(word_pieces_sentence(pieces, words))} {space}"
        "Hold musen over (eller klik på) et stykke for at se alternativerne.</div>"
        f'<div class="lp-tokens">{body}</div>'
    )


def whole_words(pieces: Sequence[Piece]) -> list[str | None]:
    """For each piece that is only part of a word (a token such as "jek"), that word; else None.

    A piece is part of a word when a word it touches goes on before or after
    it: " pro" + "jek" + "tet" are all parts of "projektet", while " og" is a
    whole word and " i den" two whole words.
    """
    text = "".join(piece.text for piece in pieces)
    words = [(match.start(), match.end()) for match in WORD.finditer(text)]
    found: list[str | None] = []
    position = 0
    for piece in pieces:
        start = position + len(piece.text) - len(piece.text.lstrip())
        end = position + len(piece.text.rstrip())
        position += len(piece.text)
        touched = [(a, b) for a, b in words if a < end and b > start]
        longer = [(a, b) for a, b in touched if a < start or b > end]
        found.append(text[longer[0][0] : longer[0][1]] if longer and not piece.masked else None)
    return found


def word_pieces_sentence(pieces: Sequence[Piece], words: Sequence[str | None]) -> str:
    """Why a coloured piece can be "jek": the sentence says so, with an example from this answer if it has one."""
    part, word = next(
        ((piece.text.strip(), word) for piece, word in zip(pieces, words, strict=True) if word), ("jek", "projekt")
    )
    return (
        f"Modellen skriver i ordstykker (tokens), ikke i hele ord, så et stykke som «{part}» kan være en del af "
        f"et ord som «{word}»."
    )


def shows_a_space(pieces: Sequence[Piece]) -> bool:
    """Whether a tooltip writes a space as "·": a piece's own text or one of its alternatives (see _visible)."""
    return any(
        "·" in _visible(text)
        for piece in pieces
        if piece.prob is not None and not piece.masked
        for text in (piece.text, *(alt.text for alt in piece.alternatives))
    )


def _piece_html(piece: Piece, word: str | None) -> str:
    text = html.escape(piece.text)
    if piece.masked:
        tip = f'<span class="lp-alts">{html.escape(MASKED_LABEL)}</span>'
        return f'<span class="lp-tok lp-masked" tabindex="0">{text}{tip}</span>'
    if piece.prob is None:
        return text
    rows = "".join(
        ('<li class="lp-chosen">' if alt.text == piece.text else "<li>")
        + f"<code>{html.escape(_visible(alt.text))}</code> {percent(alt.prob)}</li>"
        for alt in piece.alternatives
    )
    tip = f"<b>{percent(piece.prob)}</b> for <code>{html.escape(_visible(piece.text))}</code>"
    if word:
        tip += f"<br>Et ordstykke af «{html.escape(word)}»."
    if rows:
        tip += f"<br>Modellens mest sandsynlige bud her:<ol>{rows}</ol>"
    return (
        f'<span class="lp-tok lp-{kind(piece.prob)}" tabindex="0" data-prob="{piece.prob:.4f}">'
        f'{text}<span class="lp-alts" role="tooltip">{tip}</span></span>'
    )


def _visible(text: str) -> str:
    """Whitespace made visible, so an alternative that is 'a space' or 'a new line' can be read."""
    if not text:
        return "∅"
    return text.replace("\n", "⏎").replace(" ", "·") if text != text.strip() else text
