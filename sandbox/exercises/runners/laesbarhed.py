"""Læsbarhed: rewrite a letter in plain language and measure whether it got easier.

LIX before and after, with its two parts (words per sentence and the share
of long words) and the Danish band, so participants see whether the model
shortened sentences, swapped long words, or neither. Long words are marked
in both texts. A plain letter that drops the deadline or the amount is
worse than a heavy one, so numbers from the original that are missing in
the rewrite are listed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sandbox.errors import UserError
from sandbox.exercises.measures import Lix, lix, long_word_ranges, numbers
from sandbox.exercises.runners.common import Answer, Progress, Run, Span, spans_over
from sandbox.exercises.settings import MATERIAL, LaesbarhedSettings, fill
from sandbox.pipeline import Pipeline, Session

LONG_WORD = "Langt ord (over seks bogstaver)"


@dataclass(frozen=True)
class LaesbarhedResult:
    original: str
    rewritten: str
    sent: str
    answer: Answer
    before: Lix
    after: Lix
    target_lix: int
    before_spans: tuple[Span, ...]
    after_spans: tuple[Span, ...]
    lost_numbers: tuple[str, ...]
    summary: str


def run(
    pipeline: Pipeline,
    session: Session,
    settings: LaesbarhedSettings,
    *,
    material: str,
    exercise_id: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> LaesbarhedResult:
    """Rewrite ``material`` with the card's instruction and compare LIX.

    The rewrite is compared with the participant's own original, so it is
    measured with their names put back (:meth:`Result.restored`): this
    result is for their own screen only.
    """
    if not material.strip():
        raise UserError("Indsæt den tekst, der skal gøres lettere at læse.")
    job = Run(pipeline, session, 1, exercise_id, progress, cancel)
    params = settings.params()
    result = job.ask(fill(settings.instruction, {MATERIAL: material}), params, "Omskriver teksten", settings.system)
    job.finish()
    rewritten = result.restored(session)
    before, after = lix(material), lix(rewritten)
    lost = tuple(dict.fromkeys(n for n in numbers(material) if n not in numbers(rewritten)))
    return LaesbarhedResult(
        material,
        rewritten,
        result.input_guard.text,
        Answer.of(result, params),
        before,
        after,
        settings.target_lix,
        _marked(material),
        _marked(rewritten),
        lost,
        _summary(before, after, settings.target_lix, lost),
    )


def _marked(text: str) -> tuple[Span, ...]:
    return spans_over(text, ((start, end, "long", LONG_WORD, None) for start, end in long_word_ranges(text)))


def _summary(before: Lix, after: Lix, target: int, lost: tuple[str, ...]) -> str:
    lines = [
        f"LIX gik fra {before.rounded} ({before.band.label.lower()}) til {after.rounded} ({after.band.label.lower()}).",
        f"Ord pr. sætning: {before.words_per_sentence:.1f} → {after.words_per_sentence:.1f}. "
        f"Lange ord: {before.long_word_percent:.0f} % → {after.long_word_percent:.0f} %.",
        f"Målet var højst {target}: " + ("nået." if after.rounded <= target else "ikke nået."),
    ]
    if lost:
        lines.append(f"Tal fra originalen, som mangler i omskrivningen: {', '.join(lost)}. Tjek frister og beløb.")
    return " ".join(lines)
