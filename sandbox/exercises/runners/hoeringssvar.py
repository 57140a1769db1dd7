"""Høringssvar: let the model sort a hearing by theme, then hold it up against the key.

The bundled hearing is synthetic and comes with a trainer's key: which
themes the responses raise, which responses raise each, and which themes
are minority voices (one or two responses that still matter, like access
for wheelchair users). The responses are sent in batches, because a small
local model cannot read twenty letters at once, and numbered so the model
can cite them. The comparison shows which themes the summary covered,
whether a minority voice fell out, and which cited response numbers were
wrong or do not exist at all.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sandbox.exercises.catalog import load_hearing
from sandbox.exercises.measures import contains_term
from sandbox.exercises.runners.common import Answer, Progress, Run, percent
from sandbox.exercises.schema import HearingResponse, Theme
from sandbox.exercises.settings import HoeringssvarSettings, fill
from sandbox.pipeline import Pipeline, Session

# "svar 3", "svar nr. 3, 7 og 12", "svarene 4–6": the numbers a summary cites.
_CITATION = re.compile(r"\bsvar(?:ene)?\s+(?:nr\.?\s*)?(\d+(?:\s*(?:,|og|-|–)\s*\d+)*)", re.IGNORECASE)


@dataclass(frozen=True)
class ThemeCheck:
    """One theme of the key and how the model's summary dealt with it."""

    name: str
    minority: bool
    responses: tuple[int, ...]
    found: bool
    matched_terms: tuple[str, ...]
    cited: tuple[int, ...]

    @property
    def correct(self) -> tuple[int, ...]:
        return tuple(n for n in self.cited if n in self.responses)

    @property
    def wrong(self) -> tuple[int, ...]:
        return tuple(n for n in self.cited if n not in self.responses)


@dataclass(frozen=True)
class HoeringssvarResult:
    title: str
    used: int
    sent: tuple[str, ...]
    answers: tuple[Answer, ...]
    combined: str
    themes: tuple[ThemeCheck, ...]
    unknown_references: tuple[int, ...]
    summary: str

    @property
    def coverage(self) -> float:
        return sum(t.found for t in self.themes) / len(self.themes) if self.themes else 1.0


def run(
    pipeline: Pipeline,
    session: Session,
    settings: HoeringssvarSettings,
    *,
    exercise_id: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> HoeringssvarResult:
    """Summarise the hearing batch by batch and compare the summary with the key."""
    hearing = load_hearing(settings.dataset)
    responses = hearing.responses[: settings.limit] if settings.limit else hearing.responses
    batches = [responses[i : i + settings.batch_size] for i in range(0, len(responses), settings.batch_size)]
    job = Run(pipeline, session, len(batches), exercise_id, progress, cancel)
    spans = [f"svar {b[0].number}–{b[-1].number}" if len(b) > 1 else f"svar {b[0].number}" for b in batches]
    # The batches are independent: the model reads them together, each with its own prompt.
    calls = [
        (fill(settings.instruction, {"svar": "\n\n".join(_numbered(r) for r in batch)}), settings.params())
        for batch in batches
    ]
    results = job.ask_many(calls, f"Læser {len(responses)} høringssvar i {len(batches)} bunker", settings.system)
    sent = [result.input_guard.text for result in results]
    answers = [Answer.of(result, params) for result, (_, params) in zip(results, calls, strict=True)]
    parts = [f"{span.capitalize()}:\n{result.answer.strip()}" for span, result in zip(spans, results, strict=True)]
    job.finish()
    combined = "\n\n".join(parts)
    used = {r.number for r in responses}
    themes = tuple(_check(theme, combined, used) for theme in hearing.themes if used & set(theme.responses))
    unknown = tuple(sorted({n for n in _citations(combined) if n not in used}))
    return HoeringssvarResult(
        hearing.title,
        len(responses),
        tuple(sent),
        tuple(answers),
        combined,
        themes,
        unknown,
        _summary(themes, unknown),
    )


def _numbered(response: HearingResponse) -> str:
    return f"Svar {response.number} ({response.kind}, {response.sender}):\n{response.text}"


def _citations(text: str) -> list[int]:
    cited = []
    for match in _CITATION.finditer(text):
        cited += [int(n) for n in re.findall(r"\d+", match.group(1))]
    return cited


def _check(theme: Theme, combined: str, used: set[int]) -> ThemeCheck:
    matched = tuple(term for term in theme.terms if contains_term(combined, term))
    lines = [line for line in combined.splitlines() if any(contains_term(line, term) for term in theme.terms)]
    cited = tuple(dict.fromkeys(n for line in lines for n in _citations(line)))
    responses = tuple(n for n in theme.responses if n in used)
    return ThemeCheck(theme.name, theme.minority, responses, bool(matched), matched, cited)


def _summary(themes: tuple[ThemeCheck, ...], unknown: tuple[int, ...]) -> str:
    found = [t for t in themes if t.found]
    share = percent(len(found) / len(themes)) if themes else "–"
    lines = [f"Modellen nævnte {len(found)} af {len(themes)} temaer i nøglen ({share})."]
    lost_minority = [t.name for t in themes if t.minority and not t.found]
    if lost_minority:
        lines.append(f"Mindretalsstemmer, der forsvandt: {', '.join(lost_minority)}.")
    wrong = sum(len(t.wrong) for t in themes)
    if wrong:
        lines.append(f"{wrong} henvisninger til svarnumre passede ikke med temaet.")
    if unknown:
        lines.append(f"Modellen henviste til svar, der ikke findes: {', '.join(map(str, unknown))}.")
    return " ".join(lines)
