"""Læringslog: what a participant tried, what happened and what they learned.

The report's advice for learning that sticks is systematic follow-up
between modules: what did we do, what happened, what did we learn. The log
holds one entry per exercise for the participant's session and exports as
Markdown to bring to the next module.

Participants write freely and may mention a citizen from their own work, so
every text passes through the same guard as a prompt
(:meth:`Pipeline.preview`), and only the redacted text is kept. Nothing is
sent to the model and nothing is written to the compliance log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sandbox.errors import UserError
from sandbox.exercises.catalog import get_card
from sandbox.exercises.module import one_line
from sandbox.pipeline import Pipeline, Session

MAX_CHARS = 4000

FIELDS = {"tried": "Det prøvede jeg", "happened": "Det skete", "learned": "Det lærte jeg"}


@dataclass(frozen=True)
class JournalEntry:
    exercise_id: str
    exercise_title: str
    tried: str
    happened: str
    learned: str
    written: datetime


@dataclass
class Journal:
    """One participant's learning log, held in memory with their session."""

    entries: list[JournalEntry] = field(default_factory=list)
    # Ids of the cards this participant ran to the end, in the order first completed.
    completed: list[str] = field(default_factory=list)

    def complete(self, exercise_id: str) -> None:
        """Note that a card ran to the end, so the exported log can list it as done."""
        if exercise_id not in self.completed:
            self.completed.append(get_card(exercise_id).id)

    def add(
        self,
        pipeline: Pipeline,
        session: Session,
        exercise_id: str,
        *,
        tried: str,
        happened: str,
        learned: str,
    ) -> JournalEntry:
        """Redact each text with the guard and keep the entry. Raises :class:`UserError` on bad input."""
        card = get_card(exercise_id)
        texts = {"tried": tried, "happened": happened, "learned": learned}
        if not any(text.strip() for text in texts.values()):
            raise UserError("Skriv mindst én ting i læringsloggen, før du gemmer.")
        for name, text in texts.items():
            if len(text) > MAX_CHARS:
                raise UserError(f"Feltet '{FIELDS[name]}' er for langt: højst {MAX_CHARS} tegn.")
        redacted = {name: pipeline.redact(text, session).text if text.strip() else "" for name, text in texts.items()}
        entry = JournalEntry(card.id, card.title, **redacted, written=datetime.now().astimezone())
        self.entries.append(entry)
        return entry

    def remove(self, index: int) -> None:
        if not 0 <= index < len(self.entries):
            raise UserError("Den indførsel findes ikke i læringsloggen.")
        del self.entries[index]

    def to_markdown(self, participant: str | None = None) -> str:
        """The log as Markdown, oldest entry first, ready to bring to the next module."""
        lines = ["# Læringslog fra legepladsen", ""]
        if participant:
            lines += [f"Deltager: {participant}", ""]
        lines += self._completed_markdown()
        if not self.entries:
            lines.append("_Ingen indførsler endnu._")
        for entry in self.entries:
            written = f"_{entry.written:%d.%m.%Y kl. %H.%M} · øvelse `{entry.exercise_id}`_"
            lines += [f"## {entry.exercise_title}", "", written, ""]
            for name, label in FIELDS.items():
                text = getattr(entry, name).strip()
                if text:
                    lines += [f"**{label}:**", "", text, ""]
        lines += [
            "---",
            "Personoplysninger er maskeret af legepladsens værn, før teksten blev gemt.",
        ]
        return "\n".join(lines).rstrip() + "\n"

    def _completed_markdown(self) -> list[str]:
        """The cards run to the end, with what each teaches: the participant's own record of the training."""
        lines = ["## Øvelser, jeg har gennemført", ""]
        if not self.completed:
            return [*lines, "_Ingen øvelser kørt til ende endnu._", ""]
        for card in map(get_card, self.completed):
            lines.append(f"- **{card.title}** (`{card.id}`): {one_line(card.learning_goal)}")
        return [*lines, ""]
