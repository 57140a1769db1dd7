"""What one guard run found and decided, in a form the UI, the log and the CLI can use.

The log must never see a value, only counts and scores per type, so
:meth:`GuardResult.summary` is the one place that decides what the log gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: Every entity type the guard can report; also the placeholder labels.
ENTITY_TYPES: tuple[str, ...] = (
    "CPR",
    "CVR",
    "IBAN",
    "BANKKONTO",
    "EMAIL",
    "TELEFON",
    "NUMMERPLADE",
    "ADRESSE",
    "FØDSELSDATO",
    "PERSON",
)

Action = Literal["redact", "block", "allow"]
Decision = Literal["sent", "redacted", "blocked"]


@dataclass(frozen=True)
class Entity:
    """One finding. Offsets are character offsets into the original text."""

    type: str
    start: int
    end: int
    score: float
    recognizer: str
    explanation: str
    action: Action
    placeholder: str | None


@dataclass(frozen=True)
class Art9Warning:
    """A word from a GDPR art. 9 special category (or art. 10, criminal matters).

    These are category words ("diabetes", "muslim"), not identifiers: they are
    shown to the user as a warning and not redacted, because the model needs
    them to do the task and they identify nobody once the names are gone.
    """

    category: str
    start: int
    end: int
    term: str


@dataclass(frozen=True)
class GuardResult:
    text: str
    entities: tuple[Entity, ...]
    warnings: tuple[Art9Warning, ...]
    decision: Decision

    def summary(self) -> list[dict]:
        """Per type: count, score range, recognizers and action. Never a value."""
        rows: dict[str, dict] = {}
        for entity in self.entities:
            row = rows.setdefault(
                entity.type,
                {
                    "type": entity.type,
                    "count": 0,
                    "max_score": entity.score,
                    "min_score": entity.score,
                    "recognizers": set(),
                    "action": entity.action,
                },
            )
            row["count"] += 1
            row["max_score"] = max(row["max_score"], entity.score)
            row["min_score"] = min(row["min_score"], entity.score)
            row["recognizers"].add(entity.recognizer)
        return [{**row, "recognizers": sorted(row["recognizers"])} for _, row in sorted(rows.items())]

    def to_json(self) -> dict:
        """The shape ``legeplads redact --json`` prints."""
        return {
            "redacted": self.text,
            "entities": [
                {"type": e.type, "start": e.start, "end": e.end, "score": e.score, "recognizer": e.recognizer}
                for e in self.entities
            ],
        }
