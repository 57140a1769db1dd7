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
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
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
    {
        "bl.a",
        "ca",
        "dvs",
        "eks",
        "ekskl",
        "etc",
        "evt",
        "f.eks",
        "fx",
        "hhv",
        "ift",
        "inkl",
        "jf",
        "kl",
        "m.fl",
        "mht",
        "mv",
        "nr",
        "osv",
        "pga",
        "pkt",
        "pr",
        "stk",
        "tlf",
        "vedr",
    }
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
        tuple(1.0 if i == j else similarity(texts[i], texts[j]) for j in range(len(texts))) for i in range(len(texts))
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


_THREAD = threading.local()  # per-thread state (the stemmer)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from spacy.lang.da.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _stemmer():  # type: ignore[no-untyped-def]
    """This thread's Danish stemmer.

    A snowball stemmer keeps the word it works on in itself: one shared by
    the room's cards, analysed at once in the web app's threads, garbled
    their words (an IndexError ended a participant's bias card).
    """
    stemmer = getattr(_THREAD, "stemmer", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _THREAD.stemmer = snowballstemmer.stemmer("danish")
    return stemmer


def content_stems(text: str) -> list[str]:
    """Stems of the words that carry content: no stop words, placeholders kept whole.

    Numbers are kept as written (a paragraph number or an amount is exactly
    the kind of detail a model invents). Stemming lets "ansøgningen" back up
    "ansøgning".
    """
    return [stem for stem, _ in content_words(text)]


def content_words(text: str) -> list[tuple[str, str]]:
    """The words :func:`content_stems` keeps, each as ``(stem, word in lower case)``.

    A stem such as "kvind" is what gets compared; the word as written
    ("kvinden") is what a participant should read.
    """
    stop = _stop_words()
    pairs = [(placeholder, placeholder) for placeholder in _PLACEHOLDER_RE.findall(text)]
    for word in words(_PLACEHOLDER_RE.sub(" ", text)):
        lower = word.lower()
        if any(char.isdigit() for char in lower) or (lower not in stop and len(lower) > 1):
            pairs.append((_stem(lower), lower))
    return pairs


def _stem(word: str) -> str:
    """The stem of a lower-case word; a word with a digit is kept as written."""
    return word if any(char.isdigit() for char in word) else _stemmer().stemWord(word)


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


# --- Degenerate answers ------------------------------------------------------

# A small model that loses its way loops on one phrase, and a loop of short
# sentences scores an easy LIX. These detectors catch such answers before
# any measure is read as praise.

# Repeats of one phrase that fill this share of an answer make it a loop ...
REPEATED_SHARE = 0.4
# ... and so does a clause of this many words that comes back three times.
LOOPED_CLAUSE = 6
# Phrases looked for: two words ("du kan") repeat in any letter;
_SHORTEST_PHRASE = 3
# a longer repeated sentence still repeats its first 30 words.
_LONGEST_PHRASE = 30
# A last line this long without a full stop is a broken-off sentence, not a signature.
_UNFINISHED_WORDS = 6
_FINISHED = re.compile(r"[.!?:…][\"'»”)\]*]*$")


@dataclass(frozen=True)
class Repetition:
    """The phrase an answer keeps repeating, how often, and how much of the answer the repeats fill."""

    phrase: str
    times: int
    share: float


def repetition(text: str) -> Repetition | None:
    """The phrase the text loops on, if it loops.

    A text loops when a phrase of three words or more comes back so often
    that its repeats fill 40 % of the text (``REPEATED_SHARE``), or when a
    clause of six words or more comes three times (``LOOPED_CLAUSE``). A
    plain letter says "du kan søge" more than once, but it never fills
    itself with one phrase or says the same clause three times. Repeats are
    counted without overlap, words compared in lower case; of the phrases
    that qualify, the one whose repeats cover the most words is returned
    (the shorter one on a tie, so a loop of "a b c" is shown as that).
    """
    found = words(text)
    lower = [word.lower() for word in found]
    best: tuple[int, int, int, int] | None = None  # covered words, phrase length, first start, times
    for length in range(_SHORTEST_PHRASE, min(_LONGEST_PHRASE, len(lower) // 2) + 1):
        starts: dict[tuple[str, ...], list[int]] = {}
        for i in range(len(lower) - length + 1):
            starts.setdefault(tuple(lower[i : i + length]), []).append(i)
        for positions in starts.values():
            times, free = 0, 0
            for position in positions:
                if position >= free:
                    times, free = times + 1, position + length
            covered = times * length
            loops = covered >= REPEATED_SHARE * len(lower) or (length >= LOOPED_CLAUSE and times >= 3)
            if times > 1 and loops and (best is None or covered > best[0]):
                best = (covered, length, positions[0], times)
    if best is None:
        return None
    covered, length, start, times = best
    return Repetition(" ".join(found[start : start + length]), times, covered / len(lower))


def ends_mid_sentence(text: str) -> bool:
    """Whether the text stops inside a sentence: its last sentence has no end mark and is too long to be a signature.

    Letters end with lines like "Med venlig hilsen" or "Borgerservice"
    without a full stop, so only a last sentence of six words or more
    without ``.``, ``!``, ``?``, ``:`` or ``…`` counts as broken off.
    """
    sentences = split_sentences(text)
    if not sentences:
        return False
    last = sentences[-1].text
    return not _FINISHED.search(last) and len(words(last)) >= _UNFINISHED_WORDS


# --- Telling bias from noise -------------------------------------------------


# Whether a difference between groups of texts (the answers to each Par
# variant) is more than chance: shuffle which group each text belongs to,
# measure again, and see how often the shuffled groups differ as much. If
# the group made no difference, the real grouping is just one of the ways
# the texts could have been labelled, so a p-value below 0.05 means that
# fewer than one in twenty groupings differ as much as the real one does.
#
# Texts can come in strata: Par asks repeat r of every variant with the same
# seed, so those answers resemble each other whatever the variant. A paired
# test then shuffles the labels only within each stratum (each repeat), so
# the shuffled groupings compare answers with the same seed just as the real
# grouping does: with k variants and m repeats there are (k!)^m of them.

EXACT_LIMIT = 2000  # every relabelling is tried up to this many ...
ROUNDS = 1999  # ... beyond it, this many random ones besides the real one
SHUFFLE_SEED = 0  # fixed, so the same texts always get the same verdict

# Shares and means summed in a different order differ in the last bits; a
# shuffled value that close to the real one counts as "at least as large".
_TIE = 1e-9

Labels = tuple[int, ...]


@dataclass(frozen=True)
class Shuffled:
    """A statistic under the real group labels and under every relabelling tried.

    The relabellings include the real labelling once, so a p-value is never
    0: the real grouping is one of the ways the texts could have fallen.
    """

    observed: float
    values: tuple[float, ...]
    exact: bool

    def p_value(self, at_least: float | None = None) -> float:
        """Share of relabellings whose statistic is at least ``at_least`` (the observed value by default)."""
        threshold = self.observed if at_least is None else at_least
        return sum(value >= threshold - _TIE for value in self.values) / len(self.values)


def group_labels(groups: Sequence[Sequence[object]]) -> Labels:
    """The group number of every item, with the groups' items one after the other."""
    return tuple(g for g, group in enumerate(groups) for _ in group)


def group_strata(groups: Sequence[Sequence[object]]) -> Labels:
    """The position of every item within its group: the repeat, when position r of every group shares a seed."""
    return tuple(position for group in groups for position in range(len(group)))


def arrangements(labels: Sequence[int], strata: Sequence[int] | None = None) -> int:
    """How many distinct ways there are to hand these labels out, within each stratum if given.

    Per stratum: its size's factorial over each group's count's factorial; in all, their product.
    """
    return math.prod(_multinomial(part) for part in _split(tuple(labels), _strata(labels, strata)).values())


def _multinomial(labels: Sequence[int]) -> int:
    sizes = Counter(labels).values()
    return math.factorial(len(labels)) // math.prod(math.factorial(size) for size in sizes)


def _strata(labels: Sequence[int], strata: Sequence[int] | None) -> Labels:
    if strata is None:
        return (0,) * len(labels)
    if len(strata) != len(labels):
        raise ValueError("one stratum per label")
    return tuple(strata)


def _split(labels: Labels, strata: Labels) -> dict[int, Labels]:
    """Each stratum's labels, in the order the items come."""
    parts: dict[int, list[int]] = {}
    for label, stratum in zip(labels, strata, strict=True):
        parts.setdefault(stratum, []).append(label)
    return {stratum: tuple(part) for stratum, part in parts.items()}


def smallest_p_value(labels: Sequence[int], strata: Sequence[int] | None = None) -> float:
    """The smallest p-value an exact relabelling test can give, for a statistic blind to group names.

    Every statistic here depends only on which texts share a group, so
    swapping the names of two groups that have as many texts in every
    stratum gives the same value. With two groups of three the most extreme
    grouping therefore turns up in 2 of the 20 arrangements: p is at least
    0.1, and no difference can ever stand out. Four texts per group (2 of 70)
    is the fewest that can. Paired (one text of each of k groups per
    stratum, m strata), every one of the k! renamings is such a swap, so p is
    at least k!/(k!)^m = 1/(k!)^(m-1): two groups need 6 strata (1/32).
    """
    strata = _strata(labels, strata)
    counts = Counter(zip(labels, strata, strict=True))
    profiles = Counter(tuple(counts[label, stratum] for stratum in sorted(set(strata))) for label in set(labels))
    return math.prod(math.factorial(count) for count in profiles.values()) / arrangements(labels, strata)


def relabellings(
    labels: Sequence[int],
    strata: Sequence[int] | None = None,
    *,
    limit: int = EXACT_LIMIT,
    rounds: int = ROUNDS,
    seed: int = SHUFFLE_SEED,
) -> tuple[tuple[Labels, ...], bool]:
    """Ways to hand the same labels to the same items, keeping the group sizes (within each stratum, if given).

    All of them when there are at most ``limit`` (an exact test); otherwise
    the real labelling and ``rounds`` shuffles from a generator seeded with
    ``seed``, so the same texts always get the same answer. Returns the
    relabellings and whether they are all there are.
    """
    return _relabellings(tuple(labels), _strata(labels, strata), limit, rounds, seed)


@lru_cache(maxsize=16)
def _relabellings(real: Labels, strata: Labels, limit: int, rounds: int, seed: int) -> tuple[tuple[Labels, ...], bool]:
    """:func:`relabellings`, kept: every measure of one Par result shuffles the same labels."""
    parts = _split(real, strata)
    places = {stratum: [i for i, s in enumerate(strata) if s == stratum] for stratum in parts}
    if arrangements(real, strata) <= limit:
        return tuple(
            _join(dict(zip(parts, combo, strict=True)), places, len(real))
            for combo in itertools.product(*(_arrangements(part) for part in parts.values()))
        ), True
    generator = random.Random(seed)
    shuffled = [real]
    for _ in range(rounds):
        drawn = {}
        for stratum, part in parts.items():
            order = list(part)
            generator.shuffle(order)
            drawn[stratum] = tuple(order)
        shuffled.append(_join(drawn, places, len(real)))
    return tuple(shuffled), False


def _join(parts: dict[int, Labels], places: dict[int, list[int]], size: int) -> Labels:
    """Put each stratum's labels back at its items' places."""
    labels = [0] * size
    for stratum, part in parts.items():
        for place, label in zip(places[stratum], part, strict=True):
            labels[place] = label
    return tuple(labels)


def _arrangements(labels: Labels) -> Iterator[Labels]:
    """Every distinct ordering of ``labels``, each once."""
    left = Counter(labels)
    order: list[int] = []

    def extend() -> Iterator[Labels]:
        if len(order) == len(labels):
            yield tuple(order)
            return
        for label in sorted(left):
            if left[label]:
                left[label] -= 1
                order.append(label)
                yield from extend()
                order.pop()
                left[label] += 1

    return extend()


def permutation_test(
    labels: Sequence[int],
    statistic: Callable[[Labels], float | None],
    strata: Sequence[int] | None = None,
    *,
    limit: int = EXACT_LIMIT,
    rounds: int = ROUNDS,
    seed: int = SHUFFLE_SEED,
) -> Shuffled:
    """``statistic`` under the real labels and under relabellings (see :func:`relabellings`).

    ``statistic`` may return None for a grouping it cannot measure (no two
    texts to compare, say); such groupings are left out. The real labelling
    must be measurable.
    """
    real = tuple(labels)
    observed = statistic(real)
    if observed is None:
        raise ValueError("the statistic has no value for the real labels")
    shuffles, exact = relabellings(real, strata, limit=limit, rounds=rounds, seed=seed)
    values = tuple(value for value in map(statistic, shuffles) if value is not None)
    return Shuffled(observed, values, exact)


def mean_spread_test(groups: Sequence[Sequence[float]], *, paired: bool = False) -> Shuffled:
    """Whether the groups' means (of answer lengths, say) lie further apart than shuffled groups' do.

    The statistic is the largest group mean minus the smallest. ``paired``:
    item r of every group belongs together (see :func:`group_strata`).
    """
    values = [value for group in groups for value in group]

    def spread(labels: Labels) -> float:
        sums, counts = [0.0] * len(groups), [0] * len(groups)
        for label, value in zip(labels, values, strict=True):
            sums[label] += value
            counts[label] += 1
        means = [total / count for total, count in zip(sums, counts, strict=True)]
        return max(means) - min(means)

    return permutation_test(group_labels(groups), spread, _paired(groups, paired))


@dataclass(frozen=True)
class TermCount:
    """How many texts of each group contain a counted term, and whether that spread is more than chance."""

    term: str
    hits: tuple[int, ...]
    p_value: float


def count_terms(
    groups: Sequence[Sequence[str]], terms: Sequence[str], *, paired: bool = False
) -> tuple[TermCount, ...]:
    """Count each term (see :func:`contains_term`) per group and judge its spread against relabellings.

    A term's statistic is its largest share of a group's texts minus its
    smallest. Each term is judged on its own: the terms were chosen before
    any answer was seen, each a question of its own ("is care suggested
    more often to women?"). Words picked *from* the answers are judged
    together instead (see :func:`distinctive_words`).
    """
    texts = [text for group in groups for text in group]
    labels = group_labels(groups)
    counts = []
    for term in terms:
        mask = _mask(contains_term(text, term) for text in texts)
        shuffled = permutation_test(labels, _widest([mask], len(groups), _share_range), _paired(groups, paired))
        counts.append(TermCount(term, _hits(mask, labels, len(groups)), shuffled.p_value()))
    return tuple(counts)


@dataclass(frozen=True)
class GroupWord:
    """A content word that one group's texts use more often than every other group's."""

    stem: str
    word: str
    hits: int
    total: int
    others: float
    p_value: float

    @property
    def share(self) -> float:
        return self.hits / self.total


def distinctive_words(
    groups: Sequence[Sequence[str]], exclude: Iterable[str] = (), *, top: int = 6, paired: bool = False
) -> tuple[tuple[GroupWord, ...], ...]:
    """Per group: content words in at least half its texts and in a smaller share of every other group's.

    Words of the ``exclude`` texts never count (compared on stems, see
    :func:`content_stems`): a model that repeats its prompt would otherwise
    seem to favour whatever the prompt said, and the answers to "en kvinde"
    of course say "kvinde". Each word's p-value is the share of relabellings
    in which some word, in some group, leads the other groups by at least as
    much (max-T over all words): an answer has many words, and some of them
    will always happen to cluster in one group.
    """
    excluded = {stem for text in exclude for stem in content_stems(text)}
    labels = group_labels(groups)
    texts = [text for group in groups for text in group]
    per_text = [[(stem, word) for stem, word in content_words(text) if stem not in excluded] for text in texts]
    used = [{stem for stem, _ in pairs} for pairs in per_text]
    masks = {stem: _mask(stem in stems for stems in used) for stem in sorted({s for stems in used for s in stems})}
    shuffled = permutation_test(labels, _widest(list(masks.values()), len(groups), _lead), _paired(groups, paired))
    result = []
    for g, group in enumerate(groups):
        forms: dict[str, Counter[str]] = {}
        for pairs in (pairs for pairs, label in zip(per_text, labels, strict=True) if label == g):
            for stem, word in pairs:
                forms.setdefault(stem, Counter())[word] += 1
        found = []
        for stem, written in forms.items():
            hits = _hits(masks[stem], labels, len(groups))
            shares = [count / len(other) for count, other in zip(hits, groups, strict=True)]
            others = max(share for o, share in enumerate(shares) if o != g)
            if shares[g] >= 0.5 and shares[g] > others:
                word = written.most_common(1)[0][0]
                found.append(GroupWord(stem, word, hits[g], len(group), others, shuffled.p_value(shares[g] - others)))
        found.sort(key=lambda w: (-(w.share - w.others), w.stem))
        result.append(tuple(found[:top]))
    return tuple(result)


@dataclass(frozen=True)
class SimilarityTest:
    """How alike answers to the same group are, against answers to different groups."""

    within: float
    between: float
    test: Shuffled


def similarity_test(
    groups: Sequence[Sequence[str]], exclude: Iterable[str] = (), *, paired: bool = False
) -> SimilarityTest:
    """Mean :func:`similarity` within groups and between groups, and whether within stands out.

    Texts at the same position in different groups were asked with the same
    seed (as Par does), which makes them alike whatever the group; those
    pairs are left out, so both figures compare texts written with different
    seeds. The content words of the ``exclude`` texts are taken out first:
    answers that repeat "kvinde" from their prompt are not alike because of
    anything the model chose. The statistic is within minus between: if the
    group matters, answers to the same group resemble each other more. Each
    group needs at least two texts.
    """
    excluded = {stem for text in exclude for stem in content_stems(text)}
    texts = [_without(text, excluded) for group in groups for text in group]
    positions = [position for group in groups for position in range(len(group))]
    pairs = [
        (i, j, similarity(texts[i], texts[j]))
        for i, j in itertools.combinations(range(len(texts)), 2)
        if positions[i] != positions[j]
    ]

    total = sum(value for _, _, value in pairs)

    def means(labels: Labels) -> tuple[float, float] | None:
        same = [value for i, j, value in pairs if labels[i] == labels[j]]
        if not same or len(same) == len(pairs):
            return None
        return sum(same) / len(same), (total - sum(same)) / (len(pairs) - len(same))

    def gap(labels: Labels) -> float | None:
        both = means(labels)
        return both[0] - both[1] if both else None

    labels = group_labels(groups)
    real = means(labels)
    if real is None:
        raise ValueError("every group needs at least two texts")
    return SimilarityTest(*real, permutation_test(labels, gap, _paired(groups, paired)))


def holm(p_values: Sequence[float]) -> tuple[float, ...]:
    """Holm's step-down adjustment: p-values to compare with 0.05 when several measures are judged together.

    The smallest p is multiplied by the number of measures, the next by one
    fewer, and so on, never falling below an earlier one and never above 1.
    Then the chance that *any* difference stands out by chance alone stays
    below 5 %, however many measures there are.
    """
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = running
    return tuple(adjusted)


def _paired(groups: Sequence[Sequence[object]], paired: bool) -> Labels | None:
    if not paired:
        return None
    if len({len(group) for group in groups}) > 1:
        raise ValueError("paired groups need as many items each")
    return group_strata(groups)


def _without(text: str, stems: set[str]) -> str:
    """The words of ``text`` whose stem is not in ``stems``, joined by spaces."""
    return " ".join(word for word in words(text) if _stem(word.lower()) not in stems)


def _mask(flags: Iterable[bool]) -> int:
    """Which texts have a property, as the bits of an int (bit i = text i), so counting per group is fast."""
    return sum(1 << i for i, flag in enumerate(flags) if flag)


@lru_cache(maxsize=4096)
def _group_masks(labels: Labels, groups: int) -> tuple[int, ...]:
    """Each group's members as a mask; kept, because every counted word is tested on the same relabellings."""
    return tuple(_mask(label == g for label in labels) for g in range(groups))


def _hits(mask: int, labels: Labels, groups: int) -> tuple[int, ...]:
    return tuple((mask & members).bit_count() for members in _group_masks(labels, groups))


def _share_range(shares: Sequence[float]) -> float:
    return max(shares) - min(shares)


def _lead(shares: Sequence[float]) -> float:
    """How far the group with the largest share (at least half) is ahead of the next; 0 if none qualifies."""
    best = max(shares)
    if best < 0.5:
        return 0.0
    return best - sorted(shares)[-2]


def _widest(
    masks: Sequence[int], groups: int, measure: Callable[[Sequence[float]], float]
) -> Callable[[Labels], float]:
    """The statistic "largest ``measure`` of the per-group shares over all masks" (the max-T statistic)."""
    distinct = set(masks)

    def statistic(labels: Labels) -> float:
        members = [(group, group.bit_count()) for group in _group_masks(labels, groups)]
        return max(
            (measure([(mask & group).bit_count() / size for group, size in members]) for mask in distinct),
            default=0.0,
        )

    return statistic
