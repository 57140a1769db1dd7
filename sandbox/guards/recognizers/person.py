"""Person names in Danish text, without a statistical model.

Signals, strongest first:

* a cue right before the name: a title ("Hr.", "fru"), a greeting ("Kære"),
  a sign-off ("Med venlig hilsen"), a form label ("Navn:", "Tolk:"), a role
  noun ("borgeren", "sagsbehandler", "min kollega"), or "jeg hedder" /
  "mit navn er", after which names are often typed in lower case;
* the name lists in ``sandbox/guards/data`` (first names, also of non-Danish
  origin, and surnames), looked up case-sensitively;
* capitalisation: Danish capitalises only proper nouns mid-sentence, so a
  capitalised run of words inside a sentence is a name, a place or an
  organisation; places and organisation words are listed, and organisation
  endings ("-styrelsen", "-skolen") are recognised;
* surname shapes (-sen, -ski, -ović, -enko, ...);
* with a Danish NER model installed, its LOC and ORG entities: a capitalised
  run the model calls a place or an organisation is not a person unless it
  has a known first name or a cue.

Names that are also words ("Hans", "Per", "Bo", "Lund") count only where the
capital letter carries information: mid-sentence, next to another name, or
at the start of a sentence when a finite verb follows ("Bo har ringet";
"Bo hjemme" is a verb). In lower case they are words.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

import regex
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.lang.da.stop_words import STOP_WORDS

from sandbox.guards.lexicon import Lexicon, lexicon
from sandbox.guards.recognizers.base import LANGUAGE
from sandbox.guards.recognizers.name_cues import (
    ABBREVIATIONS,
    COMMON_WORD_ENDINGS,
    COMPANY,
    FINITE_VERBS,
    GREETINGS,
    LABELS,
    LONG_COMPOUND,
    MAX_RUN,
    NAMING_PHRASES,
    NAMING_SUBJECTS,
    NAMING_VERBS,
    ORGANISATION_ENDINGS,
    PARTICLES,
    PLACE_ENDINGS,
    PREPOSITIONS,
    ROLES,
    SIGN_OFFS,
    STRONG_SURNAME_ENDINGS,
    TITLES,
    WEAK_SURNAME_ENDINGS,
)

# Words: letters with inner hyphens/apostrophes ("Al-Hassan", "O'Brien"), or initials ("H.C.", "M.").
_TOKEN = regex.compile(r"(?:\p{Lu}\.){1,3}(?!\p{L})|\p{L}+(?:['’\-]\p{L}+)*")
# An opening bracket is no sentence break: "Hibas mor (Ruqiya)" is mid-sentence.
_SENTENCE_BREAK = regex.compile(r"[.!?:;•*\"“”«»)\[\]\n]|(?:^|\s)[-–—](?:\s|$)")

class Kind(Enum):
    FIRST = "fornavn"
    SURNAME = "efternavn"
    FIRST_WORD = "fornavn, der også er et ord"
    SURNAME_WORD = "efternavn, der også er et ord"
    SURNAME_SHAPE = "efternavnsform"
    SURNAME_SHAPE_WEAK = "mulig efternavnsform"
    INITIAL = "forbogstav"
    WORD = "almindeligt dansk ord"
    NOT_NAME = "ikke et navn"
    UNKNOWN = "ukendt ord"


NAME_KINDS = frozenset(
    {Kind.FIRST, Kind.SURNAME, Kind.FIRST_WORD, Kind.SURNAME_WORD, Kind.SURNAME_SHAPE, Kind.SURNAME_SHAPE_WEAK}
)
STRONG_KINDS = frozenset({Kind.FIRST, Kind.SURNAME, Kind.SURNAME_SHAPE})
# A surname can follow these in a name ("Jonas Ravn", "Lise K. Holm", "Rikke\nThygesen").
BEFORE_SURNAME = frozenset({Kind.FIRST, Kind.FIRST_WORD, Kind.INITIAL, Kind.SURNAME, Kind.SURNAME_SHAPE})
FIRST_KINDS = frozenset({Kind.FIRST, Kind.FIRST_WORD, Kind.INITIAL})
SURNAME_LIKE = frozenset({Kind.SURNAME, Kind.SURNAME_WORD, Kind.SURNAME_SHAPE, Kind.SURNAME_SHAPE_WEAK, Kind.UNKNOWN})
_INITIALS = regex.compile(r"(?:\p{Lu}\.){1,3}")
_LATIN = regex.compile(r"\p{Latin}+$")
# "lene p: ..." or "bo k.: ..." at the start of a chat line (checked against the first-name lists).
_SPEAKER = regex.compile(
    r"(?m)^[ \t]*(?:\[[^\]\n]{1,30}\][ \t]*)?"  # a WhatsApp time stamp "[14.03.25, 18:12]"
    r"(\p{L}+(?:[ \t]\p{L}{1,12}\.?){0,2})"  # "lene p", "bo k."
    r"(?=[ \t]?(?:[^\w\s:]{1,3}[ \t]?)?:[ \t])"  # an emoji, then the colon
)
# Initials signing a note: alone on a line ("MKJ", "/PSJ"), after a slash ("... indbakke. /CHA"),
# or after "Referent:" and the like.
_SIGNATURE = regex.compile(
    r"(?m)(?:^[ \t]*/?|(?<=\s)/|(?i:referent|sekretær|initialer|init\.|ansvarlig|udført af|godkendt af)"
    r"[ \t]*:?[ \t]*)(?P<initials>[A-ZÆØÅ]{2,4})[ \t]*(?=$|[,;.)]\s*$)"
)
NOT_INITIALS = frozenset(
    {"OK", "PS", "NB", "EU", "FN", "DK", "TV", "DR", "CV", "ID", "IT", "PDF", "SMS", "USA", "UK", "NATO", "FAQ", "MVH"}
)
MAX_PARTICLES = 3
VERB_ENDINGS = ("er", "ede", "te")  # present and past tense: "understreger", "ringede", "sagde" is listed
MAX_WORD_NAME = 7  # "Vilde", "Storm", "Lærke": ordinary words that are first names are short
DEFINITE_ENDINGS = ("en", "et", "ne", "er")  # "Borgeren", "Huset", "Børnene": nouns, not first names


class NameMatch(NamedTuple):
    last: int  # index of the name's last word
    score: float
    why: str  # Danish, shown in the preview
    certain: bool  # a cue or a known first name: no NER entity overrides it


class Word(NamedTuple):
    text: str
    start: int
    end: int
    gap_before: str  # the text between the previous word and this one
    lower: str
    capitalised: bool


def is_definite_compound(lower: str, words: Lexicon) -> bool:
    """Whether ``lower`` ends in an ordinary Danish noun in the definite form ("-hallen", "-byen", "-formanden").

    Danish writes compounds as one word, so an unknown capitalised word that
    ends in "hallen" is a hall and one ending in "formanden" a chair, while
    names rarely end in a definite noun. The first part must be three letters
    or more ("Haugen" is no "Ha" + "ugen"), and a four-letter ending counts
    only after a known word or place ("Syd" + "byen").
    """
    for split in range(3, len(lower) - 3):
        head, tail = lower[:split], lower[split:]
        if tail.endswith(("en", "et", "ene", "erne")) and tail in words.common_words:
            if len(tail) >= 5 or head in words.common_words or head.title() in words.places:
                return True
    return False


def text_after(tokens: list[Word], last: int) -> str:
    """The gaps and words after word ``last``, three of them: enough to see "& Søn" or "Byg ApS"."""
    return "".join(t.gap_before + t.text for t in tokens[last + 1 : last + 4])


def classify(word: str, words: Lexicon) -> Kind:
    """What a single capitalised word is, as far as the lists, the vocabulary and its shape tell."""
    if _INITIALS.fullmatch(word):
        return Kind.INITIAL  # "K." in "Lise K. Holm", "I.S." in "I.S. Madsen"
    if word in words.not_names or len(word) < 2:
        return Kind.NOT_NAME
    if word.isupper():
        if not words.is_name_like(word.title()):
            return Kind.NOT_NAME  # an acronym: "SWIFT", "PPR", "ADHD"
        word = word.title()  # "METTE HANSEN" in a form
    if word.endswith(("'s", "’s")):
        word = word[:-2]  # "Anne's" as English writes it
    possessive = word[:-1] if word.endswith("s") and len(word) > 3 else None  # "Annes", "Jensens"
    for candidate in (word, possessive):
        if candidate is None:
            continue
        if candidate in words.first_name_words:
            return Kind.FIRST_WORD
        if candidate in words.surname_words:
            return Kind.SURNAME_WORD
        if candidate in words.first_names:
            return Kind.FIRST
        if candidate in words.surnames:
            return Kind.SURNAME
    lower = word.lower()
    if word in words.not_names or lower in STOP_WORDS or lower in LABELS or lower in TITLES:
        return Kind.NOT_NAME
    if lower in GREETINGS or lower in SIGN_OFFS:
        return Kind.NOT_NAME
    if "-" in word:
        parts = [part for part in word.split("-") if part]
        if not all(part[0].isupper() for part in parts):
            return Kind.NOT_NAME  # "Bo-tilbuddet", "Lucia-optoget": a compound noun
        kinds = [classify(part, words) for part in parts]
        if Kind.NOT_NAME not in kinds and (
            any(k in NAME_KINDS for k in kinds) or (Kind.UNKNOWN in kinds and lower not in words.common_words)
        ):
            return Kind.SURNAME  # "Al-Hassan", "Holm-Nielsen", "Pemberton-Hale"
    if lower.endswith(ORGANISATION_ENDINGS) or lower.endswith(COMMON_WORD_ENDINGS):
        return Kind.NOT_NAME
    if len(word) > 4 and lower.endswith(STRONG_SURNAME_ENDINGS):
        return Kind.SURNAME_SHAPE
    if lower in words.common_words or (possessive and possessive.lower() in words.common_words):
        return Kind.WORD  # "Borgeren", "Kasserer", "Danske": capitalised at a sentence start or in a name
    if is_definite_compound(lower, words):
        return Kind.WORD  # "Tilsthallen", "Sydbyen", "Regionsrådsformanden": a place or a role, not a name
    if len(word) >= LONG_COMPOUND:
        return Kind.NOT_NAME  # "Distriktspsykiatrien": Danish compounds are long, names rarely
    if len(word) > 4 and lower.endswith(WEAK_SURNAME_ENDINGS):
        return Kind.SURNAME_SHAPE_WEAK
    return Kind.UNKNOWN


class DanishNameRecognizer(EntityRecognizer):
    """Person names from name lists, capitalisation and cues; see the module docstring."""

    VERSION = "1.0.0"

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], supported_language=LANGUAGE, version=self.VERSION)

    def load(self) -> None:
        self.words = lexicon()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        tokens = self._tokens(text)
        # With a Danish NER model installed, its places and organisations are not persons.
        elsewhere = [
            (e.start_char, e.end_char)
            for e in (nlp_artifacts.entities if nlp_artifacts else [])
            if e.label_ in ("LOCATION", "ORGANIZATION")
        ]
        results: list[RecognizerResult] = []
        taken_until = -1
        for i in range(len(tokens)):
            if i <= taken_until:
                continue
            found = self._name_at(tokens, i)
            if found is None:
                continue
            found = self._with_lower_case_surname(tokens, found)
            start, end = tokens[i].start, tokens[found.last].end
            if not found.certain and any(s < end and start < e for s, e in elsewhere):
                continue
            taken_until = found.last
            # A run is read at most MAX_RUN words at a time; a list of names without commas
            # ("Jens Hansen Mette Olsen Ole Berg") goes on after the cut, so the words that
            # follow at once belong to it too, unless they are ordinary words.
            while found.last - i + 1 >= MAX_RUN and self._run_goes_on(tokens, taken_until + 1):
                taken_until += 1
                end = tokens[taken_until].end
            results.append(self._result(start, end, found.score, found.why))
        # Where one overlaps a name found above ("lene" in "lene p:"), the guard joins the two.
        results += [self._result(start, end, 0.6, why) for start, end, why in self._speakers_and_signatures(text)]
        return results

    def _speakers_and_signatures(self, text: str) -> list[tuple[int, int, str]]:
        """Names the line layout gives away: "lene p: ..." in a chat, "/MKJ" or "Referent: VL" under a note.

        A chat speaker is a label at the start of a line before a colon whose
        first word is a known first name, or which starts two or more lines
        ("linh 🌸: ...", "[14.03.25, 18:12] Mustafe: ..."), and is no form
        label ("Til:", "Adresse:") or ordinary word ("Mig:", "Svar:").
        """
        found = []
        speakers = list(_SPEAKER.finditer(text))
        counts: dict[str, int] = {}
        for match in speakers:
            counts[match.group(1).lower()] = counts.get(match.group(1).lower(), 0) + 1
        for match in speakers:
            label = match.group(1)
            first = label.split()[0]
            if first.lower() in LABELS or first.lower() in STOP_WORDS or first.lower() in TITLES:
                continue
            known = first.title() in self.words.first_names or first.title() in self.words.first_name_words
            repeated = counts[label.lower()] >= 2 and not self._ordinary(first)
            if known or repeated:
                found.append((match.start(1), match.end(1), "navn som afsender i en chat"))
        for match in _SIGNATURE.finditer(text):
            letters = match.group("initials")
            if letters not in NOT_INITIALS:
                found.append((match.start("initials"), match.end("initials"), "forbogstaver som underskrift"))
        return found

    @staticmethod
    def _tokens(text: str) -> list[Word]:
        tokens: list[Word] = []
        previous_end = 0
        for match in _TOKEN.finditer(text):
            word = match.group(0)
            start, end = match.span()
            tokens.append(Word(word, start, end, text[previous_end:start], word.lower(), word[0].isupper()))
            previous_end = end
        return tokens

    def _name_at(self, tokens: list[Word], i: int) -> NameMatch | None:
        """The name that starts at word ``i``, if any."""
        cue = self._cue_before(tokens, i)
        word = tokens[i]
        if not word.capitalised:
            if cue == "hedder":
                return self._lower_case_name(tokens, i)
            # "min datter liva", "min far bent er ..."; not "Hello, my".
            known = self._unambiguous_name(word.text.title()) or (
                word.lower in self.words.lower_names and self._finite_verb_after(tokens, i)
            )
            if cue and known and word.lower not in STOP_WORDS:
                return NameMatch(i, 0.7, f"kendt navn med småt efter '{cue}'", True)
            return self._lower_case_pair(tokens, i) or self._lower_case_after_preposition(tokens, i)
        if self._abbreviation_or_compound_part(tokens, i):
            return None  # "Sagsnr.:", "Børne- og Ungeudvalget"
        run = self._capitalised_run(tokens, i)
        kinds = [classify(tokens[j].text, self.words) if tokens[j].capitalised else Kind.UNKNOWN for j in run]
        # "Aarhus Kommune", "Jobcenter Aalborg", "Danske Bank": an organisation or place.
        # A name right before such a word names the organisation too ("Henning Larsen
        # Architects", "Søren Frichs Vej", "Hoa's Køkken"); only after a title or cue
        # does a known first name before it stay a person.
        cut = next((n for n in range(len(run)) if self._ends_name(tokens, run, kinds, n)), None)
        if cut is not None:
            if not cue or Kind.FIRST not in kinds[:cut]:
                return None
            run, kinds = run[:cut], kinds[:cut]
        if COMPANY.match(text_after(tokens, run[-1])):
            return None  # "Bach & Søn Byg ApS", "Rydahl & Partnere", "Mette Hansen ApS"
        while len(run) > 1 and tokens[run[-1]].lower in PARTICLES:
            run, kinds = run[:-1], kinds[:-1]
        last = run[-1]
        if last + 1 < len(tokens) and tokens[last + 1].lower == "v" and tokens[last + 1].gap_before.strip() == "":
            return None  # "Frisør Klip v/Hatice Kaya": a business run by the person after "v/"
        at_start = self._sentence_start(tokens, i)
        strong = [k for k in kinds if k in STRONG_KINDS]
        named = [k for k in kinds if k in NAME_KINDS]
        if cue:
            return NameMatch(last, 0.85, f"navn efter '{cue}'", True)
        if Kind.FIRST in kinds:
            return NameMatch(last, 0.85, "kendt fornavn" + (" + efternavn" if len(named) > 1 else ""), True)
        if len(run) >= 2 and strong:
            return NameMatch(last, 0.8, "kendt efternavn i navnefølge", False)
        if len(run) >= 2 and len(named) == len(run):
            return NameMatch(last, 0.75, "flere navne i træk", False)
        if len(run) >= 2 and (not at_start or tokens[i].gap_before.strip().endswith(":")):
            # Mid-sentence, or a form value after a colon ("Kontakt: Wenche Aasbø").
            return NameMatch(last, 0.6, "ord med stort begyndelsesbogstav i træk midt i sætningen", False)
        subject = self._finite_verb_after(tokens, last) or (last + 1 < len(tokens) and tokens[last + 1].lower == "og")
        if len(run) >= 2 and (
            kinds[-1] in (Kind.SURNAME_SHAPE, Kind.SURNAME_SHAPE_WEAK) or subject or Kind.WORD not in kinds
        ):
            # At the start of a sentence or a line: "Efua Asante har ...", "Efua Asante og
            # hendes børn ...", a signature "Efua Asante⏎Socialrådgiver". No Danish word in it.
            why = " med efternavnsform" if kinds[-1] is not Kind.UNKNOWN else " som grundled" if subject else ""
            return NameMatch(last, 0.55, "ord med stort begyndelsesbogstav i træk" + why, False)
        if len(run) == 1:
            kind = kinds[0]
            verb_follows = self._finite_verb_after(tokens, last)
            if kind is Kind.SURNAME or (kind is Kind.SURNAME_SHAPE and not at_start):
                return NameMatch(last, 0.7, f"{kind.value} med stort begyndelsesbogstav", False)
            if kind is Kind.FIRST_WORD and (not at_start or verb_follows):
                where = "før udsagnsord" if at_start else "midt i sætningen"
                return NameMatch(last, 0.6, f"fornavn med stort begyndelsesbogstav {where}", False)
            if kind is Kind.SURNAME_SHAPE and verb_follows:
                return NameMatch(last, 0.6, "efternavnsform før udsagnsord", False)
            # "Siva, hvis du ...": a Latin-script name addressed at the start of a sentence.
            addressed = (
                last + 1 < len(tokens) and tokens[last + 1].gap_before.startswith(",") and bool(_LATIN.match(word.text))
            )
            if kind is Kind.UNKNOWN and (not at_start or verb_follows or addressed) and self._may_be_lone_name(word):
                # Danish capitalises only proper nouns, and this one is neither a
                # Danish word nor a known place or organisation: "talte med Tesfay".
                where = "før udsagnsord" if at_start else "midt i sætningen"
                return NameMatch(last, 0.55, f"ukendt ord med stort begyndelsesbogstav {where}", False)
        return None

    def _ends_name(self, tokens: list[Word], run: list[int], kinds: list[Kind], n: int) -> bool:
        """Whether word ``n`` of a capitalised run is no part of a person's name.

        Ordinary words, places and organisation words end a name, except
        where a name puts them: an ordinary word after a first name is a
        surname ("Jonas Ravn"); a short one before a surname is a first name
        ("Vilde Haugen", "Storm Nielsen"); after a known first name or a
        particle, a place or a short listed word is a middle or last name
        ("Mikael Strand Jepsen", "Jesper Kiel", "Marivic dela Paz"), an
        organisation word never is ("Aarhus Kommune").
        """
        kind = kinds[n]
        if kind is Kind.WORD:
            if n > 0 and kinds[n - 1] in BEFORE_SURNAME and any(k in FIRST_KINDS for k in kinds[:n]):
                return False  # "Jonas Ravn", "Anne Bach Ravn"; not "Bach Glas"
            following = kinds[n + 1] if n + 1 < len(kinds) else None
            word = tokens[run[n]].lower
            return not (
                following in (Kind.SURNAME, Kind.SURNAME_SHAPE)
                and len(word) <= MAX_WORD_NAME
                and not word.endswith(DEFINITE_ENDINGS)
            )
        if kind is Kind.NOT_NAME:
            word = tokens[run[n]]
            last = n == len(run) - 1
            # After a known first name, or a particle ("Marivic dela Paz"), a place can be a surname.
            known_first = any(k in (Kind.FIRST, Kind.FIRST_WORD) for k in kinds[:n])
            after_particle = tokens[run[n] - 1].lower in PARTICLES
            if not (known_first or after_particle) or word.lower in STOP_WORDS:
                return True
            if word.lower.endswith(ORGANISATION_ENDINGS):
                return True
            if not last:  # a middle name: "Mikael Strand Jepsen", "Karen Rørbæk Kjær"
                return kinds[n + 1] not in SURNAME_LIKE
            # The last name: "Jesper Kiel", "Susanne Maj"; not "Aarhus Kommune".
            return not (word.text in self.words.places or len(word.text) <= MAX_WORD_NAME)
        return False

    @staticmethod
    def _abbreviation_or_compound_part(tokens: list[Word], i: int) -> bool:
        """A label ending in ".:" ("Sagsnr.:", "Ledelsesrep.:") or the first part of "Børne- og Ungeudvalget"."""
        if i + 1 >= len(tokens):
            return False
        gap = tokens[i + 1].gap_before
        return gap.startswith((".:", "-")) or (gap.startswith("- ") and tokens[i + 1].lower in ("og", "eller"))

    def _ordinary(self, word: str) -> bool:
        """An ordinary Danish word, a form label or a known place or organisation, not a name."""
        lower = word.lower()
        return (
            lower in self.words.common_words
            or word in self.words.not_names
            or word.isupper()
            or is_definite_compound(lower, self.words)
        )

    @staticmethod
    def _may_be_lone_name(word: Word) -> bool:
        """Whether an unknown capitalised word can be a name on its own (not an acronym or a town)."""
        return len(word.text) >= 3 and not word.text.isupper() and not word.lower.endswith(PLACE_ENDINGS)

    def _capitalised_run(self, tokens: list[Word], i: int) -> list[int]:
        """Indices of the capitalised words from ``i`` on that belong together."""
        run = [i]
        j = i + 1
        while j < len(tokens) and len(run) < MAX_RUN and (
            self._joined(tokens[j]) or self._name_across_line(tokens, run, j)
        ):
            if tokens[j].capitalised:
                run.append(j)
                j += 1
                continue
            # "van der Berg", "de la Cruz", "í Gerði", "af Rosenholm": particles before a capitalised word.
            k = j
            while k - j < MAX_PARTICLES and k < len(tokens) and self._particle(tokens[k]):
                k += 1
            if k == j or k >= len(tokens) or not tokens[k].capitalised or not self._joined(tokens[k]):
                break
            run.extend(range(j, k))
            j = k
        return run

    def _run_goes_on(self, tokens: list[Word], j: int) -> bool:
        """Whether word ``j`` continues a run of capitalised words cut at MAX_RUN.

        A name that is also a word ("Lund") goes on the list; an ordinary word ("Kommune") ends it.
        """
        return (
            j < len(tokens)
            and tokens[j].capitalised
            and self._joined(tokens[j])
            and (classify(tokens[j].text, self.words) in NAME_KINDS or not self._ordinary(tokens[j].text))
        )

    @staticmethod
    def _joined(word: Word) -> bool:
        return word.gap_before == " "

    def _particle(self, word: Word) -> bool:
        return word.lower in PARTICLES and self._joined(word)

    def _name_across_line(self, tokens: list[Word], run: list[int], j: int) -> bool:
        """"Rikke\nThygesen": a first name at a line end and a surname on the next line (text from a PDF)."""
        if len(run) != 1 or tokens[j].gap_before.strip(" \t\r") != "\n" or not tokens[j].capitalised:
            return False
        return (
            classify(tokens[run[0]].text, self.words) in (Kind.FIRST, Kind.FIRST_WORD)
            and classify(tokens[j].text, self.words) in SURNAME_LIKE
        )

    @staticmethod
    def _sentence_start(tokens: list[Word], i: int) -> bool:
        if i == 0:
            return True
        gap = tokens[i].gap_before
        if gap.startswith(".") and tokens[i - 1].lower in ABBREVIATIONS:
            gap = gap[1:]
        return bool(_SENTENCE_BREAK.search(gap))

    @staticmethod
    def _person_is_named(tokens: list[Word], i: int) -> bool:
        """Whether the naming verb before word ``i`` has a person as subject."""
        before = [t.lower for t in tokens[max(0, i - 4) : i - 1]]
        if before[-1:] and before[-1] in NAMING_SUBJECTS:
            return True  # "jeg hedder", "mit navn er" (the last word before "er" is "navn")
        return len(before) >= 2 and before[-1] in ("der", "som") and before[-2] in ROLES

    def _finite_verb_after(self, tokens: list[Word], i: int) -> bool:
        """Whether a finite verb follows word ``i``: "Frederiksen understreger", "Efua ringede".

        The listed verbs, or an ordinary lower-case Danish word with a present
        or past tense ending ("-er", "-ede", "-te").
        """
        if i + 1 >= len(tokens) or tokens[i + 1].gap_before.strip() != "" or tokens[i + 1].capitalised:
            return False
        following = tokens[i + 1].lower
        return following in FINITE_VERBS or (
            len(following) >= 4 and following.endswith(VERB_ENDINGS) and following in self.words.common_words
        )

    @staticmethod
    def _cue_before(tokens: list[Word], i: int) -> str | None:
        """The cue word before word ``i`` that announces a name, if any."""
        if i == 0:
            return None
        previous = tokens[i - 1]
        gap = tokens[i].gap_before
        word = previous.lower
        if previous.capitalised and word not in TITLES | GREETINGS | LABELS | SIGN_OFFS:
            return None  # "Mette Hansen" is a run, not a cue + name
        if word in TITLES and gap.strip() in ("", "."):
            return previous.text
        if word in GREETINGS and gap.strip() in ("", ",") and "\n" not in gap:
            return previous.text  # "Hej Mette", not "Hello,⏎We have"
        if word in SIGN_OFFS and gap.strip() in ("", ",", "."):
            return previous.text
        if word in NAMING_VERBS and gap.strip() in ("", ":"):
            return "hedder"
        if i >= 2 and (tokens[i - 2].lower, word) in NAMING_PHRASES and gap.strip() in ("", ":"):
            return "hedder"
        if word in ROLES and gap.strip() in ("", ":", "/", ",") and "\n" not in gap:
            return previous.text
        if word in LABELS and gap.strip().rstrip(")").strip() in (":", ".:", "):"):
            return previous.text
        return None

    def _lower_case_name(self, tokens: list[Word], i: int) -> NameMatch | None:
        """"jeg hedder mette hansen": the words after the cue, as long as they can be names.

        An unknown word counts only when a person is the subject ("jeg/han/hun
        hedder", "en borger der hedder"); "skemaet hedder blanket A" is no name.
        """
        first = tokens[i].lower
        following = tokens[i + 1].lower if i + 1 < len(tokens) and self._joined(tokens[i + 1]) else ""
        known = first in self.words.lower_names or following in self.words.lower_names
        if first in STOP_WORDS and first not in self.words.lower_names:
            return None  # "det hedder ikke ..."
        if not known and not self._person_is_named(tokens, i):
            return None
        last = i
        j = i + 1
        while j < len(tokens) and j - i < 4 and self._joined(tokens[j]):
            lower = tokens[j].lower
            if lower in self.words.lower_names or (
                tokens[j].capitalised and classify(tokens[j].text, self.words) is not Kind.NOT_NAME
            ):
                last = j
                j += 1
            else:
                break
        return NameMatch(last, 0.85, "navn efter 'hedder'", True)

    def _lower_case_pair(self, tokens: list[Word], i: int) -> NameMatch | None:
        """"ring til mette hansen", "karen marie sørensen": known first names, then a known surname, in lower case."""
        if tokens[i].lower in STOP_WORDS or tokens[i].text.title() not in self.words.first_names:
            return None
        last = None
        j = i + 1
        while j < len(tokens) and j - i < MAX_RUN and self._joined(tokens[j]) and not tokens[j].capitalised:
            word = tokens[j]
            if word.lower in STOP_WORDS:
                break
            if word.text.title() in self.words.surnames:
                last = j  # and go on: "anne sofie hansen holm"
            elif word.text.title() not in self.words.first_names:
                break
            j += 1
        return NameMatch(last, 0.6, "kendte navne med småt", True) if last is not None else None

    def _lower_case_after_preposition(self, tokens: list[Word], i: int) -> NameMatch | None:
        """"skriv til mette", "spurgte mette om det": a known first name in lower case that is no Danish word."""
        word = tokens[i]
        if word.lower in STOP_WORDS or word.text.title() not in self.words.first_names:
            return None
        if i > 0 and tokens[i - 1].lower in PREPOSITIONS and self._joined(word):
            return NameMatch(i, 0.6, f"kendt fornavn med småt efter '{tokens[i - 1].text}'", True)
        if word.lower not in self.words.common_words and len(word.text) >= 3:
            return NameMatch(i, 0.55, "kendt fornavn med småt", False)
        return None

    def _with_lower_case_surname(self, tokens: list[Word], found: NameMatch) -> NameMatch:
        """"Ole hansen", "min nabo ole hansen": a known surname typed in lower case right after a name is part of it.

        Without this the first name was masked and the surname went to the
        model ("[PERSON_1] hansen"). Surnames that are also ordinary words
        ("skov", "smed") are left alone.
        """
        last = found.last
        while last + 1 < len(tokens) and self._joined(tokens[last + 1]):
            following = tokens[last + 1]
            # words.surnames holds no surname that is also a word; those are in surname_words.
            known_surname = following.text.title() in self.words.surnames
            if following.capitalised or following.lower in STOP_WORDS or not known_surname:
                break
            last += 1
        return found if last == found.last else found._replace(last=last)

    def _unambiguous_name(self, word: str) -> bool:
        return word in self.words.first_names or word in self.words.surnames

    def _result(self, start: int, end: int, score: float, why: str) -> RecognizerResult:
        explanation = AnalysisExplanation(recognizer=self.name, original_score=score, textual_explanation=why)
        return RecognizerResult(
            entity_type="PERSON",
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )
