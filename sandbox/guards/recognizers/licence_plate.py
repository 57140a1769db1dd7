"""Danish licence plates: two capital letters and five digits ("AB 12 345", "AB12345").

Upper case only: "ab 12 345" is not how anyone writes a plate, and requiring
capitals keeps "nr 12 345"-like text out. Unspaced forms score low unless a
label such as "nummerplade", "bil" or "reg.nr." is in front.
"""

from __future__ import annotations

from sandbox.guards.recognizers.base import DanishPatternRecognizer

_LETTERS = r"[A-Z]{2}"


class DanishLicencePlateRecognizer(DanishPatternRecognizer):
    ENTITY = "NUMMERPLADE"
    PATTERNS = (
        ("plade_mellemrum", r"(?<![\w-])" + _LETTERS + r"([ -])\d{2}\1\d{3}(?![\w-])", 0.6),
        ("plade_samlet", r"(?<![\w-])" + _LETTERS + r"(?:\d{2} ?\d{3}| \d{5})(?![\w-])", 0.45),
    )
    CONTEXT = ("nummerplade", "registreringsnummer", "bil", "køretøj", "plade", "parkering", "vogn", "reg.nr")
    EXPLANATIONS = {
        "plade_mellemrum": "to bogstaver og fem cifre som en dansk nummerplade",
        "plade_samlet": "to bogstaver og fem cifre (uden mellemrum) som en nummerplade",
    }
    OWN_LABELS = frozenset({"NUMMERPLADE", "REGNR"})
