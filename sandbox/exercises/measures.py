"""The numbers and markings the exercises show, as pure functions.

Every runner turns model answers into something a participant can see:
which sentences differ between two answers, how readable a letter is,
which claims the other samples do not back up. Those measures live here,
free of any model, so each can be checked against a value worked out by
hand (see ``tests/test_measures.py``) and explained in one sentence to a
trainer. Deliberately simple, transparent measures are preferred over
clever ones: a participant must be able to follow why a sentence is red.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

# A word: letters/digits, optionally joined by - . , / : ' inside the word, so
# "CPR-nummer", "14.03.2025" and "1.250,50" are one word each, while a full
# stop or comma followed by a space ends the word.
_WORD_RE = re.compile(r"[^\W_]+(?:[-.,/:'][^\W_]+)*")
_PLACEHOLDER_RE = re.compile(r"\[[A-ZÆØÅ_]+_\d+\]")

# Abbreviations whose full stop does not end a Danish sentence.
_ABBREVIATIONS = frozenset(
    {"bl.a", "ca", "dvs", "eks", "ekskl", "etc", "evt", "f.eks", "fx", "hhv", "ift", "inkl", "jf",
     "kl", "m.fl", "mht", "mv", "nr", "osv", "pga", "pkt", "pr", "stk", "tlf", "vedr"}
)

# How a line that is not a wrapped continuation starts: a blank line, a
# capital, a quote, a bullet or a numbered item ("1." / "2)").
_LINE_START = re.compile(r"\n|[A-ZÆØÅ\"'«»(\[\-–•*]|\d+[.)]\s")

# Characters that may open a new sentence after a full stop and a space.
_SENTENCE_START = re.compile(r"[A-ZÆØÅ0-9\"'«»(\[\-–•*]")


@dataclass(frozen=True)
class Sentence:
    """One sentence and where it sits in the text it came from."""

    text: str
    start: int
    end: int


def words(text: str) -> list[str]:
    """The words of a text in order, as written (see ``_WORD_RE``)."""
    return _WORD_RE.findall(text)


def _normalised_words(text: str) -> list[str]:
    return [word.lower() for word in words(text)]


def split_sentences(text: str, *, colon: bool = False) -> list[Sentence]:
    """Split Danish text into sentences.

    A sentence ends at ``!`` or ``?`` (and ``:`` when ``colon`` is set, as
    LIX counts it) followed by whitespace, and at ``.`` followed by whitespace
    and something that can start a sentence (a capital, a digit, a quote, a
    bullet) unless the word before it is a known abbreviation. A line break
    also ends a sentence, because letters and model answers put greetings,
    headings and list items on their own lines without punctuation, except
    where the next line starts in lower case (a hard-wrapped paragraph).
    """
    enders = ".!?:" if colon else ".!?"
    sentences: list[Sentence] = []
    for offset, end in _blocks(text):
        chunk = text[offset:end]
        start = 0
        for index, char in enumerate(chunk):
            if char not in enders:
                continue
            rest = chunk[index + 1 :]
            if rest and not rest[0].isspace():
                continue
            if char == "." and not _full_stop_ends(chunk[start:index], rest.lstrip()):
                continue
            _append(sentences, chunk, offset, start, index + 1)
            start = index + 1
        _append(sentences, chunk, offset, start, len(chunk))
    return sentences


def _blocks(text: str) -> list[tuple[int, int]]:
    """Stretches of text between line breaks that end a sentence.

    A line break ends a sentence when the next line is empty or starts like a
    new line of its own: a capital letter, a bullet or a numbered item. Any
    other line (starting in lower case or with a number like "4.812 kr.") is
    a hard-wrapped continuation, as in pasted letters and e-mails.
    """
    blocks, start = [], 0
    for newline in re.finditer(r"\n", text):
        following = text[newline.end() :].lstrip(" \t")
        if not following or _LINE_START.match(following):
            blocks.append((start, newline.start()))
            start = newline.end()
    blocks.append((start, len(text)))
    return blocks


def _full_stop_ends(before: str, following: str) -> bool:
    """A full stop is ambiguous ("1. marts", "fx."), so it ends a sentence only
    before something that can start one, and never after an abbreviation."""
    if following and not _SENTENCE_START.match(following):
        return False
    match = re.search(r"([^\W\d_]+(?:\.[^\W\d_]+)*)$", before)
    return not (match and match.group(1).lower() in _ABBREVIATIONS)


def _append(sentences: list[Sentence], chunk: str, offset: int, start: int, end: int) -> None:
    piece = chunk[start:end]
    stripped = piece.strip()
    if not stripped or not any(char.isalnum() for char in stripped):
        return
    lead = len(piece) - len(piece.lstrip())
    begin = offset + start + lead
    sentences.append(Sentence(stripped, begin, begin + len(stripped)))


# --- Readability -----------------------------------------------------------


@dataclass(frozen=True)
class LixBand:
    """One of the Danish LIX bands with a plain-language description."""

    label: str
    low: int | None
    high: int | None
    description: str


LIX_BANDS: tuple[LixBand, ...] = (
    LixBand("Meget let", None, 24, "Let for alle læsere, også læsesvage og børn."),
    LixBand("Let", 25, 34, "Let for øvede læsere, fx ugeblade og skønlitteratur for unge."),
    LixBand("Middel", 35, 44, "Almindelig avistekst og de fleste breve."),
    LixBand("Svær", 45, 54, "Saglitteratur og myndighedstekster; kræver en god læser."),
    LixBand("Meget svær", 55, None, "Faglitteratur og lovtekst; tung for de fleste borgere."),
)


def round_half_up(score: float) -> int:
    """LIX is reported as a whole number, rounded the way people do (24.5 -> 25)."""
    return int(score + 0.5)


def lix_band(score: float) -> LixBand:
    """The band a LIX score falls in, judged on the rounded score."""
    rounded = round_half_up(score)
    for band in LIX_BANDS:
        if (band.low is None or rounded >= band.low) and (band.high is None or rounded <= band.high):
            return band
    raise AssertionError("the bands cover every integer")


@dataclass(frozen=True)
class Lix:
    """LIX with its two parts, so a participant sees *why* a text is heavy.

    LIX = words / sentences + 100 × long words / words, where a long word has
    more than six letters. The first part grows with long sentences, the
    second with long words; a rewrite can improve one and not the other.
    """

    words: int
    sentences: int
    long_words: tuple[str, ...]
    words_per_sentence: float
    long_word_percent: float
    score: float
    band: LixBand

    @property
    def rounded(self) -> int:
        return round_half_up(self.score)


def is_long_word(word: str) -> bool:
    """More than six letters (digits and hyphens do not count as letters)."""
    return sum(char.isalpha() for char in word) > 6


def long_word_ranges(text: str) -> list[tuple[int, int]]:
    """Where the long words are, to highlight what pushes LIX up."""
    return [match.span() for match in _WORD_RE.finditer(text) if is_long_word(match.group())]


def lix(text: str) -> Lix:
    """Compute LIX. Sentences end at . ! ? : and line breaks (see ``split_sentences``)."""
    all_words = words(text)
    sentence_count = len(split_sentences(text, colon=True))
    long_words = tuple(word for word in all_words if is_long_word(word))
    if not all_words or not sentence_count:
        return Lix(0, 0, (), 0.0, 0.0, 0.0, lix_band(0))
    per_sentence = len(all_words) / sentence_count
    percent = 100 * len(long_words) / len(all_words)
    score = per_sentence + percent
    return Lix(len(all_words), sentence_count, long_words, per_sentence, percent, score, lix_band(score))


# --- Similarity and differences ---------------------------------------------


def similarity(a: str, b: str) -> float:
    """Share of words two texts have in common, in the same order (0 to 1).

    2 × matching words / (words in a + words in b), with words compared in
    lower case (difflib's ratio on word lists). Two empty texts are equal.
    """
    left, right = _normalised_words(a), _normalised_words(b)
    if not left and not right:
        return 1.0
    return difflib.SequenceMatcher(None, left, right, autojunk=False).ratio()


def similarity_matrix(texts: Sequence[str]) -> tuple[tuple[float, ...], ...]:
    """Pairwise :func:`similarity`, 1.0 on the diagonal."""
    return tuple(
        tuple(1.0 if i == j else similarity(texts[i], texts[j]) for j in range(len(texts)))
        for i in range(len(texts))
    )


def mean_pairwise(matrix: Sequence[Sequence[float]]) -> float:
    """Mean of the values above the diagonal (1.0 when there is only one text)."""
    pairs = [matrix[i][j] for i, j in itertools.combinations(range(len(matrix)), 2)]
    return sum(pairs) / len(pairs) if pairs else 1.0


DiffOp = Literal["equal", "delete", "insert", "replace"]


@dataclass(frozen=True)
class DiffPart:
    """One step of a word diff: the words on the left and the right side."""

    op: DiffOp
    left: str
    right: str


DIFF_LABELS: dict[str, str] = {
    "equal": "Ens",
    "delete": "Kun i venstre svar",
    "insert": "Kun i højre svar",
    "replace": "Ændret",
}


def word_diff(a: str, b: str) -> list[DiffPart]:
    """Word-by-word diff, ignoring case and punctuation but showing the words as written.

    Words are whitespace-separated pieces, so the parts joined with spaces
    give back each text with its punctuation.
    """
    left, right = a.split(), b.split()
    key = lambda piece: re.sub(r"[^\w]", "", piece.lower())  # noqa: E731
    matcher = difflib.SequenceMatcher(None, [key(p) for p in left], [key(p) for p in right], autojunk=False)
    return [
        DiffPart(op, " ".join(left[i1:i2]), " ".join(right[j1:j2]))  # type: ignore[arg-type]
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


@dataclass(frozen=True)
class SentenceMatch:
    """A sentence of one answer and how many other answers contain it."""

    sentence: Sentence
    found_in: int
    others: int

    @property
    def share(self) -> float:
        return self.found_in / self.others if self.others else 1.0


SAME_SENTENCE = 0.8


def match_sentences(text: str, others: Sequence[str], threshold: float = SAME_SENTENCE) -> list[SentenceMatch]:
    """For each sentence of ``text``: in how many ``others`` a near-identical sentence occurs.

    Two sentences count as the same when their :func:`similarity` is at least
    ``threshold`` (0.8: a word or two may differ). This is what the Gentag
    exercise colours: sentences all answers share versus sentences that came
    out differently this time.
    """
    other_sentences = [[s.text for s in split_sentences(other)] for other in others]
    matches = []
    for sentence in split_sentences(text):
        found = sum(
            any(similarity(sentence.text, candidate) >= threshold for candidate in candidates)
            for candidates in other_sentences
        )
        matches.append(SentenceMatch(sentence, found, len(others)))
    return matches


# --- Support (hallucination) -------------------------------------------------


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.da.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import snowballstemmer

    return snowballstemmer.stemmer("danish")


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry content: no stop words, placeholders kept whole.

    Numbers are kept as written (a paragraph number or an amount is exactly
    the kind of detail a model invents). Stemming lets "ansøgningen" back up
    "ansøgning".
    """
    stop = _stop_words()
    stems: list[str] = []
    for placeholder in _PLACEHOLDER_RE.findall(text):
        stems.append(placeholder)
    for word in words(_PLACEHOLDER_RE.sub(" ", text)):
        lower = word.lower()
        if any(char.isdigit() for char in lower):
            stems.append(lower)
        elif lower not in stop and len(lower) > 1:
            stems.append(_stemmer().stemWord(lower))
    return stems


def support(claim: str, reference: str) -> float:
    """Share of the claim's content words that also occur in the reference (0 to 1).

    A crude but explainable stand-in for "does the other text back this
    up": if another sample, or the source document, never mentions the
    paragraph number, the amount or the key nouns of a sentence, that
    sentence is probably made up. A claim without content words is fully
    supported (there is nothing to check).
    """
    claimed = content_stems(claim)
    if not claimed:
        return 1.0
    available = set(content_stems(reference))
    return sum(stem in available for stem in claimed) / len(claimed)


_IGNORANCE_PATTERNS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(ved|kender) (jeg |vi )?(det |den )?(ikke|intet|ingen)\b",
        r"\bikke (bekendt|kendt|sikker)\b",
        r"\b(findes|eksisterer) (ikke|ingen)\b",
        r"\bkan ikke (finde|svare|bekræfte)\b",
        r"\bhar (ingen|ikke nogen) (oplysninger|viden|information)\b",
        r"\bingen (oplysninger|viden|information) om\b",
        r"\busikker\b",
    )
)


