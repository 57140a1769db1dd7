"""Special categories of personal data (GDPR art. 9, and art. 10 on criminal matters).

A case note about "borgerens diabetes" is not anonymous just because the name
is gone, and it is the kind of detail a compliance officer wants people to
notice before they paste. These words are not identifiers, so the guard does
not redact them (the model needs them to help); it reports them as warnings
the UI shows next to the prompt.

Terms are Danish word stems; a stem ending in ``*`` matches any ending, so
"sygemeld*" covers "sygemeldt" and "sygemeldingen", and one starting with
``*`` also matches inside a compound ("*kræft*" covers "lungekræften").
Terms are matched per word (a hyphen splits words, so "type 2-diabetes"
finds "diabetes"), phrases across words. Upper-case terms
(party names, union acronyms) are matched case-sensitively because their
lower-case forms are ordinary words. "Venstre" alone is left out: at the start
of a sentence it is as often a side of the body as a party.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from sandbox.guards.result import Art9Warning

TERMS: dict[str, tuple[str, ...]] = {
    "HELBRED": (
        "diagnose*", "*sygdom*", "syg", "syge", "sygemeld*", "raskmeld*", "indlagt", "indlæggelse*",
        "*diabet*", "sukkersyge", "*kræft*", "*cancer*", "kemoterapi", "hjerneskade*", "blodprop*",
        "hjertesygdom*", "kol", "astma", "epilepsi", "sklerose", "sclerose", "parkinson*", "gigt",
        "diskusprolaps", "*demens", "dement*", "alzheimer*", "depression*", "depressiv*", "angst*",
        "stress", "stresset", "ptsd", "skizofren*", "psykose*", "psykotisk*", "bipolar*",
        "personlighedsforstyrr*", "spiseforstyrr*", "anoreksi", "bulimi", "selvmord*", "selvskade*",
        "adhd", "autis*", "asperger*", "udviklingshæm*", "hiv", "aids", "gravid*", "graviditet*",
        "abort*", "*misbrug*", "alkoholiker*", "narkoman*",
        "afrusning*", "*medicin*", "psykiat*", "psykolog*", "lægeattest*", "lægeerklæring*",
        "handicap*", "funktionsnedsættelse*", "blind", "døv", "kørestol*", "hoftealloplastik",
        "operation*", "*genoptræning*",
    ),
    "ETNICITET": (
        "etnisk*", "etnicitet*", "race", "racemæssig*", "hudfarve", "herkomst", "romaer", "sigøjner*",
    ),
    "RELIGION": (
        "religi*", "muslim*", "islam*", "kristen", "kristne", "jøde", "jøder", "jødisk*", "hindu*",
        "buddhist*", "sikh*", "ateist*", "moské*", "moske*", "synagoge*", "trossamfund*",
        "jehovas vidne*", "ramadan", "konverter*",
    ),
    "SEKSUALITET": (
        "homoseksu*", "biseksu*", "lesbisk*", "bøsse*", "transkøn*", "seksuel* orientering",
        "seksualitet*", "lgbt*", "kønsidentitet*", "kønsskifte*", "kønsmodificerende",
    ),
    "POLITIK": (
        "politisk* overbevisning*", "politisk* holdning*", "partimedlem*", "Socialdemokratiet",
        "Enhedslisten", "Dansk Folkeparti", "Moderaterne", "Danmarksdemokraterne",
        "Alternativet", "Liberal Alliance", "Radikale Venstre", "Det Konservative Folkeparti",
        "Socialistisk Folkeparti", "SF",
    ),
    "FAGFORENING": (
        "fagforening*", "fagforbund*", "fagligt medlem*", "tillidsrepræsentant*", "3F", "FOA", "HK",
        "BUPL", "DSR", "Dansk Metal", "Djøf", "DJØF", "Socialpædagogerne", "Krifa",
    ),
    "BIOMETRI": (
        "fingeraftryk*", "biometri*", "ansigtsgenkendelse*", "irisscanning*", "dna",
        "genetisk*", "gentest*", "arveanlæg*",
    ),
    "STRAFFEFORHOLD": (
        "straffe*", "straffet", "dømt", "domfæld*", "fængsel*", "fængslet", "sigtet", "sigtelse*",
        "tiltalt", "tiltale*", "anholdt", "anholdelse*", "kriminel*", "kriminalitet*",
        "løsladt", "løslades", "løsladelse*", "politianmeld*", "voldsdømt", "ungdomssanktion*",
    ),
}


@dataclass(frozen=True)
class _Matchers:
    """All terms, compiled once: whole words, stems and compound parts per word, phrases across words."""

    exact: dict[str, str]  # word (lower case unless case-sensitive) → category
    prefixes: re.Pattern[str]  # "sygemeld*": the word starts with the stem
    infixes: re.Pattern[str]  # "*kræft*": the stem anywhere in a compound
    phrases: re.Pattern[str]  # terms of more than one word


def _alternatives(stems_by_category: dict[str, list[str]]) -> str:
    return "|".join(
        f"(?P<{category}>" + "|".join(re.escape(s) for s in sorted(stems, key=len, reverse=True)) + ")"
        for category, stems in stems_by_category.items()
        if stems
    )


def _phrase_pattern(term: str) -> str:
    body = r"\s+".join(re.escape(word.strip("*")) + (r"[\w-]*" if word.endswith("*") else "") for word in term.split())
    return body if any(ch.isupper() for ch in term) else f"(?i:{body})"


@lru_cache(maxsize=1)
def _matchers() -> _Matchers:
    exact: dict[str, str] = {}
    prefixes: dict[str, list[str]] = {}
    infixes: dict[str, list[str]] = {}
    phrases: dict[str, list[str]] = {}
    for category, terms in TERMS.items():
        for term in terms:
            if " " in term:
                phrases.setdefault(category, []).append(_phrase_pattern(term))
            elif term.startswith("*"):
                infixes.setdefault(category, []).append(term.strip("*"))
            elif term.endswith("*"):
                prefixes.setdefault(category, []).append(term.rstrip("*"))
            else:
                exact.setdefault(term if any(c.isupper() for c in term) else term.lower(), category)
    phrase_body = "|".join(f"(?P<{c}>" + "|".join(p) + ")" for c, p in phrases.items())
    return _Matchers(
        exact=exact,
        prefixes=re.compile(f"^(?:{_alternatives(prefixes)})"),
        infixes=re.compile(_alternatives(infixes)),
        phrases=re.compile(rf"(?<!\w)(?:{phrase_body})(?!\w)"),
    )


_WORD = re.compile(r"\w+")


def _category(word: str, matchers: _Matchers) -> str | None:
    lower = word.lower()
    category = matchers.exact.get(word) or matchers.exact.get(lower)
    if category:
        return category
    match = matchers.prefixes.match(lower) or matchers.infixes.search(lower)
    return match.lastgroup if match else None


def find_special_categories(text: str) -> tuple[Art9Warning, ...]:
    """Every special-category word or phrase in ``text``."""
    matchers = _matchers()
    phrases = [Art9Warning(m.lastgroup or "", m.start(), m.end(), m.group(0)) for m in matchers.phrases.finditer(text)]
    starts = [p.start for p in phrases]
    found = list(phrases)
    for match in _WORD.finditer(text):
        i = bisect_right(starts, match.start()) - 1
        if i >= 0 and match.start() < phrases[i].end:
            continue  # a word of a phrase already found
        category = _category(match.group(0), matchers)
        if category:
            found.append(Art9Warning(category, match.start(), match.end(), match.group(0)))
    return tuple(sorted(found, key=lambda w: w.start))
