"""What every runner shares: asking through the pipeline, progress, and display pieces.

Runners make several model calls per exercise (ten answers to compare, a
sample per repeat). :class:`Run` is the one place that turns a prompt into a
:class:`~sandbox.pipeline.Request`, reports progress to the UI, and stops
cleanly when the participant presses stop. Results are plain frozen
dataclasses with Danish labels so the web UI and the CLI can render them
without knowing how they were computed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sandbox.backends.base import GenerationParams
from sandbox.errors import UserError
from sandbox.numbers import quantity
from sandbox.pipeline import Pipeline, Request, Result, Session

Progress = Callable[[int, int, str], None]
"""Called as ``progress(done, total, label)`` before each model call and once at the end."""


class Stopped(UserError):
    """The participant stopped the exercise before it finished."""


@dataclass(frozen=True)
class Answer:
    """One model answer as the exercise shows it (output-guarded, placeholders kept)."""

    text: str
    seed: int
    temperature: float
    finish_reason: str
    log_id: int | None
    # Answers decoded in one pass with it (see sandbox/backends/engine.py): the
    # seed gives this answer again when the card is run again the same way.
    decoded_together: int = 1

    @classmethod
    def of(cls, result: Result, params: GenerationParams) -> Answer:
        return cls(
            result.answer, result.seed, params.temperature, result.finish_reason, result.log_id, result.decoded_together
        )


@dataclass(frozen=True)
class Span:
    """A piece of text to show, with how to colour it.

    ``kind`` is a short code the UI maps to a colour ("" = plain text);
    ``label`` is the Danish tooltip; ``score`` the number behind the colour.
    The spans of one text joined together give back the text exactly.
    """

    text: str
    kind: str = ""
    label: str = ""
    score: float | None = None


def spans_over(text: str, marked: Iterable[tuple[int, int, str, str, float | None]]) -> tuple[Span, ...]:
    """Cover ``text`` with spans: the marked ranges ``(start, end, kind, label, score)`` and plain gaps."""
    spans: list[Span] = []
    position = 0
    for start, end, kind, label, score in sorted(marked):
        if start < position:
            continue
        if start > position:
            spans.append(Span(text[position:start]))
        spans.append(Span(text[start:end], kind, label, score))
        position = end
    if position < len(text):
        spans.append(Span(text[position:]))
    return tuple(spans)


@dataclass
class Run:
    """One exercise run: the pipeline, the participant's session, progress and stop."""

    pipeline: Pipeline
    session: Session
    total: int
    exercise_id: str | None = None
    progress: Progress | None = None
    cancel: threading.Event | None = None
    done: int = field(default=0, init=False)

    def ask(self, prompt: str, params: GenerationParams, label: str, system: str | None = None) -> Result:
        """Ask once through the pipeline (guard, model, guard, log) and count the step."""
        if self.cancel is not None and self.cancel.is_set():
            raise Stopped("Øvelsen blev stoppet.")
        self._report(label)
        request = Request(prompt=prompt, params=params, system=system, exercise_id=self.exercise_id)
        result = self.pipeline.ask(request, self.session, self.cancel)
        if result.finish_reason == "cancelled":
            raise Stopped("Øvelsen blev stoppet.")
        self.done += 1
        return result

    def ask_many(
        self,
        calls: Sequence[tuple[str, GenerationParams]],
        label: str,
        system: str | None = None,
        *,
        steady: bool = False,
    ) -> list[Result]:
        """Ask every ``(prompt, params)`` of ``calls``, decoded together; the results in that order.

        The pipeline guards each distinct prompt once and logs every answer
        on its own. Calls with chosen seeds are decoded as a group, so the
        same card with the same seeds gives the same answers whatever else
        the model is doing; calls that all have drawn seeds are decoded with
        the room's answers. ``steady``: see :meth:`Pipeline.stream_group`.
        """
        if self.cancel is not None and self.cancel.is_set():
            raise Stopped("Øvelsen blev stoppet.")
        start = self._waiting(len(calls)) or ": modellen læser prompten"
        self._report(f"{label}{start} (0 af {len(calls)} svar færdige)")
        requests = [Request(prompt, params, system, self.exercise_id) for prompt, params in calls]
        results: dict[int, Result] = {}
        written = [0] * len(calls)
        first, shown = 0.0, 0.0
        for index, item in self.pipeline.stream_group(requests, self.session, self.cancel, steady=steady):
            if isinstance(item, Result):
                if item.finish_reason == "cancelled":
                    raise Stopped("Øvelsen blev stoppet.")
                results[index] = item
                self.done += 1
            else:
                written[index] += 1
                first = first or time.monotonic()
                if time.monotonic() - shown < REPORT_INTERVAL:
                    continue
            shown = time.monotonic()
            limits = [params.max_tokens for _, params in calls]
            left = self._steps_left(limits, written, set(results))
            eta = time_left(max(written), left, shown - first) if first else ""
            if eta and self.done + len(calls) - len(results) < self.total:
                eta += " af denne del"  # more parts follow (Par's other variant): this is not the whole card
            self._report(f"{label}: {len(results)} af {len(calls)} svar færdige{eta}")
        return [results[i] for i in range(len(calls))]

    def _waiting(self, calls: int) -> str:
        """ ": venter på modellen …" when the model has no room for ``calls`` more answers now, else "".

        Otherwise a card in a busy room says nothing but "0 af 5" until the
        others' answers are done, and looks stuck.
        """
        busy = self.pipeline.busy
        if not busy or busy + calls <= self.pipeline.slots:
            return ""
        return f": venter på modellen, som er i gang med {quantity(busy, 'andet svar', 'andre svar')}"

    def _steps_left(self, limits: list[int], written: list[int], done: set[int]) -> int:
        """The most decode steps the rest can take: the longest running answer, then each later batch's longest.

        The answers are decoded together, ``slots`` at a time: one step draws
        a token for every running answer.
        """
        running = [limit - count for i, (limit, count) in enumerate(zip(limits, written, strict=True))
                   if i not in done and count]
        waiting = [limit for i, (limit, count) in enumerate(zip(limits, written, strict=True))
                   if i not in done and not count]
        slots = max(1, self.pipeline.slots)  # a later batch starts when the running one is done
        batches = [max(waiting[start : start + slots]) for start in range(0, len(waiting), slots)]
        return max(running, default=0) + sum(batches)

    def finish(self) -> None:
        self._report("Færdig")

    def _report(self, label: str) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total, label)


# How often a card's progress line is redrawn while the model writes (seconds).
REPORT_INTERVAL = 1.0


def time_left(steps: int, left: int, elapsed: float) -> str:
    """", ca. 40 s tilbage": ``left`` more decode steps at the pace of the ``steps`` so far, or "" too early to say.

    ``left`` counts every answer to its token limit; answers that end
    earlier make the estimate fall. The pace also rises as answers leave
    the batch, so it is more often too long than too short.
    """
    if steps < 10 or elapsed <= 0 or left <= 0:
        return ""
    seconds = left / (steps / elapsed)
    if seconds < 60:
        return f", ca. {max(1, round(seconds))} s tilbage"
    return f", ca. {round(seconds / 60)} min tilbage"


def percent(value: float) -> str:
    """0.734 -> '73 %', the way the exercises print shares."""
    return f"{round(100 * value)} %"
