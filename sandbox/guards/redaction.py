"""Placeholders for personal data, and the session vault that can put the originals back.

A placeholder is typed and numbered (``[PERSON_1]``, ``[CPR_2]``) and stable
within a vault, so the model can still write a coherent letter about
"[PERSON_1]" and the user can see it with the real name restored on their
own screen. The vault lives in memory for one session; it refuses to be
printed, pickled or copied anywhere but into another in-memory vault.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable

from sandbox.guards.recognizers.birth_date import as_date
from sandbox.guards.result import ENTITY_TYPES

#: A placeholder the guard writes. Only those a session's vault issued are skipped by
#: the recognizers; the same shape typed by a user is analysed like any text.
PLACEHOLDER = re.compile(r"\[(" + "|".join(ENTITY_TYPES) + r")_(\d+)\]")
#: Anything dressed as a placeholder ("[CPR_1503851234]", "[TELEFON_23 45 67 89]"):
#: group 1 is the wrapper's prefix, group 2 what it wraps.
PLACEHOLDER_SHAPED = re.compile(r"(\[(?:" + "|".join(ENTITY_TYPES) + r")_)([^\[\]\n]{1,100})\]")

_DIGITS_ONLY = {"CPR", "CVR", "TELEFON", "BANKKONTO"}


def normalise(entity_type: str, value: str) -> str:
    """The form under which two spellings of one value share a placeholder.

    "12 34 56 78", "+45 12345678" and "12345678" are one phone number;
    "Mette Hansen" and "mette  hansen" are one person.
    """
    value = unicodedata.normalize("NFKC", value)
    if entity_type in _DIGITS_ONLY:
        digits = re.sub(r"\D", "", value)
        if entity_type == "TELEFON":
            digits = re.sub(r"^(?:0045|45)(\d{8})$", r"\1", digits)
        return digits
    if entity_type in ("IBAN", "NUMMERPLADE"):
        return re.sub(r"\s", "", value).upper()
    if entity_type == "EMAIL":
        return value.strip().casefold()
    if entity_type == "FØDSELSDATO":
        day = as_date(value)
        return day.isoformat() if day else re.sub(r"\W+", " ", value.casefold()).strip()
    return re.sub(r"[\W_]+", " ", value.casefold()).strip()


class Vault:
    """Placeholder ↔ original for one session, in memory only. Thread-safe."""

    __slots__ = ("_lock", "_by_value", "_originals", "_counters", "_reserved")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_value: dict[tuple[str, str], str] = {}
        self._originals: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._reserved: set[str] = set()  # placeholder-shaped text a user typed: never issued

    def placeholder(self, entity_type: str, value: str) -> str:
        """The placeholder for this value, creating the next number for its type if new."""
        if entity_type not in ENTITY_TYPES:
            raise ValueError(f"unknown entity type {entity_type!r}")
        key = (entity_type, normalise(entity_type, value))
        with self._lock:
            existing = self._by_value.get(key)
            if existing is not None:
                return existing
            number = self._counters.get(entity_type, 0) + 1
            while (placeholder := f"[{entity_type}_{number}]") in self._reserved:
                number += 1
            self._counters[entity_type] = number
            self._by_value[key] = placeholder
            self._originals[placeholder] = value
            return placeholder

    def alias(self, entity_type: str, value: str, placeholder: str) -> str:
        """Let ``value`` share ``placeholder`` ("Thygesen" after "Rikke Thygesen"), unless it already has one.

        Returns the placeholder ``value`` has afterwards. Restoring shows the
        original the placeholder was first issued for.
        """
        key = (entity_type, normalise(entity_type, value))
        with self._lock:
            if placeholder not in self._originals:
                raise ValueError("alias for a placeholder this vault did not issue")
            return self._by_value.setdefault(key, placeholder)

    def reserve(self, text: str) -> None:
        """Keep placeholder-shaped text a user typed ("[PERSON_1]") from ever being issued by this vault.

        Otherwise the model would read the user's own "[PERSON_1]" and the
        vault's "[PERSON_1]" for a real name as one person, and restoring would
        put that name in both places.
        """
        with self._lock:
            self._reserved.add(text)

    def restore(self, text: str) -> str:
        """``text`` with every placeholder this vault knows replaced by its original."""
        with self._lock:
            originals = dict(self._originals)
        return PLACEHOLDER.sub(lambda m: originals.get(m.group(0), m.group(0)), text)

    def mask(self, text: str) -> str:
        """``text`` with every original this vault issued a placeholder for put back as that placeholder.

        The reverse of :meth:`restore`, for text made for the user's own
        screen that is about to leave it (a saved exercise run): a value
        standing alone ("030352-1217" in a list) has no context for the
        guard to find it by, but the vault knows it.
        """
        with self._lock:
            originals = sorted(self._originals.items(), key=lambda item: -len(item[1]))
        for placeholder, original in originals:
            text = text.replace(original, placeholder)
        return text

    def knows(self, placeholder: str) -> bool:
        with self._lock:
            return placeholder in self._originals

    def copy(self) -> Vault:
        """An independent vault with the same mappings (for previews that must not change this one)."""
        other = Vault()
        with self._lock:
            other._by_value = dict(self._by_value)
            other._originals = dict(self._originals)
            other._counters = dict(self._counters)
            other._reserved = set(self._reserved)
        return other

    def __len__(self) -> int:
        with self._lock:
            return len(self._originals)

    def __repr__(self) -> str:
        return f"<Vault med {len(self)} pladsholdere>"

    __str__ = __repr__

    def __copy__(self) -> Vault:
        return self.copy()

    def __deepcopy__(self, memo: dict) -> Vault:
        return self.copy()

    def __reduce_ex__(self, protocol: object) -> tuple:
        raise TypeError("En Vault indeholder personoplysninger og må ikke gemmes eller sendes (pickle).")

    def __getstate__(self) -> None:
        raise TypeError("En Vault indeholder personoplysninger og må ikke gemmes eller sendes.")


def replace_spans(text: str, replacements: Iterable[tuple[int, int, str]]) -> str:
    """``text`` with each non-overlapping (start, end) span replaced, in one pass."""
    parts: list[str] = []
    position = 0
    for start, end, new in sorted(replacements):
        parts.append(text[position:start])
        parts.append(new)
        position = end
    parts.append(text[position:])
    return "".join(parts)
