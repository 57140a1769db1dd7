"""Running the 3-hour module or a mindset path, and the record of the training it leaves.

The EU AI Act's article 4 asks a municipality to ensure its staff's AI
literacy, and an internal record of the training is accepted as evidence.
So when a trainer runs a module here, the app remembers what a compliance
officer will ask afterwards: which module, when and for how long, which
cards were covered and what they teach, and how many took part. It never
keeps who took part: participants are counted by their login (or browser
tab), and only the count leaves this object. The trainer's own name is in
the record only if the trainer types it.
"""

from __future__ import annotations

import csv
import io
import threading
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.audit.export import spreadsheet_cell
from sandbox.errors import UserError
from sandbox.exercises.catalog import get_card, load_programme
from sandbox.exercises.schema import MINDSETS

MODULE_PLAN = "modul"
MAX_TRAINER_NAME = 100
# A cell Excel would read as a formula (a trainer "name" like =HYPERLINK(...)) is written as text.


@dataclass(frozen=True)
class Step:
    title: str
    what: str
    minutes: int
    cards: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """A module or path as a list of steps the trainer moves through."""

    id: str
    title: str
    steps: tuple[Step, ...]


def plans() -> dict[str, Plan]:
    """The module (one step per agenda item) and each mindset path (one step per card), by id."""
    programme = load_programme()
    module = programme.module
    found = {
        MODULE_PLAN: Plan(
            MODULE_PLAN,
            module.title,
            tuple(Step(item.title, one_line(item.what), item.minutes, item.cards) for item in module.agenda),
        )
    }
    for path in programme.paths:
        steps = []
        for card_id in path.cards:
            card = get_card(card_id)
            steps.append(Step(card.title, one_line(card.learning_goal), card.duration_minutes, (card.id,)))
        plan_id = f"forloeb-{path.mindset}"
        found[plan_id] = Plan(plan_id, f"Forløb for {MINDSETS[path.mindset].lower()}: {path.title}", tuple(steps))
    return found


@dataclass(frozen=True)
class CoveredCard:
    id: str
    title: str
    learning_goal: str
    runs: int = 0  # how often it was run to the end during the module (by anyone in the room)


