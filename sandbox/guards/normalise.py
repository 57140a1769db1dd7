"""The text the recognizers read, and the way back to the text the user typed.

Pasted text is full of characters that look like the ones the recognizers
expect but are not: non-breaking spaces in Outlook signatures
("+45 23 45 67 89" with U+00A0), en dashes and minus signs in CPR numbers,
soft hyphens inside names and e-mail addresses, zero-width characters,
full-width or Arabic-Indic digits, letters with a separate combining accent,
Cyrillic look-alikes inside a Latin word, and names broken over two lines by
a PDF ("Thyge-\\nsen"). A regex for "DDMMYY-SSSS" never sees "150385\u20111234".

:func:`normalise` folds all of that into plain characters and keeps, for
every character of the result, where it came from, so findings can be
reported as offsets into the original. The guard sends the *normalised* text
(with placeholders) to the model: what the model receives is exactly what
was analysed, so no character class slips past the recognizers.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

SPACES = frozenset("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000")
DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\ufe58\ufe63\uff0d")
LINE_BREAKS = frozenset("\u0085\u2028\u2029\u000b\u000c")
# Invisible: soft hyphen, zero-width space/joiners, word joiner, BOM, bidi controls.
INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)
# Cyrillic and Greek letters that look like Latin ones. Folded only inside a word
# that also has Latin letters ("Hаnsen" with a Cyrillic а); all-Cyrillic words stay.
CONFUSABLES = str.maketrans(
    "АВЕКМНОРСТХаеорсухіјѕԁӏЅІЈԚԜΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοικνρτυχ",
    "ABEKMHOPCTXaeopcyxijsdlSIJQWABEZHIKMNOPTYXaoikvptux",
)
# Compatibility forms kept as they are: NFKC would turn "m²" into "m2" and "½" into "1⁄2".
KEEP = frozenset("²³¹½¼¾™©®ºª…")
_CONTROL_KEEP = frozenset("\t\n\r")
# Text made only of these (printable ASCII, Latin-1 and Latin Extended-A letters, without
# NBSP and soft hyphen) and without a hyphen at a line end needs no folding: the fast path.
_NEEDS_WORK = re.compile(r"[^\t\n\r\x20-\x7e\u00a1-\u00ac\u00ae-\u017f]|-[ \t\r]*\n")


@dataclass(frozen=True)
class Normalised:
    """``text`` and, per character of it, the original span it came from."""

    text: str
    starts: Sequence[int]  # original offset where character i begins
    ends: Sequence[int]  # original offset where character i ends
    original_length: int

    def folded_offset(self, original: int) -> int:
        """The offset in ``text`` of the first character that comes from at or after ``original``."""
        return bisect_left(self.starts, original)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the normalised span [start, end)."""
        if start >= end:
            at = self.starts[start] if start < len(self.starts) else self.original_length
            return at, at
        return self.starts[start], self.ends[end - 1]


def _fold_cluster(cluster: str) -> str:
    """One base character with its combining marks, in the form the recognizers read."""
    char = cluster[0]
    if len(cluster) == 1:
        if char in SPACES:
            return " "
        if char in DASHES:
            return "-"
        if char in LINE_BREAKS:
            return "\n"
        if char in KEEP or char.isascii():
            return char
        if unicodedata.category(char) == "Nd":
            return str(unicodedata.decimal(char))
    if char in KEEP:
        return unicodedata.normalize("NFC", cluster)
    folded = unicodedata.normalize("NFKC", cluster)
    # NFKC may produce a combining-only or empty string for odd input; keep it printable.
    return folded or " "


def _is_mark(char: str) -> bool:
    return unicodedata.category(char) in ("Mn", "Me", "Mc")


def normalise(text: str) -> Normalised:
    """Fold look-alike characters to plain ones and keep the way back (see the module docstring)."""
    n = len(text)
    if not _NEEDS_WORK.search(text):
        return Normalised(text, range(n), range(1, n + 1), n)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < n:
        char = text[i]
        if char in INVISIBLE and not (char == "\u00ad" and (k := _line_end_join(text, i, out)) > i):
            i += 1
            continue
        if unicodedata.category(char) == "Cc" and char not in _CONTROL_KEEP:
            out.append(" ")  # "Mette\x00Hansen" must not read as one word
            starts.append(i)
            ends.append(i + 1)
            i += 1
            continue
        if (char == "-" or char in DASHES or char == "\u00ad") and (k := _line_end_join(text, i, out)) > i:
            i = k  # "Thyge-⏎sen", "Thyge\u00ad⏎sen": a word hyphenated at a line end (PDF) is one word again
            continue
        j = i + 1
        while j < n and _is_mark(text[j]) and text[j] not in INVISIBLE:
            j += 1
        folded = _fold_cluster(text[i:j])
        for piece in folded:  # every piece maps to the whole cluster, so no part of it is left out
            out.append(piece)
            starts.append(i)
            ends.append(j)
        i = j
    plain = "".join(out)
    plain = _fold_confusables(plain)
    return Normalised(plain, tuple(starts), tuple(ends), n)


def _line_end_join(text: str, i: int, out: list[str]) -> int:
    """Where the word goes on if the hyphen at ``i`` ends a line inside a word, else ``i``.

    A hyphen after a letter, a line break, and a lower-case letter on the
    next line: "Thyge-⏎sen". "Nord- og Sydjylland" and "1-⏎2" stay as they are.
    """
    if not out or not out[-1].isalpha():
        return i
    j = i + 1
    while j < len(text) and text[j] in " \t\r":
        j += 1
    if j >= len(text) or text[j] != "\n":
        return i
    k = j + 1
    while k < len(text) and text[k] in " \t":
        k += 1
    return k if k < len(text) and text[k].islower() else i


def _fold_confusables(text: str) -> str:
    """Latin look-alikes in words that mix scripts ("Hаnsen" with a Cyrillic а). Same length."""
    if text.isascii():
        return text
    pieces: list[str] = []
    word_start = 0
    for i, char in enumerate([*text, " "]):
        if i < len(text) and char.isalpha():
            continue
        word = text[word_start:i]
        if word and not word.isascii() and word.translate(CONFUSABLES) != word and _has_latin(word):
            word = word.translate(CONFUSABLES)
        pieces.append(word)
        if i < len(text):
            pieces.append(char)
        word_start = i + 1
    return "".join(pieces)


def _has_latin(word: str) -> bool:
    return any(c.isascii() and c.isalpha() or "LATIN" in unicodedata.name(c, "") for c in word)
