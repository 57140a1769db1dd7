"""IBAN: Danish (DK + 16 digits) and other countries' account numbers, checked with ISO 7064 mod 97.

A Danish IBAN whose check digits fail is still reported, at a lower score:
"DK" followed by sixteen digits is an account number even with a typo in it.
Foreign IBANs must pass mod 97, since their letter-digit shapes are less
distinctive.
"""

from __future__ import annotations

from sandbox.guards.recognizers.base import DanishPatternRecognizer


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
        # True lifts the score to 1.0; None keeps a Danish IBAN with bad check
        # digits at its pattern score; False drops a foreign one.
        if is_valid_iban(pattern_text):
            return True
        return None if pattern_text[:2].upper() == "DK" else False
