"""Høringssvar: let the model sort a hearing by theme, then hold it up against the key.

The bundled hearing is synthetic and comes with a trainer's key: which
themes the responses raise, which responses raise each, and which themes
are minority voices (one or two responses that still matter, like access
for wheelchair users). The responses are sent in batches, because a small
local model cannot read twenty letters at once, and numbered so the model
can cite them.

How words and citations combine: each batch's answer is read in points
(:func:`points`): a heading and the sentence under it are one point, a list
item or a line with its own citation is one, and so is a line beginning
"Svar N" with the text after it. A theme counts as *found* only when one
point both uses a word of the key for it and cites a response that the
model read in that batch and that carries the theme. A theme whose words
appear without such a citation is *mentioned without a valid reference*,
never found: the model may have written about it, but nothing ties what it
wrote to a real response. A number the model cites without having read it
in that batch (each batch is a separate call, so it cannot know the others)
is an invented reference: the model made up a response, and the result
shows that as the hallucination it is, quoted.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from sandbox.exercises.catalog import load_hearing
from sandbox.exercises.measures import contains_term
from sandbox.exercises.runners.common import Answer, Progress, Run, percent
from sandbox.exercises.schema import HearingResponse, HearingSet, Theme
from sandbox.exercises.settings import HoeringssvarSettings, fill
from sandbox.pipeline import Pipeline, Session

# "svar 3", "svar nr. 3, 7 og 12", "svarene 4–6", "høringssvar 3 og 7": the numbers a summary cites.
# At most three digits: in "svar 3 og 2024" the year is no response number.
_CITATION = re.compile(
    r"\b(?:hørings)?svar(?:ene)?\s+(?:nr\.?\s*)?(\d{1,3}(?:\s*(?:,|og|-|–)\s*\d{1,3}(?!\d))*)(?!\d)", re.IGNORECASE
)
# A line that starts a new point: a list item or a heading ...
_POINT_START = re.compile(r"[-*•–#]|\d+[.)]\s")
# ... or one that begins with "Svar 3": a model retelling a response, whose text follows on the next lines.
_RETOLD = re.compile(r"[*_#\s]*(?:hørings)?svar(?:ene)?\s+(?:nr\.?\s*)?\d", re.IGNORECASE)
# "svar 4–6" means 4, 5 and 6; a wider "range" is read as its two ends.
_WIDEST_RANGE = 20
# A short quoted example in the instruction ('skriv fx "svar 3, 7"').
_QUOTED = re.compile(r'"[^"\n]{1,40}"')
# How much of the text around an invented reference is quoted.
_QUOTE = 300

THEME_STATES = {
    "found": "Ja",
    "unsupported": "Nævnt, men uden gyldig henvisning",
    "missing": "Nej",
}


@dataclass(frozen=True)
class ThemeCheck:
    """One theme of the key and how the model's summary dealt with it.

    ``correct``, ``wrong`` and ``invented`` are the responses cited in points
    that use the theme's words: read and carrying the theme, read but not
    carrying it, and not read at all (made up).
    """

    name: str
    minority: bool
    responses: tuple[int, ...]
    matched_terms: tuple[str, ...]
    correct: tuple[int, ...]
    wrong: tuple[int, ...]
    invented: tuple[int, ...]

    @property
    def found(self) -> bool:
        """Found only through a valid citation; the theme's words alone do not count."""
        return bool(self.correct)

    @property
    def state(self) -> str:
        """A key of :data:`THEME_STATES`: found, mentioned without a valid citation, or missing."""
        if self.found:
            return "found"
        return "unsupported" if self.matched_terms else "missing"


@dataclass(frozen=True)
class InventedReference:
    """A response number the model cited without having read it, and where it did."""

    number: int
    batch: str  # what the model had read: "svar 6–10"
    exists: bool  # a real response from another batch (True) or no response at all (False)
    quote: str  # the point of the answer that cites it


