"""Gentag: the same prompt many times, to see that a language model is not a calculator.

Three series make the point in steps. With a fresh random seed per call the
answers differ; with one fixed seed they are the same, which shows the
variation is drawn by chance rather than "thought"; and across a sweep of
temperatures the answers drift further apart the hotter the setting. Each
answer comes back split into sentences marked by how many of the other
answers share them, plus a similarity matrix and one similarity figure per
temperature for the plot.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sandbox.exercises.measures import match_sentences, mean_pairwise, similarity_matrix
from sandbox.exercises.runners.common import Answer, Progress, Run, Span, percent, spans_over
from sandbox.exercises.settings import GentagSettings
from sandbox.numbers import decimal
from sandbox.pipeline import Pipeline, Session

SENTENCE_KINDS = {
    "same": "Står i alle de andre svar",
    "partly": "Står i nogle af de andre svar",
    "differs": "Står kun i dette svar",
}


@dataclass(frozen=True)
class Series:
    """Answers produced the same way, compared with each other."""

    label: str
    temperature: float
    fixed_seed: int | None
    answers: tuple[Answer, ...]
    spans: tuple[tuple[Span, ...], ...]
    matrix: tuple[tuple[float, ...], ...]
    mean_similarity: float

    @property
    def identical(self) -> bool:
        return len({answer.text for answer in self.answers}) == 1


@dataclass(frozen=True)
class SweepPoint:
    temperature: float
    mean: float
    lowest: float
    highest: float


@dataclass(frozen=True)
class GentagResult:
    prompt: str
    sent: str
    random: Series
    fixed: Series
    sweep: tuple[Series, ...]
    summary: str

    @property
    def points(self) -> tuple[SweepPoint, ...]:
        """Similarity per temperature: the data for the plot."""
        points = []
        for series in self.sweep:
            pairs = [series.matrix[i][j] for i in range(len(series.matrix)) for j in range(i + 1, len(series.matrix))]
            points.append(SweepPoint(series.temperature, series.mean_similarity, min(pairs), max(pairs)))
        return tuple(points)

    def plot_data(self) -> dict[str, list[float]]:
        """Columns for a line plot of similarity (in %) against temperature."""
        return {
            "Temperatur": [p.temperature for p in self.points],
            "Lighed (%)": [round(100 * p.mean, 1) for p in self.points],
            "Laveste (%)": [round(100 * p.lowest, 1) for p in self.points],
            "Højeste (%)": [round(100 * p.highest, 1) for p in self.points],
        }


def run(
    pipeline: Pipeline,
    session: Session,
    settings: GentagSettings,
    *,
    exercise_id: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> GentagResult:
    """Ask ``settings.prompt`` ``repeats`` times per series and compare the answers."""
    n = settings.repeats
    job = Run(pipeline, session, n * (2 + len(settings.sweep)), exercise_id, progress, cancel)
    t = settings.temperature
    plan = [
        (f"Tilfældigt seed, temperatur {decimal(t)}", t, None),
        (f"Fast seed {settings.fixed_seed}, temperatur {decimal(t)}", t, settings.fixed_seed),
        *((f"Temperatur {decimal(temp)}", temp, None) for temp in settings.sweep),
    ]
    # Every answer of the card is one sample of the same prompt: decoded together, in one group.
    samples = [settings.params(temperature=temp, seed=seed) for _, temp, seed in plan for _ in range(n)]
    calls = [(settings.prompt, params) for params in samples]
    results = job.ask_many(calls, "Modellen skriver alle svarene", settings.system)
    series = [
        _compare(label, temp, seed, tuple(Answer.of(r, p) for r, p in zip(chunk_r, chunk_p, strict=True)))
        for (label, temp, seed), chunk_r, chunk_p in zip(plan, _chunks(results, n), _chunks(samples, n), strict=True)
    ]
    random, fixed, sweep = series[0], series[1], tuple(series[2:])
    job.finish()
    return GentagResult(
        settings.prompt, results[0].input_guard.text, random, fixed, sweep, _summary(random, fixed, sweep)
    )


def _chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _compare(label: str, temperature: float, seed: int | None, answers: tuple[Answer, ...]) -> Series:
    texts = [answer.text for answer in answers]
    matrix = similarity_matrix(texts)
    spans = []
    for i, text in enumerate(texts):
        others = texts[:i] + texts[i + 1 :]
        marked = []
        for match in match_sentences(text, others):
            kind = "same" if match.found_in == match.others else "partly" if match.found_in else "differs"
            tip = f"Står i {match.found_in} af {match.others} andre svar"
            marked.append((match.sentence.start, match.sentence.end, kind, tip, match.share))
        spans.append(spans_over(text, marked))
    return Series(label, temperature, seed, answers, tuple(spans), matrix, mean_pairwise(matrix))


def _summary(random: Series, fixed: Series, sweep: tuple[Series, ...]) -> str:
    lines = [
        f"Med et nyt tilfældigt seed hver gang lignede svarene hinanden {percent(random.mean_similarity)} "
        "i gennemsnit.",
        (
            f"Med samme seed ({fixed.fixed_seed}) blev svarene helt ens: tilfældigheden styres af seedet."
            if fixed.identical
            else f"Selv med samme seed ({fixed.fixed_seed}) var svarene ikke helt ens "
            f"({percent(fixed.mean_similarity)} ens) – modellen regner ikke altid bit for bit ens."
        ),
    ]
    if sweep:
        trend = ", ".join(f"{decimal(s.temperature)}: {percent(s.mean_similarity)}" for s in sweep)
        lines.append(f"Lighed ved hver temperatur – {trend}.")
    return " ".join(lines)
