"""Danish bank accounts: registreringsnummer (4 digits) + kontonummer (6-10 digits).

Written as "1234 0012345678", "1234-0012345678", "reg.nr. 1234 kontonr.
12345678", or in two form fields. Account numbers carry no public check
digit, so the recognizer relies on the shape and on labels such as
"konto", "reg.nr." and "bank" in front.
"""

from __future__ import annotations

from sandbox.guards.recognizers.base import NUMBER_END, NUMBER_START, DanishPatternRecognizer

_KONTO_LABEL = r"(?i:konto(?:\s?-?(?:nummer|nr\.?))?:?)"
_REG_LABEL = r"(?i:\breg(?:istrerings)?\.?\s?-?(?:nr|nummer)?\.?:?)"


class DanishBankAccountRecognizer(DanishPatternRecognizer):
    ENTITY = "BANKKONTO"
    PATTERNS = (
        (
            "konto_med_ord",
            NUMBER_START + r"\d{4}[ \t]*,?[ \t]*(?i:og[ \t]+)?" + _KONTO_LABEL + r"[ \t]*\d{6,10}" + NUMBER_END,
            0.85,
        ),
        ("reg_og_konto_10", NUMBER_START + r"\d{4}(?: ?[-–/] ?| )\d{10}" + NUMBER_END, 0.55),
        ("reg_og_konto", NUMBER_START + r"\d{4}(?: ?[-–/] ?| )\d{6,9}" + NUMBER_END, 0.4),
        ("kontonummer", r"(?<=" + _KONTO_LABEL + r"\s{0,3})\d{6,10}" + NUMBER_END, 0.7),
        ("regnummer", r"(?<=" + _REG_LABEL + r"\s{0,3})\d{4}(?!\w|[.,]\d|\s?[-–/]?\s?\d)", 0.6),
    )
    CONTEXT = ("konto", "reg.", "regnr", "bank", "udbetal", "overfør", "betal", "account")
    EXPLANATIONS = {
        "konto_med_ord": "registreringsnummer + 'konto' + kontonummer",
        "reg_og_konto_10": "4 + 10 cifre som registrerings- og kontonummer",
        "reg_og_konto": "4 + 6-9 cifre som registrerings- og kontonummer",
        "kontonummer": "kontonummer efter 'konto'",
        "regnummer": "registreringsnummer efter 'reg.nr.'",
    }
    OWN_LABELS = frozenset({"BANKKONTO", "REGNR"})
    FOREIGN_LABELS = frozenset({"TELEFON", "CPR", "CVR"})