@dataclass(frozen=True)
class HoeringssvarResult:
    title: str
    used: int
    sent: tuple[str, ...]
    answers: tuple[Answer, ...]
    combined: str
    themes: tuple[ThemeCheck, ...]
    invented: tuple[InventedReference, ...]
    summary: str

    @property
    def coverage(self) -> float:
        return sum(t.found for t in self.themes) / len(self.themes) if self.themes else 1.0


@dataclass(frozen=True)
class _Point:
    """One point of a batch's answer, the numbers it cites, and the responses that batch held."""

    text: str
    cited: tuple[int, ...]
    read: frozenset[int]
    batch: str


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
    # The batches are independent: the model reads them together, each with its own prompt.
    calls = [
        (fill(settings.instruction, {"svar": "\n\n".join(_numbered(r) for r in batch)}), settings.params())
        for batch in batches
    ]
    results = job.ask_many(calls, f"Læser {len(responses)} høringssvar i {len(batches)} bunker", settings.system)
    sent = [result.input_guard.text for result in results]
    answers = [Answer.of(result, params) for result, (_, params) in zip(results, calls, strict=True)]
    read = [tuple(r.number for r in batch) for batch in batches]
    parts = [f"{_label(n).capitalize()}:\n{result.answer.strip()}" for n, result in zip(read, results, strict=True)]
    job.finish()
    own = [without_echo(result.answer, result.input_guard.text) for result in results]
    themes, invented = compare(hearing, list(zip(read, own, strict=True)))
    return HoeringssvarResult(
        hearing.title,
        len(responses),
        tuple(sent),
        tuple(answers),
        "\n\n".join(parts),
        themes,
        invented,
        summary(themes, invented),
    )


def compare(
    hearing: HearingSet, answers: list[tuple[tuple[int, ...], str]]
) -> tuple[tuple[ThemeCheck, ...], tuple[InventedReference, ...]]:
    """The model's answers against the key; each answer comes with the response numbers its batch held.

    Each answer is checked on its own, because it can only cite what its
    batch held. Themes none of the read responses carry are left out.
    """
    read = [
        _Point(text, tuple(citations(text)), frozenset(numbers), _label(numbers))
        for numbers, answer in answers
        for text in points(answer)
    ]
    used = {n for numbers, _ in answers for n in numbers}
    themes = tuple(_check(theme, read, used) for theme in hearing.themes if used & set(theme.responses))
    return themes, _invented(read, used)


def _label(numbers: tuple[int, ...]) -> str:
    """A batch as a participant reads it: "svar 1–5", or "svar 3" for a batch of one."""
    return f"svar {numbers[0]}–{numbers[-1]}" if len(numbers) > 1 else f"svar {numbers[0]}"


def _numbered(response: HearingResponse) -> str:
    return f"Svar {response.number} ({response.kind}, {response.sender}):\n{response.text}"


def without_echo(answer: str, prompt: str) -> str:
    """``answer`` without the lines that repeat the prompt word for word.

    A base model often writes its prompt back: the instruction's example
    ("skriv fx \"svar 3, 7\"") or a response's first line. Those are not the
    model's citations, and counting them would call the example an invented
    response.
    """
    said = {" ".join(line.split()) for line in prompt.splitlines() if line.strip()}
    kept = "\n".join(line for line in answer.splitlines() if " ".join(line.split()) not in said)
    for example in set(_QUOTED.findall(prompt)):
        kept = kept.replace(example, "")
    return kept


def citations(text: str) -> list[int]:
    """The response numbers a text cites, in order; "svar 4–6" gives 4, 5 and 6."""
    cited: list[int] = []
    for match in _CITATION.finditer(text):
        for low, high in re.findall(r"(\d+)(?:\s*[-–]\s*(\d+))?", match.group(1)):
            first, last = int(low), int(high or low)
            cited += range(first, last + 1) if 0 <= last - first <= _WIDEST_RANGE else [first, last]
    return cited


