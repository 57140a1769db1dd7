"""Læsbarhed: rewrite a letter in plain language and measure whether it got easier.

LIX before and after, with its two parts (words per sentence and the share
of long words) and the Danish band, so participants see whether the model
shortened sentences, swapped long words, or neither. Long words are marked
in both texts. A plain letter that drops the deadline or the amount is
worse than a heavy one, so numbers from the original that are missing in
the rewrite are listed, except those the guard masked: the model never saw
them, so it cannot be blamed for dropping them. An empty answer is said to
be empty; it has a LIX of 0, which must never read as the goal reached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sandbox.errors import UserError
from sandbox.exercises.measures import Lix, lix, long_word_ranges, numbers
from sandbox.exercises.runners.common import Answer, Progress, Run, Span, spans_over
from sandbox.exercises.settings import MATERIAL, LaesbarhedSettings, fill
from sandbox.numbers import decimal
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
    masked_numbers: tuple[str, ...]  # values with digits the guard masked (original values: own screen only)
    summary: str

    @property
    def empty(self) -> bool:
        """The model answered nothing (or only whitespace): there is no rewrite to measure."""
        return not self.rewritten.strip()

    @property
    def reached(self) -> bool | None:
        """Whether the rewrite is at or under the target LIX; ``None`` when there is no rewrite."""
        return None if self.empty else self.after.rounded <= self.target_lix


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
    prompt = fill(settings.instruction, {MATERIAL: material})
    result = job.ask(prompt, params, "Omskriver teksten", settings.system)
    job.finish()
    rewritten = result.restored(session)
    before, after = lix(material), lix(rewritten)
    sent = result.input_guard.text
    # Values with digits the guard replaced (a phone number): the model saw a placeholder, not the digits.
    found = (prompt[e.start : e.end] for e in result.input_guard.entities)
    masked = tuple(dict.fromkeys(value for value in found if numbers(value)))
    hidden = {n for value in masked for n in numbers(value)}
    kept = set(numbers(rewritten))
    lost = () if not rewritten.strip() else tuple(dict.fromkeys(n for n in numbers(material) if n not in kept | hidden))
    return LaesbarhedResult(
        material,
        rewritten,
        sent,
        Answer.of(result, params),
        before,
        after,
        settings.target_lix,
        _marked(material),
        _marked(rewritten),
        lost,
        masked,
        summary(before, rewritten, settings.target_lix, lost, masked),
    )


def _marked(text: str) -> tuple[Span, ...]:
    return spans_over(text, ((start, end, "long", LONG_WORD, None) for start, end in long_word_ranges(text)))


def summary(before: Lix, rewritten: str, target: int, lost: tuple[str, ...], masked: tuple[str, ...]) -> str:
    """The result in Danish sentences: LIX before and after, the goal, and numbers to check."""
    if not rewritten.strip():
        return (
            f"Modellen svarede ikke med nogen tekst, så der er intet at måle. Originalen har LIX {before.rounded} "
            f"({before.band.label.lower()}). Kør øvelsen igen, eller giv modellen flere tokens."
        )
    after = lix(rewritten)
    lines = [
        f"LIX gik fra {before.rounded} ({before.band.label.lower()}) til {after.rounded} ({after.band.label.lower()}).",
        f"Ord pr. sætning: {decimal(before.words_per_sentence, 1)} → {decimal(after.words_per_sentence, 1)}. "
        f"Lange ord: {before.long_word_percent:.0f} % → {after.long_word_percent:.0f} %.",
        f"Målet var højst {target}: " + ("nået." if after.rounded <= target else "ikke nået."),
    ]
    if lost:
        lines.append(f"Tal fra originalen, som mangler i omskrivningen: {', '.join(lost)}. Tjek frister og beløb.")
    if masked:
        count = "ét tal" if len(masked) == 1 else f"{len(masked)} tal"
        lines.append(
            f"Værnet maskerede {count} (fx et telefonnummer), før modellen så teksten, så modellen så kun en "
            "pladsholder; det tæller ikke som manglende."
        )
    return " ".join(lines)
