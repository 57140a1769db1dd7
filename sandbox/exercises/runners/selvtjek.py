"""Selvtjek: let the model check itself, the way SelfCheckGPT does.

A model that knows something tends to say it the same way each time; a
model that makes it up invents different details on every try. So the
exercise asks once carefully (low temperature) and K more times loosely,
then marks each sentence of the careful answer by how much of it the loose
samples back up (:func:`~sandbox.exercises.measures.support`). For a case
summary it also checks each sentence against the case itself: a summary
sentence the case does not support is an invention, however fluent.

For questions about things that do not exist (an invented paragraph, an
invented municipal scheme) the only honest answer is "det ved jeg ikke";
the result counts how many answers said so. An empty answer neither admits
anything nor invents anything, so it is counted as empty, not as made up.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

from sandbox.exercises.measures import admits_not_knowing, split_sentences, support
from sandbox.exercises.runners.common import Answer, Progress, Run, Span, percent, spans_over
from sandbox.exercises.settings import MATERIAL, SelvtjekSettings, fill
from sandbox.pipeline import Pipeline, Session

MARKS = {
    "supported": "Støttes af de andre svar",
    "unsupported": "Støttes ikke af de andre svar – måske opdigtet",
    "not_in_source": "Står ikke i sagen – opdigtet eller fejllæst",
}


@dataclass(frozen=True)
class SentenceCheck:
    text: str
    sample_support: tuple[float, ...]
    source_support: float | None
    mark: str

    @property
    def support(self) -> float:
        return statistics.fmean(self.sample_support)


@dataclass(frozen=True)
class SelvtjekResult:
    kind: str
    prompt: str
    sent: str
    main: Answer
    samples: tuple[Answer, ...]
    checks: tuple[SentenceCheck, ...]
    spans: tuple[Span, ...]
    honest: tuple[bool, ...]
    invented: str | None
    summary: str

    @property
    def flagged(self) -> int:
        return sum(check.mark != "supported" for check in self.checks)


def run(
    pipeline: Pipeline,
    session: Session,
    settings: SelvtjekSettings,
    *,
    material: str = "",
    exercise_id: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SelvtjekResult:
    """One careful answer, ``samples`` loose ones, and every sentence of the careful one checked.

    ``material`` is the case a summary is made from (``kind = "resume"``).
    """
    prompt = fill(settings.question, {MATERIAL: material})
    job = Run(pipeline, session, 1 + settings.samples, exercise_id, progress, cancel)
    main_params = settings.params(temperature=settings.main_temperature)
    # The careful first answer and the hotter samples ask the same prompt: decoded together.
    every = [main_params, *(settings.params() for _ in range(settings.samples))]
    results = job.ask_many([(prompt, params) for params in every], "Første svar og stikprøver", settings.system)
    main_result = results[0]
    main = Answer.of(main_result, main_params)
    samples = [Answer.of(result, params) for result, params in zip(results[1:], every[1:], strict=True)]
    job.finish()

    seen = main_result.input_guard.text if settings.kind == "resume" else None
    checks = []
    marked = []
    for sentence in split_sentences(main.text):
        check = _check(sentence.text, samples, seen, settings.threshold)
        checks.append(check)
        marked.append((sentence.start, sentence.end, check.mark, MARKS[check.mark], check.support))
    honest = tuple(admits_not_knowing(a.text) for a in (main, *samples))
    return SelvtjekResult(
        settings.kind,
        prompt,
        main_result.input_guard.text,
        main,
        tuple(samples),
        tuple(checks),
        spans_over(main.text, marked),
        honest,
        settings.invented,
        summary(settings, checks, (main, *samples)),
    )


def _check(sentence: str, samples: list[Answer], seen_source: str | None, threshold: float) -> SentenceCheck:
    per_sample = tuple(support(sentence, sample.text) for sample in samples)
    from_source = support(sentence, seen_source) if seen_source is not None else None
    if from_source is not None and from_source < threshold:
        mark = "not_in_source"
    elif statistics.fmean(per_sample) < threshold:
        mark = "unsupported"
    else:
        mark = "supported"
    return SentenceCheck(sentence, per_sample, from_source, mark)


def summary(settings: SelvtjekSettings, checks: list[SentenceCheck], answers: tuple[Answer, ...]) -> str:
    """The result in Danish: doubtful sentences of the first answer, and for invented things, who admitted it."""
    if answers[0].text.strip():
        flagged = sum(check.mark != "supported" for check in checks)
        lines = [f"{flagged} af {len(checks)} sætninger i det første svar er markeret som tvivlsomme."]
    else:
        lines = ["Det første svar var tomt, så der er ingen sætninger at tjekke."]
    if settings.kind == "resume" and checks:
        missing = sum(check.mark == "not_in_source" for check in checks)
        lines.append(f"{missing} {'sætning har' if missing == 1 else 'sætninger har'} indhold, som ikke står i sagen.")
    if settings.kind == "opdigtet":
        honest = sum(admits_not_knowing(a.text) for a in answers)
        empty = sum(not a.text.strip() for a in answers)
        invented = len(answers) - honest - empty
        lines.append(
            f"Spørgsmålet handler om noget, der ikke findes: {invented_text(settings.invented)} "
            f"{honest} af {len(answers)} svar ({percent(honest / len(answers))}) sagde, "
            "at modellen ikke vidste det"
            + (f", {empty} var {'tomt' if empty == 1 else 'tomme'}" if empty else "")
            + f", og {invented} fandt på et svar."
        )
    return " ".join(lines)


def invented_text(invented: str | None) -> str:
    """The card's note on what does not exist, as one sentence ending in a full stop (never two)."""
    return (invented or "").strip().rstrip(".") + "."