def admits_not_knowing(text: str) -> bool:
    """Whether an answer says, in Danish, that it does not know or that the thing does not exist."""
    return any(pattern.search(text) for pattern in _IGNORANCE_PATTERNS)


def numbers(text: str) -> list[str]:
    """Words containing a digit: dates, amounts, paragraph and case numbers."""
    return [word for word in words(text) if any(char.isdigit() for char in word)]


def contains_term(text: str, term: str) -> bool:
    """Whether the text contains ``term`` (case-insensitive), also inside a word.

    Matching inside words catches Danish compounds: "praktik" is found in
    "virksomhedspraktik" and "praktikforløb". A term of several words
    ("bakker op") matches across single spaces between the words.
    """
    needle = " ".join(_normalised_words(term))
    return bool(needle) and needle in " ".join(_normalised_words(text))


# --- Telling bias from noise -------------------------------------------------


def exact_test(hits: Sequence[int], totals: Sequence[int]) -> float:
    """Two-sided exact p-value that the hit rate is the same in every group.

    Fisher's exact test, extended to more than two groups (Freeman-Halton):
    with the group sizes and the total number of hits fixed, sum the
    probability of every way of spreading the hits that is no more likely
    than the one observed. Small p (below 0.05) means the difference between
    variants is hard to explain as sampling noise alone.
    """
    if len(hits) != len(totals) or not hits:
        raise ValueError("hits and totals must be non-empty and of equal length")
    if any(not 0 <= h <= n for h, n in zip(hits, totals, strict=True)):
        raise ValueError("each hit count must lie between 0 and its total")
    total_hits, grand_total = sum(hits), sum(totals)
    denominator = math.comb(grand_total, total_hits)

    def probability(table: Sequence[int]) -> float:
        return math.prod(math.comb(n, x) for x, n in zip(table, totals, strict=True)) / denominator

    observed = probability(hits)
    p_value = 0.0
    for table in itertools.product(*(range(n + 1) for n in totals)):
        if sum(table) == total_hits:
            p = probability(table)
            if p <= observed * (1 + 1e-9):
                p_value += p
    return min(1.0, p_value)
