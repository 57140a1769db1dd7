"""The name lists under sandbox/guards/data/, and the Danish vocabulary, loaded once.

Each file is plain text, one entry per line, ``#`` comments naming source and
licence. Lookups are case-sensitive on purpose: "Per" mid-sentence is a name,
"per" is a preposition. Lower-case lookups exist only for the places where
people really do write names in lower case ("jeg hedder mette hansen").

The vocabulary is the Danish lemma table that spaCy's lookup lemmatizer uses
(package ``spacy-lookups-data``, MIT): about 550,000 inflected forms of Danish
common words and, capitalised, some 2,500 place names ("Sønderborg",
"Limfjorden", "Algeriet"). It holds no person names, so it answers the
question a name list cannot: is this capitalised word an ordinary Danish word
at all? "Borgeren" is; "Warsame", "Tesfay" and "Thygesen" are not.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources

VOCABULARY_PACKAGE = "spacy_lookups_data"
VOCABULARY_FILE = "data/da_lemma_lookup.json.gz"

DATA_FILES = (
    "fornavne.txt",
    "fornavne_udenlandsk_oprindelse.txt",
    "efternavne.txt",
    "fornavne_der_ogsaa_er_ord.txt",
    "efternavne_der_ogsaa_er_ord.txt",
    "stednavne.txt",
    "ikke_navne.txt",
)


def _read(name: str) -> str:
    return resources.files("sandbox.guards").joinpath("data").joinpath(name).read_text(encoding="utf-8")


def _entries(name: str) -> frozenset[str]:
    """The words of a list. Multi-word entries ("Svend Aage", "Hvide Sande") are looked up word by word."""
    return frozenset(
        word
        for line in _read(name).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
        for word in line.split()
    )


@dataclass(frozen=True)
class Lexicon:
    first_names: frozenset[str]
    surnames: frozenset[str]
    first_name_words: frozenset[str]  # "Hans", "Per", "Bo": names only where the capital letter says so
    surname_words: frozenset[str]  # "Lund", "Skov", "Dam": names only next to another name or a title
    not_names: frozenset[str]  # places, organisation words, capitalised non-names
    places: frozenset[str]  # towns, regions, countries: a surname too, right after a first name ("Jesper Kiel")
    lower_names: frozenset[str]  # every name above in lower case, for "jeg hedder mette"
    common_words: frozenset[str]  # lower-case Danish word forms that are no name ("borgeren", "sagde")

    def is_name_like(self, word: str) -> bool:
        return (
            word in self.first_names
            or word in self.surnames
            or word in self.first_name_words
            or word in self.surname_words
        )


def _vocabulary() -> frozenset[str]:
    """Every form in spaCy's Danish lemma table, lower-case words and capitalised places alike."""
    data = resources.files(VOCABULARY_PACKAGE).joinpath(VOCABULARY_FILE).read_bytes()
    table: dict[str, str] = json.loads(gzip.decompress(data))
    return frozenset(table) | frozenset(table.values())


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    first = _entries("fornavne.txt") | _entries("fornavne_udenlandsk_oprindelse.txt")
    surnames = _entries("efternavne.txt")
    vocabulary = _vocabulary()
    places = frozenset(w for w in vocabulary if w[:1].isupper() and not w.isupper())
    listed_places = _entries("stednavne.txt")
    not_names = listed_places | _entries("ikke_navne.txt")
    # A name that is also a place or an organisation word ("Rønne", "Lund") is
    # ambiguous: it counts only next to another name or after a title.
    first_words = _entries("fornavne_der_ogsaa_er_ord.txt") | (first & not_names)
    surname_words = _entries("efternavne_der_ogsaa_er_ord.txt") | (surnames & not_names)
    everything = first | surnames | first_words | surname_words
    return Lexicon(
        first_names=frozenset(first - first_words - surname_words),
        surnames=frozenset(surnames - first_words - surname_words),
        first_name_words=first_words,
        surname_words=surname_words,
        # The vocabulary's places ("Nils" slipped in) never make a listed name ambiguous.
        not_names=frozenset((not_names | places) - everything),
        places=frozenset(listed_places | places),
        lower_names=frozenset(name.lower() for name in everything),
        common_words=frozenset(w for w in vocabulary if w.islower()),
    )


def fingerprint() -> dict[str, str]:
    """sha256 of every data file, so the guard's configuration hash changes when a list does."""
    files = {name: hashlib.sha256(_read(name).encode("utf-8")).hexdigest() for name in DATA_FILES}
    return {**files, VOCABULARY_PACKAGE: metadata.version(VOCABULARY_PACKAGE.replace("_", "-"))}
