"""Danish phone numbers in every usual grouping, with or without +45/0045, and foreign numbers with +.

Danish subscriber numbers are eight digits and never start with 0 or 1 (those
are service numbers such as 112 and 1813), so without a label only 2-9 count;
after +45 any eight digits do. Eight bare digits that read as a date
(DDMMYYYY or YYYYMMDD) score low unless a phone label is in front.
"""

from __future__ import annotations

import re
from datetime import date

from presidio_analyzer import RecognizerResult

from sandbox.guards.recognizers.base import NUMBER_END, NUMBER_START, DanishPatternRecognizer

_DK = r"\d{2}(?:[ .-]?\d{2}){3}|\d{4}[ .-]?\d{4}|\d{4} \d{2} \d{2}|\d{2} \d{2} \d{4}"
_PREFIX = r"(?:\(\s?(?:\+|00)\s?45\s?\)|(?:\+|00\s?)45)"
DATE_LIKE_SCORE = 0.3
# "2025-2028" is a period and "10.12.2024" a date, whatever stands in front.
_YEARS_OR_DATE = re.compile(r"(?:19|20)\d{2}-(?:19|20)\d{2}|\d{1,2}\.\d{1,2}\.(?:19|20)\d{2}")


def looks_like_date(eight_digits: str) -> bool:
    for day, month, year in ((0, 2, 4), (6, 4, 0)):
        try:
            value = date(
                int(eight_digits[year : year + 4]),
                int(eight_digits[month : month + 2]),
                int(eight_digits[day : day + 2]),
            )
        except ValueError:
            continue
        if 1900 <= value.year <= 2099:
            return True
    return False


class DanishPhoneRecognizer(DanishPatternRecognizer):
    ENTITY = "TELEFON"
    PATTERNS = (
        ("telefon_landekode", r"(?<![\w+])" + _PREFIX + r"[ .-]?(?:" + _DK + r")" + NUMBER_END, 0.9),
        ("telefon_par", NUMBER_START + r"[2-9]\d([ .-])\d{2}\1\d{2}\1\d{2}" + NUMBER_END, 0.65),
        (
            "telefon_grupper",
            NUMBER_START + r"(?:[2-9]\d{3}[ .-]\d{4}|[2-9]\d{3} \d{2} \d{2}|[2-9]\d \d{2} \d{4})" + NUMBER_END,
            0.55,
        ),
        ("telefon_samlet", NUMBER_START + r"[2-9]\d{7}" + NUMBER_END, 0.5),
        ("telefon_udland", r"(?<![\w+])(?:\+|00)(?!45)[1-9]\d{0,2}(?:[ .-]?\d){6,12}" + NUMBER_END, 0.75),
        # Eight digits starting with 0 or 1 are no Danish subscriber number, but
        # example and test data use them ("12 34 56 78"): a phone label or
        # context word in front lifts them over the threshold, nothing else does.
        ("telefon_med_etiket", NUMBER_START + r"[01]\d(?:[ .-]?\d{2}){3}" + NUMBER_END, 0.2),
    )
    CONTEXT = ("tlf", "telefon", "mobil", "ringe", "sms", "phone", "kontakt", "opkald", "fastnet")
    EXPLANATIONS = {
        "telefon_landekode": "dansk telefonnummer med landekode +45",
        "telefon_par": "8 cifre i par som et dansk telefonnummer",
        "telefon_grupper": "8 cifre grupperet som et dansk telefonnummer",
        "telefon_samlet": "8 cifre som et dansk telefonnummer",
        "telefon_udland": "udenlandsk telefonnummer med landekode",
        "telefon_med_etiket": "8 cifre efter en telefonetiket",
    }
    OWN_LABELS = frozenset({"TELEFON"})
    FOREIGN_LABELS = frozenset({"CPR", "CVR", "BANKKONTO", "REGNR", "NUMMERPLADE"})

    def refine(self, text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
        results = [r for r in results if not _YEARS_OR_DATE.fullmatch(text[r.start : r.end])]
        for result in results:
            number = text[result.start : result.end]
            if number.isdigit() and looks_like_date(number):
                result.score = DATE_LIKE_SCORE
                result.analysis_explanation.append_textual_explanation_line("kan også læses som en dato")
                result.analysis_explanation.set_improved_score(result.score)
        return results

