"""Numbers as a Danish reader writes them.

Only the number is converted: replacing "," by "." in a whole sentence (as
this code once did) also turned the sentence's own commas into full stops.
"""

from __future__ import annotations


def thousands(number: int) -> str:
    """100000 -> '100.000' (Danish thousands separator)."""
    return f"{number:,}".replace(",", ".")
