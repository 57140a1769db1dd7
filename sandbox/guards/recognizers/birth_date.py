"""Fødselsdato: a person's date of birth, which with a name or a town identifies them.

A date alone is no personal data (a meeting on 3. marts 2024), so a date
counts only where the text says it is a birth date: after "født", "f.",
"fødselsdato", "født den", "date of birth", or in brackets right after a
name ("Karen Holm (14.02.1961)"). A birth year alone ("født 1961") is left:
it narrows down, but does not single out.
"""

from __future__ import annotations

from datetime import date

import regex

from sandbox.guards.recognizers.base import DanishPatternRecognizer

_MONTHS = (
    "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|okt|nov|dec"
)
_DATE = (
    r"(?:\d{1,2}\.?\s?(?:" + _MONTHS + r")\.?\s\d{4}"  # 3. marts 1961, 3 mar. 1961
    r"|\d{1,2}[./-]\s?\d{1,2}(?:[./-]\s?|\s)(?:\d{4}|\d{2})"  # 03.03.1961, 3/3-61, 3.3.61, 12/9 1971
    r"|(?:19|20)\d{2}-\d{2}-\d{2})"  # 1961-03-03
    r"(?![\d])"
)
_CUE = (
    r"(?i:\b(?:født|f\.|fødselsdato|fødselsdag|fødd|født\s+den|f\.\s?d\.|date\s+of\s+birth|d\.?o\.?b\.?|born))"
    r"(?:\s+den)?[:\s]\s*"
)


_MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "januar"),
            ("feb", "februar"),
            ("mar", "marts"),
            ("apr", "april"),
            ("maj",),
            ("jun", "juni"),
            ("jul", "juli"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("okt", "oktober"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def as_date(text: str) -> date | None:
    """The date a birth date as written means ("14.02.1961", "14. februar 1961", "1961-02-14"), or None.

    So one person's birth date written two ways shares one placeholder.
    """
    numbers = [int(n) for n in regex.findall(r"\d+", text)]
    month = next((_MONTH_NUMBERS[w] for w in regex.findall(r"\p{L}+", text.lower()) if w in _MONTH_NUMBERS), None)
    if month is not None and len(numbers) == 2:
        day, year = numbers
    elif len(numbers) == 3 and numbers[0] > 31:
        year, month, day = numbers
    elif len(numbers) == 3:
        day, month, year = numbers
    else:
        return None
    if year < 100:
        year += 1900 if year > date.today().year % 100 else 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


class DanishBirthDateRecognizer(DanishPatternRecognizer):
    ENTITY = "FØDSELSDATO"
    PATTERNS = (
        ("fødselsdato_efter_født", rf"(?<={_CUE}){_DATE}", 0.85),
        # A death notice: "* 3.5.1938   † 14.1.2025".
        ("fødselsdato_stjerne", rf"(?<=(?:^|\s|\()\*\s?){_DATE}", 0.8),
        # "hendes fødselsdato til bookingen, er det ikke 07.06.1975?"
        ("fødselsdato_i_sætningen", rf"(?<=(?i:fødselsdato|fødselsdag|født)[^.!?\n]{{1,60}}){_DATE}", 0.6),
        # "Karen Holm (14.02.1961)", "Niels Bohr (7. oktober 1885 i København – 18. november 1962)"
        ("fødselsdato_efter_navn", r"(?<=\p{Lu}\p{Ll}+\s?\(\s?)" + _DATE + r"(?=\s?(?:\)|,|;|\si\s|[-–]))", 0.7),
    )
    EXPLANATIONS = {
        "fødselsdato_efter_født": "dato efter 'født' eller 'fødselsdato'",
        "fødselsdato_efter_navn": "dato i parentes lige efter et navn",
        "fødselsdato_stjerne": "dato efter '*' (født) i en dødsannonce",
        "fødselsdato_i_sætningen": "dato i samme sætning som 'fødselsdato' eller 'født'",
    }
    USES_LABELS = False
