"""Privatliv: paste a case note full of personal data and see exactly what the model gets.

The report's fourth technology point is that an open chatbot may learn
from whatever is typed into it. Here nothing leaves the machine, and the
guard replaces personal data with placeholders before the model sees it;
this exercise makes that visible. The card's key lists the personal data
that is in the note, so the result can also show what the guard *missed*:
a guard is a safety net, not a licence to paste anything.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sandbox.errors import BlockedError
from sandbox.exercises.runners.common import Answer, Progress, Run, Span, spans_over
from sandbox.exercises.settings import MATERIAL, PrivatlivSettings, fill
from sandbox.guards.redaction import PLACEHOLDER
from sandbox.pipeline import Pipeline, Session

KINDS = {
    "masked": "Maskeret af værnet",
    "missed": "Persondata, som værnet ikke fangede",
    "sensitive": "Følsom oplysning – sendes, men værnet advarer",
}


@dataclass(frozen=True)
class PrivatlivResult:
    """``prompt_spans`` mark what the guard found in what was written;
    ``sent_spans`` mark placeholders and misses in what the model receives."""

    prompt: str
    sent: str
    prompt_spans: tuple[Span, ...]
    sent_spans: tuple[Span, ...]
    caught: tuple[str, ...]
    missed: tuple[str, ...]
    warnings: tuple[str, ...]
    decision: str
    answer: Answer | None
    restored: str | None
    blocked: str | None
    summary: str


def run(
    pipeline: Pipeline,
    session: Session,
    settings: PrivatlivSettings,
    *,
    material: str,
    exercise_id: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> PrivatlivResult:
    """Show the guarded prompt, check it against the key, then (optionally) ask the model."""
    prompt = fill(settings.instruction, {MATERIAL: material})
    preview = pipeline.preview(prompt, session)
    missed = tuple(item for item in settings.expected if item in preview.text)
    caught = tuple(item for item in settings.expected if item not in preview.text)
    found = [
        (e.start, e.end, "masked", f"{KINDS['masked']}: {e.type} → {e.placeholder}", e.score)
        for e in preview.entities
        if e.placeholder
    ]
    found += [(w.start, w.end, "sensitive", f"{KINDS['sensitive']} ({w.category})", None) for w in preview.warnings]
    marked = [(m.start(), m.end(), "masked", KINDS["masked"], None) for m in PLACEHOLDER.finditer(preview.text)]
    for item in missed:
        marked += [
            (m.start(), m.end(), "missed", KINDS["missed"], None) for m in re.finditer(re.escape(item), preview.text)
        ]
    answer = restored = blocked = None
    if settings.ask_model:
        job = Run(pipeline, session, 1, exercise_id, progress, cancel)
        params = settings.params()
        try:
            result = job.ask(prompt, params, "Spørger modellen med den maskerede tekst", settings.system)
        except BlockedError as error:
            blocked = error.message
        else:
            answer, restored = Answer.of(result, params), result.restored(session)
        job.finish()
    return PrivatlivResult(
        prompt,
        preview.text,
        spans_over(prompt, found),
        spans_over(preview.text, marked),
        caught,
        missed,
        tuple(f"{w.term}: {w.category}" for w in preview.warnings),
        preview.decision,
        answer,
        restored,
        blocked,
        _summary(caught, missed, blocked),
    )


def _summary(caught: tuple[str, ...], missed: tuple[str, ...], blocked: str | None) -> str:
    total = len(caught) + len(missed)
    lines = [f"Værnet skjulte {len(caught)} af de {total} personoplysninger, som facit kender."]
    if missed:
        lines.append(f"Disse nåede frem til modellen: {', '.join(missed)}.")
    if blocked:
        lines.append(f"Værnet stoppede hele prompten: {blocked}")
    return " ".join(lines)
