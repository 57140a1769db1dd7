"""IBAN: Danish (DK + 16 digits) and other countries' account numbers, checked with ISO 7064 mod 97.

A Danish IBAN whose check digits fail is still reported, at a lower score:
"DK" followed by sixteen digits is an account number even with a typo in it.
Foreign IBANs must pass mod 97, since their letter-digit shapes are less
distinctive, unless the word "IBAN" stands right before them.
"""

from __future__ import annotations

import regex
from presidio_analyzer import RecognizerResult

from sandbox.guards.recognizers.base import DanishPatternRecognizer

_LABEL = regex.compile(r"(?i)\biban\b[^\n\d]{0,12}$")
LABELLED_SCORE = 0.6


def is_valid_iban(iban: str) -> bool:
    compact = "".join(iban.split()).upper()
    if len(compact) < 15 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


class DanishIbanRecognizer(DanishPatternRecognizer):
    ENTITY = "IBAN"
    PATTERNS = (
        ("iban_dk", r"(?<!\w)(?i:dk)\d{2}(?: ?\d{4}){3} ?\d{2}(?!\w)", 0.5),
        ("iban_udland", r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?!\w)", 0.1),
    )
    CONTEXT = ("iban", "konto", "bank")
    EXPLANATIONS = {
        "iban_dk": "dansk IBAN (DK + 16 cifre)",
        "iban_udland": "IBAN med gyldige kontrolcifre (mod 97)",
    }
    USES_LABELS = False  # the check digits decide, not what stands in front

    def validate_result(self, pattern_text: str) -> bool | None:
        # True lifts the score to 1.0; None keeps one with bad check digits at its
        # pattern score (a Danish one over the threshold, a foreign one under it).
        return True if is_valid_iban(pattern_text) else None

    def refine(self, text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
        for result in results:
            if result.score < LABELLED_SCORE and _LABEL.search(text, max(0, result.start - 20), result.start):
                result.score = LABELLED_SCORE
                result.analysis_explanation.append_textual_explanation_line(
                    "kontrolcifrene passer ikke, men 'IBAN' står foran"
                )
                result.analysis_explanation.set_improved_score(result.score)
        return results