@dataclass(frozen=True)
class TrainingRecord:
    """What the trainer exports at the end: the evidence of one training, without participant names."""

    plan_title: str
    started: datetime
    ended: datetime
    steps: tuple[str, ...]
    cards: tuple[CoveredCard, ...]
    participants: int
    trainer: str | None

    @property
    def minutes(self) -> int:
        return round((self.ended - self.started).total_seconds() / 60)

    def duration(self) -> str:
        hours, minutes = divmod(self.minutes, 60)
        return f"{hours} t {minutes} min" if hours else f"{minutes} min"

    def to_markdown(self) -> str:
        lines = [
            "# Dokumentation af uddannelse i brug af kunstig intelligens",
            "",
            "Intern registrering af kompetenceudvikling (EU's AI-forordning, artikel 4: AI-færdigheder).",
            "",
            f"- **Dato:** {self.started:%d.%m.%Y}",
            f"- **Modul:** {self.plan_title}",
            f"- **Start:** kl. {self.started:%H.%M}",
            f"- **Slut:** kl. {self.ended:%H.%M}",
            f"- **Varighed:** {self.duration()}",
            f"- **Deltagere:** {self.participants} (talt som deltagere, der kørte mindst én øvelse)",
        ]
        if self.trainer:
            lines.append(f"- **Underviser:** {self.trainer}")
        lines += ["", "## Trin, modulet nåede", ""]
        lines += [f"{number}. {title}" for number, title in enumerate(self.steps, 1)] or ["_Ingen._"]
        lines += ["", "## Øvelser i de nåede trin, og hvor tit de blev kørt", ""]
        if not self.cards:
            lines.append("_Ingen øvelser i de nåede trin._")
        for card in self.cards:
            times = "gang" if card.runs == 1 else "gange"
            ran = f"kørt {card.runs} {times} under modulet" if card.runs else "ikke kørt"
            lines += [
                f"### {card.title}",
                "",
                f"_Øvelse `{card.id}`, {ran}_",
                "",
                f"**Læringsmål:** {card.learning_goal}",
                "",
            ]
        lines += ["---", "Dokumentet indeholder ingen deltagernavne. Udskrevet af legepladsen."]
        return "\n".join(lines).rstrip() + "\n"

    def to_csv(self) -> str:
        """One row per card covered (Excel: UTF-8 with BOM added by the writer, ``;``, Danish headers)."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            [
                "Dato",
                "Modul",
                "Start",
                "Slut",
                "Varighed (min)",
                "Deltagere",
                "Underviser",
                "Øvelse",
                "Titel",
                "Læringsmål",
                "Kørt under modulet (gange)",
            ]
        )
        common = [
            f"{self.started:%d.%m.%Y}",
            self.plan_title,
            f"{self.started:%H.%M}",
            f"{self.ended:%H.%M}",
            self.minutes,
            self.participants,
            self.trainer or "",
        ]
        for card in self.cards or (CoveredCard("", "", ""),):
            row = (*common, card.id, card.title, card.learning_goal, card.runs)
            writer.writerow([spreadsheet_cell(value) for value in row])
        return out.getvalue()


def one_line(text: str) -> str:
    """A TOML text wrapped over lines, as one line (for a table cell or a list item)."""
    return " ".join(text.split())


@dataclass
class ModuleRun:
    """One run of a plan: where the trainer is, which steps were reached, who ran a card (as keys only)."""

    plan: Plan
    started: datetime
    step: int = 0
    reached: set[int] = field(default_factory=lambda: {0})
    ended: datetime | None = None
    _participants: set[str] = field(default_factory=set, repr=False)
    _runs: dict[str, int] = field(default_factory=dict, repr=False)  # card id → runs to the end

    @property
    def participants(self) -> int:
        return len(self._participants)

    def record(self, trainer: str | None, now: datetime) -> TrainingRecord:
        steps = [self.plan.steps[index] for index in sorted(self.reached)]
        card_ids = list(dict.fromkeys(card_id for step in steps for card_id in step.cards))
        cards = tuple(
            CoveredCard(c.id, c.title, one_line(c.learning_goal), self._runs.get(c.id, 0))
            for c in map(get_card, card_ids)
        )
        name = one_line(trainer or "")[:MAX_TRAINER_NAME]
        return TrainingRecord(
            self.plan.title,
            self.started,
            self.ended or now,
            tuple(step.title for step in steps),
            cards,
            self.participants,
            name or None,
        )


class ModuleState:
    """The app's one shared module: the trainer moves it, every tab reads it.

    ``version`` grows with every change, so a participant's tab that polls
    redraws only when something moved.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.run: ModuleRun | None = None
        self.version = 0

    def start(self, plan_id: str, now: datetime) -> ModuleRun:
        plan = plans().get(plan_id)
        if plan is None:
            raise UserError("Vælg et modul eller forløb, før du starter.")
        with self._lock:
            if self.run is not None and self.run.ended is None:
                raise UserError(
                    f"«{self.run.plan.title}» er i gang. Afslut det først, så dokumentationen af det ikke går tabt."
                )
            self.run = ModuleRun(plan, now)
            self.version += 1
            return self.run

    def go(self, step: int) -> ModuleRun:
        """Move to ``step`` (0-based); every step reached counts as covered."""
        with self._lock:
            run = self._running()
            if not 0 <= step < len(run.plan.steps):
                raise UserError("Der er ikke flere trin i den retning.")
            run.step = step
            run.reached.add(step)
            self.version += 1
            return run

    def finish(self, now: datetime) -> ModuleRun:
        """End the running module; the one that just ended again, so its record can be fetched once more."""
        with self._lock:
            if self.run is not None and self.run.ended is not None:
                return self.run  # a lost download, an expired file: the record is made again, unchanged
            run = self._running()
            run.ended = now
            self.version += 1
            return run

    def note_card(self, card_id: str) -> None:
        """A card was run to the end while a module runs (by anyone, the trainer's demonstration too)."""
        with self._lock:
            if self.run is not None and self.run.ended is None:
                self.run._runs[card_id] = self.run._runs.get(card_id, 0) + 1

    def note_card_run(self, participant: str) -> None:
        """A participant (login or tab key) finished a card while a module runs: count them once."""
        with self._lock:
            if self.run is not None and self.run.ended is None:
                self.run._participants.add(participant)

    def _running(self) -> ModuleRun:
        if self.run is None or self.run.ended is not None:
            raise UserError("Der er ikke et modul i gang. Start et modul først.")
        return self.run
