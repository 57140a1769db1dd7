"""Danish addresses: street + house number (+ letter) + floor/door + postcode + town, or street + number.

A Danish street name is recognisable by its ending (-vej, -gade, -allé,
-vænget, -parken, ...) or by a separate generic word ("Peter Bangs Vej",
"H.C. Andersens Boulevard"). A street without such an ending ("Strøget",
"Houmeden") is still found when a postcode and town follow. Floors and doors
come in many spellings: "st.", "st. tv.", "2. th", "3. mf.", "kl.", "1.tv",
"4. sal". Lower-case addresses (chat) are found too, at a lower score that a
word like "bor" or "adresse" nearby raises.
"""

from __future__ import annotations

import re

from presidio_analyzer import RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from sandbox.guards.recognizers.base import DanishPatternRecognizer

_UP = "A-ZÆØÅÄÖÜÉ"
_LO = "a-zæøåäöüéèáíóúýëß"
_SUFFIX = (
    "vej|vejen|gade|gaden|allé|alle|alléen|allee|plads|pladsen|torv|torvet|stræde|strædet|vænge|vænget"
    "|park|parken|have|haven|bakke|bakken|bakker|høj|højen|toft|toften|tofte|eng|engen|enge|mark|marken"
    "|sti|stien|vang|vangen|kær|kæret|dal|dalen|lund|lunden|skov|skoven|bro|broen|boulevard|boulevarden"
    "|avenue|kvarter|kvarteret|gård|gården|gaard|gaarden|løkke|løkken|holm|holmen|hegn|hegnet|ager|agre"
    "|banke|bjerg|bjerget|brink|brinken|brygge|bryggen|bryn|brynet|dige|diget|gyde|gyden|kilde|kilden"
    "|krog|krogen|mose|mosen|næs|næsset|odde|ring|ringen|slette|sletten|strand|stranden|vold|volden"
    "|vig|vigen|kaj|kajen|havn|havnen|bane|banen|port|porten|passage|promenade|række|rækken|linie|linien"
    "|drag|draget|skrænt|skrænten|stykke|stykket|sving|svinget|spor|sporet|minde|mindet|høje|tved|lyst|led"
)
_GENERIC = (
    "Vej|Gade|Allé|Alle|Plads|Torv|Stræde|Boulevard|Avenue|Vænge|Vænget|Park|Parken|Have|Haven|Bro"
    "|Brygge|Kvarter|Passage|Promenade|Vang|Sti|Bakke|Bakken"
)
_PREFIX = (
    r"Gammel|Gl\.|Ny|Nye|Store|St\.|Lille|Ll\.|Nørre|Nr\.|Søndre|Sdr\.|Vester|Øster|Nordre|Sankt|Skt\.|Sct\."
    r"|Kongens|Dronningens|Prinsens|Indre|Ydre|Øvre|Nedre"
)
# Possessive quantifiers and a look-behind for the ending: each word is read
# once, instead of being retried against every ending at every position.
_WORD = rf"[{_UP}](?:[{_LO}]++|\.(?:[{_UP}]\.)*+)(?:[-'’][{_UP}{_LO}]++)*+"  # "Andersens", "H.C."
_STREET = (
    rf"(?:(?:{_PREFIX}) |[{_UP}][{_LO}]++ ){{0,2}}[{_UP}][{_LO}]++(?<=\w{{2}}(?:{_SUFFIX}))"  # "Tilst Vestervej"
    rf"|(?:{_WORD} ){{1,3}}(?:{_GENERIC})"
)
_NUMBER = r"[1-9]\d{0,3}(?:[A-Za-z]|\s[A-Z])?(?:[-–]\d{1,4}[A-Za-z]?)?(?![\w]|,\d)"
_FLOOR_DOOR = (
    r"(?i:,?\s?(?:st|stuen|kl|kld|kælder|\d{1,2}(?=\.|\s?(?:sal|tv|th|mf)\b))\.?(?:\s?sal)?"
    r"(?:,?\s?(?:tv|th|mf|t\.\s?v|t\.\s?h|\d{1,3})\.?)?(?![\w]))"
)
# An apartment number after the house number or floor: "14B, 312", "4. sal, lejl. 17".
_APARTMENT = r"(?:,\s?(?:lejl\.?\s?|lejlighed\s|værelse\s|vær\.\s?)?\d{1,4}(?![\w.]))"
_TOWN_PREFIX = r"Kongens|Store|Lille|Nørre|Søndre|Vester|Øster|Ny|Gl\.|Gammel|Hvide|Sankt|Skt\."
# Postal districts: "Aarhus C", "Viby J", "Odense SØ", "Aalborg Øst".
_DISTRICT = r"C|K|V|N|S|Ø|J|M|NV|NØ|SV|SØ|Øst|Vest|Nord|Syd"
_POSTCODE_TOWN = (
    rf"(?:,\s*|\s*\n\s*|\s)(?:DK-?)?\d{{4}}\s"
    rf"(?:(?:(?:{_TOWN_PREFIX})\s|Kgs\.\s?)?[{_UP}][{_LO}]+(?:-[{_UP}][{_LO}]+)?|[Kk]bh\.?|KBH)"
    rf"(?:\s(?:{_DISTRICT})(?![\w]))?"
)
_START = r"(?<![\w.])"
# A village before the post town: "Klitvej 8, Tversted, 9881 Bindslev".
_VILLAGE = rf"(?:,\s?[{_UP}][{_LO}]+)"