def points(answer: str) -> list[str]:
    """An answer split into the points it makes, so a theme's words and its citations are read together.

    A blank line, a list item, a heading or a line beginning "Svar N" starts
    a point, so a heading and the sentence under it are one. A line that
    cites a response ends its point (one theme per line, each with its own
    numbers), unless it begins with "Svar N": then the text of that response
    follows, as when the model retells (or invents) a response.
    """
    found: list[list[str]] = [[]]
    for line in answer.splitlines():
        stripped = line.strip()
        if not stripped or _POINT_START.match(stripped) or _RETOLD.match(stripped):
            found.append([])
        if stripped:
            found[-1].append(stripped)
            if _CITATION.search(stripped) and not _RETOLD.match(stripped):
                found.append([])
    return ["\n".join(lines) for lines in found if lines]


def _check(theme: Theme, read: list[_Point], used: set[int]) -> ThemeCheck:
    """The theme against the points that use its words (the rule is in the module docstring)."""
    matched = tuple(term for term in theme.terms if any(contains_term(p.text, term) for p in read))
    about = [p for p in read if any(contains_term(p.text, term) for term in theme.terms)]
    seen = tuple(dict.fromkeys(n for p in about for n in p.cited if n in p.read))
    made_up = tuple(dict.fromkeys(n for p in about for n in p.cited if n not in p.read))
    return ThemeCheck(
        theme.name,
        theme.minority,
        tuple(n for n in theme.responses if n in used),
        matched,
        tuple(n for n in seen if n in theme.responses),
        tuple(n for n in seen if n not in theme.responses),
        made_up,
    )


def _invented(read: list[_Point], used: set[int]) -> tuple[InventedReference, ...]:
    """Every number cited in a batch that did not hold it, once, with the point where it first appears."""
    first: dict[int, InventedReference] = {}
    for point in read:
        for number in point.cited:
            if number not in point.read and number not in first:
                quote = point.text if len(point.text) <= _QUOTE else point.text[:_QUOTE].rstrip() + " …"
                first[number] = InventedReference(number, point.batch, number in used, quote)
    return tuple(first[n] for n in sorted(first))


def summary(themes: tuple[ThemeCheck, ...], invented: tuple[InventedReference, ...]) -> str:
    found = [t for t in themes if t.found]
    share = percent(len(found) / len(themes)) if themes else "–"
    lines = [f"Modellen fandt {len(found)} af {len(themes)} temaer i nøglen med en gyldig henvisning ({share})."]
    lines += invented_sentences(invented)
    unsupported = [t.name + (" (mindretal)" if t.minority else "") for t in themes if t.state == "unsupported"]
    if unsupported:
        lines.append(f"Nævnt, men uden gyldig henvisning: {', '.join(unsupported)}.")
    lost_minority = [t.name for t in themes if t.minority and t.state == "missing"]
    if lost_minority:
        lines.append(f"Mindretalsstemmer, der forsvandt: {', '.join(lost_minority)}.")
    wrong = sum(len(t.wrong) for t in themes)
    if wrong:
        lines.append(f"{wrong} {'henvisning' if wrong == 1 else 'henvisninger'} til svarnumre passede ikke med temaet.")
    return " ".join(lines)


def invented_sentences(invented: tuple[InventedReference, ...]) -> list[str]:
    """The invented references in Danish: responses that do not exist, and real ones from another batch."""
    nowhere = [ref.number for ref in invented if not ref.exists]
    elsewhere = [ref.number for ref in invented if ref.exists]
    lines = []
    if nowhere:
        lines.append(f"Modellen opdigtede høringssvar: den henviste til svar {_listed(nowhere)}, som ikke findes.")
    if elsewhere:
        them = "det" if len(elsewhere) == 1 else "dem"
        lines.append(
            f"Modellen henviste til svar {_listed(elsewhere)} fra en anden bunke end den, den læste; "
            f"hver bunke læses for sig, så modellen kunne ikke kende {them}."
        )
    return lines


def _listed(numbers: list[int]) -> str:
    """Numbers as Danish lists them: "3", "3 og 7", "3, 7 og 12"."""
    shown = [str(n) for n in numbers]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} og {shown[-1]}"
