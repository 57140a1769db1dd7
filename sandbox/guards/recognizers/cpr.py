"""CPR-nummer (Danish personal identity number): DDMMYY-SSSS, DDMMYYSSSS or DDMMYY SSSS.

The first six digits are the birth date; the 7th digit with the year gives
the century (CPR-kontoret's rule). Replacement numbers ("erstatningsnumre")
add 60 to the day. Numbers issued since 2007 need not satisfy modulus 11, so
modulus 11 is evidence, not a requirement. Without a CPR label an invalid
date rules a number out; after "CPR-nr." the number is masked whatever its
date, because a mistyped CPR number is still somebody's.
"""

from __future__ import annotations

from datetime import date

from presidio_analyzer import RecognizerResult

from sandbox.guards.recognizers.base import NUMBER_END, NUMBER_START, DanishPatternRecognizer, digits
from sandbox.guards.recognizers.labels import label_before

MOD11_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
MOD11_BONUS = 0.1


def birth_year(yy: int, seventh: int) -> int:
    """Full birth year from the two-digit year and the 7th digit."""
    if seventh <= 3:
        return 1900 + yy
    if seventh in (4, 9):
        return (2000 if yy <= 36 else 1900) + yy
    return (2000 if yy <= 57 else 1800) + yy  # 5-8


REPLACEMENT_DAY_OFFSET = 60


def birth_date(number: str) -> date | None:
    """The birth date a CPR number (or a replacement number, day + 60) encodes, or None if it is no valid date."""
    d = digits(number)
    if len(d) != 10:
        return None
    day = int(d[0:2])
    if day > REPLACEMENT_DAY_OFFSET:
        day -= REPLACEMENT_DAY_OFFSET
    try:
        return date(birth_year(int(d[4:6]), int(d[6])), int(d[2:4]), day)
    except ValueError:
        return None


def satisfies_modulus_11(number: str) -> bool:
    d = digits(number)
    return len(d) == 10 and sum(int(x) * w for x, w in zip(d, MOD11_WEIGHTS, strict=True)) % 11 == 0


class DanishCprRecognizer(DanishPatternRecognizer):
    ENTITY = "CPR"
    PATTERNS = (
        ("cpr_bindestreg", NUMBER_START + r"\d{6}(?:[-–]| [-–] )\d{4}" + NUMBER_END, 0.6),
        ("cpr_mellemrum", NUMBER_START + r"\d{6} \d{4}" + NUMBER_END, 0.5),
        ("cpr_samlet", NUMBER_START + r"\d{10}" + NUMBER_END, 0.5),
    )
    CONTEXT = ("cpr", "personnummer", "personnr", "født", "fødsel", "løbenr")
    EXPLANATIONS = {
        "cpr_bindestreg": "gyldig fødselsdato i CPR-form DDMMÅÅ-SSSS",
        "cpr_mellemrum": "gyldig fødselsdato i CPR-form DDMMÅÅ SSSS",
        "cpr_samlet": "gyldig fødselsdato i CPR-form DDMMÅÅSSSS",
    }
    OWN_LABELS = frozenset({"CPR"})
    FOREIGN_LABELS = frozenset({"BANKKONTO", "REGNR", "CVR"})
    # A CPR number used as a case number is still a CPR number: only lower the score.
    DROP_AFTER_REFERENCE = False


    def refine(self, text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
        kept = []
        for result in results:
            if birth_date(text[result.start : result.end]) is None:
                label = label_before(text, result.start)
                if label is None or label[0] != "CPR":
                    continue  # ten digits that are no date and have no CPR label: some other number
                result.analysis_explanation.append_textual_explanation_line("ugyldig dato, men efter en CPR-etiket")
            kept.append(result)
        for result in kept:
            if satisfies_modulus_11(text[result.start : result.end]):
                result.score = min(1.0, result.score + MOD11_BONUS)
                result.analysis_explanation.append_textual_explanation_line("opfylder modulus 11")
                result.analysis_explanation.set_improved_score(result.score)
        return kept
