"""Special categories of personal data (GDPR art. 9, and art. 10 on criminal matters).

A case note about "borgerens diabetes" is not anonymous just because the name
is gone, and it is the kind of detail a compliance officer wants people to
notice before they paste. These words are not identifiers, so the guard does
not redact them (the model needs them to help); it reports them as warnings
the UI shows next to the prompt.

Terms are Danish word stems; a stem ending in ``*`` matches any ending, so
"sygemeld*" covers "sygemeldt" and "sygemeldingen", and one starting with
``*`` also matches at the end of a compound ("*kræft*" covers "lungekræften"). Upper-case terms
(party names, union acronyms) are matched case-sensitively because their
lower-case forms are ordinary words. "Venstre" alone is left out: at the start
of a sentence it is as often a side of the body as a party.
"""

from __future__ import annotations

import re
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
        "fingeraftryk*", "biometri*", "ansigtsgenkendelse*", "irisscanning*", "dna", "dna-*",
        "genetisk*", "gentest*", "arveanlæg*",
    ),
    "STRAFFEFORHOLD": (
        "straffe*", "straffet", "dømt", "domfæld*", "fængsel*", "fængslet", "sigtet", "sigtelse*",
        "tiltalt", "tiltale*", "anholdt", "anholdelse*", "kriminel*", "kriminalitet*",
        "løsladt", "løslades", "løsladelse*", "politianmeld*", "voldsdømt", "ungdomssanktion*",
    ),
}


def _term_pattern(term: str) -> str:
    body = re.escape(term.strip("*")).replace(r"\ ", r"\s+")
    if term.startswith("*"):
        body = r"\w*" + body
    if term.endswith("*"):
        body += r"[\w-]*"
    return body if any(ch.isupper() for ch in term) else f"(?i:{body})"


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (category, re.compile(r"(?<!\w)(?:" + "|".join(_term_pattern(t) for t in terms) + r")(?![\w])"))
        for category, terms in TERMS.items()
    )


def find_special_categories(text: str) -> tuple[Art9Warning, ...]:
    """Every special-category word in ``text``, first category wins on overlap."""
    found: list[Art9Warning] = []
    taken: list[tuple[int, int]] = []
    for category, pattern in _patterns():
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e in taken):
                continue
            taken.append((start, end))
            found.append(Art9Warning(category=category, start=start, end=end, term=match.group(0)))
    return tuple(sorted(found, key=lambda w: w.start))