# Every address has a house number right after a word. The patterns are only
# run on the text around such numbers, which keeps them fast on long text.
_HOUSE_NUMBER = re.compile(r"[^\W\d_]\.?\s+\d{1,4}(?!\d)")
# Words of three or more capitals; title-casing keeps their length, so offsets hold.
_CAPITALS = re.compile(r"\b[A-ZÆØÅÄÖÜÉ]{3,}\b")
_BEFORE = 80  # characters: "H.C. Andersens Boulevard " fits easily
_AFTER = 60  # ", 2. th., 8000 Aarhus C"

# Lower case, as typed in a chat: compound street names only, never a bare generic word.
_LOWER_STREET = rf"[{_LO}]++(?<=[{_LO}]{{2}}(?:{_SUFFIX}))|[{_LO}]++(?<=s) (?:{_GENERIC.lower()})"
_LOWER_POSTCODE_TOWN = rf"(?:,\s*|\s)\d{{4}}\s[{_UP}{_LO}][{_LO}]+(?:\s(?:c|k|v|n|s|ø|nv|nø|sv|sø)(?![\w]))?"


class DanishAddressRecognizer(DanishPatternRecognizer):
    ENTITY = "ADRESSE"
    PATTERNS = (
        (
            "adresse_fuld",
            _START + rf"(?:{_STREET}) {_NUMBER}{_FLOOR_DOOR}?{_APARTMENT}?{_VILLAGE}?{_POSTCODE_TOWN}",
            0.9,
        ),
        (
            "adresse_postnummer",
            _START + rf"(?:{_WORD} ){{0,2}}{_WORD} {_NUMBER}{_FLOOR_DOOR}?{_APARTMENT}?{_POSTCODE_TOWN}",
            0.8,
        ),
        (
            # A table copied from a PDF: "Bjergbygade⏎        22, 4200 Slagelse".
            "adresse_linjeskift",
            _START + rf"(?:{_STREET})[ \t]*\n[ \t]*{_NUMBER}{_FLOOR_DOOR}?{_APARTMENT}?{_POSTCODE_TOWN}",
            0.85,
        ),
        ("adresse_etage", _START + rf"(?:{_STREET}) {_NUMBER}{_FLOOR_DOOR}{_APARTMENT}?", 0.8),
        ("adresse_gade", _START + rf"(?:{_STREET}) {_NUMBER}{_APARTMENT}?", 0.7),
        ("adresse_småt", _START + rf"(?:{_LOWER_STREET}) {_NUMBER}{_FLOOR_DOOR}?(?:{_LOWER_POSTCODE_TOWN})?", 0.45),
    )
    CONTEXT = ("bor", "adresse", "bopæl", "flyt", "lejlighed", "opgang", "address", "live")
    EXPLANATIONS = {
        "adresse_fuld": "vejnavn + husnummer + postnummer og by",
        "adresse_postnummer": "navn + husnummer + postnummer og by",
        "adresse_etage": "vejnavn + husnummer + etage/dør",
        "adresse_gade": "vejnavn + husnummer",
        "adresse_linjeskift": "vejnavn, linjeskift, husnummer + postnummer og by",
        "adresse_småt": "vejnavn med småt + husnummer",
    }

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        results: list[RecognizerResult] = []
        seen: set[tuple[int, int]] = set()
        # A form in capitals ("STENGÅRDSVEJ 61, 1. MF., 6705 ESBJERG Ø") is read title-cased too.
        titled = _CAPITALS.sub(lambda m: m.group(0).title(), text)
        for version in (text, titled) if titled != text else (text,):
            for start, end in _windows(version):
                for result in super().analyze(version[start:end], entities, nlp_artifacts, regex_flags):
                    result.start += start
                    result.end += start
                    if (result.start, result.end) not in seen:
                        seen.add((result.start, result.end))
                        results.append(result)
        return results


def _windows(text: str) -> list[tuple[int, int]]:
    """Merged spans of text around house numbers, widened to whole words."""
    windows: list[tuple[int, int]] = []
    for match in _HOUSE_NUMBER.finditer(text):
        start = max(0, match.start() - _BEFORE)
        end = min(len(text), match.end() + _AFTER)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        while end < len(text) and not text[end].isspace():
            end += 1
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows
