"""Numbers as a Danish reader writes them: 100.000 tegn, temperatur 0,8.

Only the number is converted: replacing "," by "." in a whole sentence (as
this code once did) also turned the sentence's own commas into full stops.
"""

from __future__ import annotations


def thousands(number: int) -> str:
    """100000 -> '100.000' (Danish thousands separator)."""
    return f"{number:,}".replace(",", ".")


def quantity(number: int, singular: str, plural: str) -> str:
    """1 -> '1 post', 2 -> '2 poster', 12000 -> '12.000 poster': the noun agrees with the number."""
    return f"{thousands(number)} {singular if number == 1 else plural}"


def decimal(value: float, digits: int | None = None) -> str:
    """0.8 -> '0,8'; with ``digits``, a fixed number of decimals (15.24, 1 -> '15,2').

    Every fraction a participant reads (a p-value, a LIX part, a temperature)
    goes through here, so it has the Danish decimal comma, never Python's full stop.
    """
    text = f"{value:g}" if digits is None else f"{value:.{digits}f}"
    return text.replace(".", ",")
