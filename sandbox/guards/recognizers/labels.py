"""Field labels in front of a number: "tlf.", "CVR-nr.:", "kontonr.", "sagsnr.".

Eight digits can be a phone number, a CVR number, an account number or a
case number; in Danish forms and notes the label right before the number
decides. Presidio's context enhancer looks at any of the five words before a
match, so in "tlf. 20674312, CVR 12345678" both numbers would look like
both. :func:`label_before` finds the *nearest* label instead, and only if
nothing but a few words and punctuation (no other number) stands between it
and the value. "sag" counts only right in front ("sag 2024-0001"): in "Sagen
omhandler Karl (080849-1426)" the number is not the case.
"""

from __future__ import annotations

import regex

# kind → alternatives (case-insensitive). REGNR belongs to two types: bank
# registration numbers and licence plates ("reg.nr." is used for both).
LABELS: dict[str, str] = {
    "TELEFON": r"tlf|telefon\w*|mobil\w*|mob|tel|phone|cell|sms|fastnet|opkald|ring|ringe|ringede|ringer",
    "CPR": r"cpr\w*|personnummer\w*|personnr|person\s?nr|fødselsdato|født|løbe\s?-?nr|løbenummer|civil\s+registration",
    "CVR": r"cvr\w*|se-?\s?nr|se-nummer|vat|momsnr|momsnummer|virksomhedsnummer|company\s+registration",
    "BANKKONTO": r"konto\w*|kontonr|bank\w*|nemkonto|account|iban",
    "REGNR": r"reg\.?\s?-?nr|reg|registreringsnummer|registrerings\s?nr",
    "NUMMERPLADE": r"nummerplade\w*|køretøj\w*|bil|bilen|bilens|vehicle|licen[cs]e\s+plate",
    "REFERENCE": (
        r"sags?\s?-?nr|sagsnummer\w*|sag(?:en)?(?=[\s:.]*$)|j\.\s?nr|jnr|journal\s?-?nr|journalnummer\w*|ref|reference\w*"
        r"|faktura\w*|ordre\s?-?nr|ordrenummer|kvittering\w*|bilag\w*|dok\s?-?nr|dokument\w*|id"
        r"|p-?\s?nummer|p-?\s?nr|matr\.?\s?-?nr|matrikel\w*|lokale|kapitel|punkt|lbk|bek|lov|stk|emne|version"
        r"|kunde\s?-?nr|kundenummer|police\s?-?nr|policenummer|medarbejder\s?-?nr|elev\s?-?nr|kr|dkk|beløb\w*|pris"
    ),
}

_LABEL = regex.compile(
    r"(?<![\w-])(?:" + "|".join(f"(?P<{kind}>{alternatives})" for kind, alternatives in LABELS.items()) + r")(?![\w])",
    regex.IGNORECASE,
)
_WORD = regex.compile(r"[^\W\d_]+")

WINDOW = 48  # characters looked back from the value
MAX_WORDS_BETWEEN = 4  # "kan kontaktes på", "ring gerne til ham på"


def label_before(text: str, start: int) -> tuple[str, str] | None:
    """(kind, label as written) of the nearest label before ``start``, or None."""
    segment = text[max(0, start - WINDOW) : start]
    last = None
    for match in _LABEL.finditer(segment):
        last = match
    if last is None:
        return None
    between = segment[last.end() :]
    if any(ch.isdigit() for ch in between) or between.count("\n") > 1:
        return None
    if len(_WORD.findall(between)) > MAX_WORDS_BETWEEN:
        return None
    return last.lastgroup, last.group(0)
