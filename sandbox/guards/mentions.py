"""Every other mention of a person the guard found, in the same text.

Real text names a person once in full and then by surname ("hr. Bjerre"),
first name ("Tak, Naja"), genitive ("Thygesens bil"), in capitals
("BRANDT") or in lower case in a chat. The name recognizer judges each word
where it stands, and a lone "Ravn" mid-sentence is no name by itself; but
once "Jonas Ravn" was found, every "Ravn" in that text is him. This pass
finds those mentions so that they get the same placeholder as the full name.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import NamedTuple

import regex
from spacy.lang.da.stop_words import STOP_WORDS

from sandbox.guards.lexicon import lexicon
from sandbox.guards.recognizers.name_cues import COMPANY, PARTICLES, TITLES

# The words of a found name: letters with inner apostrophes, split at hyphens
# ("Bech" alone is a mention of "Anne Jensen-Bech").
_NAME_WORD = regex.compile(r"\p{L}+(?:['’]\p{L}+)*")
MIN_LENGTH = 3  # "Bo" and "Ib" alone are words too often


class Mention(NamedTuple):
    start: int
    end: int
    source: int  # index of the finding it repeats


def name_words(name: str) -> set[str]:
    """The words of ``name`` that can stand alone as a mention of the person."""
    words = set()
    for word in _NAME_WORD.findall(name):
        lower = word.lower()
        if len(word) < MIN_LENGTH or lower in PARTICLES or lower in TITLES or lower in STOP_WORDS:
            continue
        if lower.endswith("s") and word[:-1] in words:
            continue
        words.add(word)
    return words


def _particle_tail(name: str) -> str | None:
    """"van der Berg" from "Pieter van der Berg": how the person is named the second time."""
    words = name.split()
    for n, word in enumerate(words[1:], start=1):
        if word.lower() in PARTICLES:
            return " ".join(words[n:])
    return None


def initials(name: str) -> str | None:
    """ "HL" for "Henrik Lauridsen", "JOM" for "Jens-Ole Mikkelsen": how staff sign notes."""
    letters = [w[0] for w in regex.findall(r"\p{Lu}\p{L}*", name) if w.lower() not in PARTICLES]
    return "".join(letters).upper() if len(letters) >= 2 else None


def _key(word: str) -> str:
    """A name word without case or genitive: "Thygesens" and "THYGESEN" are "thygesen"."""
    folded = word.casefold()
    for ending in ("'s", "’s", "'", "’"):
        folded = folded.removesuffix(ending)
    return folded


def _first_named(candidates: list[int], persons: list[tuple[int, int]]) -> int:
    """Which person a shared word means: the first one named in the text.

    A biography names its subject first and parents after ("Morten Lindqvist
    ... søn af Poul Lindqvist ... Lindqvist blev student"); a news story its
    main person. Masking does not depend on the choice, only which
    placeholder the model reads.
    """
    return min(candidates, key=lambda c: persons[c][0])


def same_person(text: str, persons: list[tuple[int, int]]) -> dict[int, int]:
    """Found names that are part of a longer found name: index → index of the longer one.

    "Bjerre" found on its own after "Søren Bjerre", or "Thygesens" after
    "Rikke Thygesen", is the same person and gets the same placeholder.
    """
    owns = [{_key(w) for w in name_words(text[s:e])} for s, e in persons]
    # A genitive "Thygesens" matches "thygesen" in a longer name.
    matchable = [own | {w + "s" for w in own} for own in owns]
    result: dict[int, int] = {}
    for index, own in enumerate(owns):
        longer = [other for other, words in enumerate(matchable) if len(owns[other]) > len(own) and own <= words]
        if own and longer:
            result[index] = _first_named(longer, persons)
    return result


def _may_be_lower(word: str) -> bool:
    """Whether ``word`` in lower case is still the name: a known name, or any word that is no ordinary one."""
    names = lexicon()
    title = word.title()
    return title in names.first_names or title in names.surnames or word.lower() not in names.common_words


def other_mentions(text: str, persons: list[tuple[int, int]], taken: list[tuple[int, int]]) -> list[Mention]:
    """Mentions of the names at ``persons`` (spans in ``text``) outside every span in ``taken``.

    A word shared by two persons ("Hansen" for Mette and Ole Hansen) goes to
    the one named first (see :func:`_first_named`).
    """
    owners: dict[str, list[int]] = {}  # name word, case-folded → indices into persons
    variants: set[str] = set()
    for index, (start, end) in enumerate(persons):
        for word in name_words(text[start:end]):
            owners.setdefault(word.casefold(), []).append(index)
            variants.update({word, word.upper(), word[0].upper() + word[1:]})
            if _may_be_lower(word):
                variants.add(word.lower())
        tail = _particle_tail(text[start:end])
        if tail:
            owners.setdefault(tail.casefold(), []).append(index)
            variants.update({tail, tail[0].upper() + tail[1:]})
        signature = initials(text[start:end])
        if signature:
            owners.setdefault(signature.casefold(), []).append(index)
            variants.add(signature)
    if not variants:
        return []
    alternatives = "|".join(regex.escape(v) for v in sorted(variants, key=len, reverse=True))
    pattern = regex.compile(
        rf"(?<![\p{{L}}\p{{N}}\-'’@.])(?:{alternatives})(?:s|'s|’s|'|’)?(?![\p{{L}}\p{{N}}@]|\.[\p{{L}}\p{{N}}])"
    )
    taken_sorted = sorted(taken)
    taken_starts = [s for s, _ in taken_sorted]
    mentions: list[Mention] = []
    for match in pattern.finditer(text):
        start, end = match.span()
        i = bisect_right(taken_starts, start) - 1
        if (i >= 0 and taken_sorted[i][1] > start) or (i + 1 < len(taken_sorted) and taken_sorted[i + 1][0] < end):
            continue
        if COMPANY.match(text, end):
            continue  # "Rydahl & Partnere", "Vogel Byg ApS": the firm, not the person
        key = _key(match.group(0))
        candidates = owners.get(key) or owners.get(key.removesuffix("s"))
        if candidates:
            mentions.append(Mention(start, end, _first_named(candidates, persons)))
    return mentions
