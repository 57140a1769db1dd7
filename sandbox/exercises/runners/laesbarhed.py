"""Læsbarhed: rewrite a letter in plain language and measure whether it got easier.

LIX before and after, with its two parts (words per sentence and the share
of long words) and the Danish band, so participants see whether the model
shortened sentences, swapped long words, or neither. Long words are marked
in both texts.

LIX only counts sentence and word length, so an answer that loops on one
phrase, stops at the token limit, copies the original, or drops the
deadline, the amount or the addressee can score "easy". Such flaws are
named first (:func:`flaws`), and a flawed answer gets no verdict on the
goal at all: a plain letter that drops the amount is worse than a heavy
one. Numbers the guard masked do not count as missing (the model saw a
placeholder, not the digits), but a placeholder the model saw and left
out does. An empty answer is said to be empty; it has a LIX of 0, which
must never read as the goal reached.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sandbox.errors import UserError
from sandbox.exercises.measures import Lix, ends_mid_sentence, lix, long_word_ranges, numbers, repetition, similarity
from sandbox.exercises.runners.common import Answer, Progress, Run, Span, percent, spans_over
from sandbox.exercises.settings import MATERIAL, LaesbarhedSettings, fill
from sandbox.numbers import decimal, quantity
from sandbox.pipeline import Pipeline, Result, Session

LONG_WORD = "Langt ord (over seks bogstaver)"
# A rewrite this close to the original (similarity of the words in order) was not rewritten.
COPIED = 0.9


@dataclass(frozen=True)
class Flaw:
    """Something wrong with the rewrite that LIX cannot see.

    ``message`` is the Danish warning; ``reason`` the same in a few words,
    to say why there is no verdict ("… fordi svaret gentager sig selv").
    """

    kind: str
    message: str
    reason: str


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
    lost_names: tuple[str, ...]  # masked values whose placeholder the rewrite left out (own screen only)
    flaws: tuple[Flaw, ...]
    summary: str

    @property
    def empty(self) -> bool:
        """The model answered nothing (or only whitespace): there is no rewrite to measure."""
        return not self.rewritten.strip()

    @property
    def reached(self) -> bool | None:
        """Whether the rewrite is at or under the target LIX; ``None`` when it is empty or flawed (no verdict)."""
        return None if self.empty or self.flaws else self.after.rounded <= self.target_lix


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
    lost_names = _lost_names(result, prompt) if rewritten.strip() else ()
    found_flaws = flaws(material, rewritten, result.finish_reason, settings.max_tokens, lost, lost_names)
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
        lost_names,
        found_flaws,
        summary(before, rewritten, settings.target_lix, found_flaws, masked, lost_names),
    )


def _lost_names(result: Result, prompt: str) -> tuple[str, ...]:
    """Values the guard masked whose placeholder the answer leaves out.

    The model saw "[PERSON_1]", not the name, so a letter without it has
    lost its addressee by the model's doing. A placeholder shared by several
    values ("Rikke Thygesen", later "Thygesen") is named by the first.
    """
    dropped: dict[str, str] = {}
    for entity in result.input_guard.entities:
        if entity.placeholder and entity.placeholder not in result.answer:
            dropped.setdefault(entity.placeholder, prompt[entity.start : entity.end])
    return tuple(dict.fromkeys(dropped.values()))


def _marked(text: str) -> tuple[Span, ...]:
    return spans_over(text, ((start, end, "long", LONG_WORD, None) for start, end in long_word_ranges(text)))


def flaws(
    original: str,
    rewritten: str,
    finish_reason: str,
    max_tokens: int,
    lost_numbers: tuple[str, ...],
    lost_names: tuple[str, ...],
) -> tuple[Flaw, ...]:
    """What is wrong with a rewrite before its LIX means anything, in the order a reader should check it.

    A loop, a cut-off answer and a copy are each a reason LIX misleads (a
    loop of short sentences is "easy"; a copy is as heavy as the original
    and teaches nothing about rewriting); lost numbers and names make a
    letter wrong however easy it reads. An empty rewrite has no flaws: it is
    reported as empty.
    """
    if not rewritten.strip():
        return ()
    found: list[Flaw] = []
    loop = repetition(rewritten)
    if loop:
        found.append(
            Flaw(
                "repetition",
                f"Svaret gentager sig selv: «{loop.phrase}» står der {loop.times} gange "
                f"({percent(loop.share)} af ordene).",
                "gentager sig selv",
            )
        )
    broken = ends_mid_sentence(rewritten)
    if finish_reason == "length":
        where = ", midt i en sætning" if broken else ""
        found.append(
            Flaw(
                "cut_off",
                f"Svaret blev afbrudt{where}: modellen nåede grænsen på {max_tokens} tokens. Giv den flere tokens.",
                "blev afbrudt",
            )
        )
    elif broken:
        found.append(Flaw("cut_off", "Svaret slutter midt i en sætning.", "slutter midt i en sætning"))
    alike = similarity(original, rewritten)
    if alike >= COPIED:
        found.append(
            Flaw(
                "copy",
                f"Svaret er næsten en kopi af originalen ({percent(alike)} ens): modellen har ikke skrevet teksten om.",
                "er en kopi af originalen",
            )
        )
    if lost_numbers:
        found.append(
            Flaw(
                "lost_numbers",
                f"Tal fra originalen mangler i omskrivningen: {', '.join(lost_numbers)}. Tjek frister og beløb.",
                "mangler tal fra originalen",
            )
        )
    if lost_names:
        found.append(
            Flaw(
                "lost_names",
                # A count only: the summary reaches the command line and the projector, the names do not.
                f"{quantity(len(lost_names), 'navn eller oplysning', 'navne eller oplysninger')}, som værnet gav "
                "en pladsholder, mangler i omskrivningen.",
                "mangler navne eller oplysninger fra originalen",
            )
        )
    return tuple(found)


def goal_verdict(target: int, flaws: tuple[Flaw, ...], after: Lix) -> str:
    """The goal and whether it was reached, or why there is no verdict: LIX cannot vouch for a flawed answer."""
    if flaws:
        return (
            f"Målet var højst {target}, men svaret får ingen vurdering, fordi det {_and([f.reason for f in flaws])}: "
            "LIX måler kun længden af sætninger og ord, ikke om teksten er hel, ny og rigtig."
        )
    return f"Målet var højst {target}: " + ("nået." if after.rounded <= target else "ikke nået.")


def summary(
    before: Lix,
    rewritten: str,
    target: int,
    flaws: tuple[Flaw, ...],
    masked: tuple[str, ...],
    lost_names: tuple[str, ...] = (),
) -> str:
    """The result in Danish sentences: what is wrong with the answer first, then LIX before and after and the goal.

    ``masked``: numbers the guard replaced (the model never saw the digits);
    ``lost_names``: masked values whose placeholder the answer dropped. A
    masked number is not a lost number, but its placeholder can still be
    lost, and the two sentences must not contradict each other.
    """
    if not rewritten.strip():
        return (
            f"Modellen svarede ikke med nogen tekst, så der er intet at måle. Originalen har LIX {before.rounded} "
            f"({before.band.label.lower()}). Kør øvelsen igen, eller giv modellen flere tokens."
        )
    after = lix(rewritten)
    lines = [flaw.message for flaw in flaws]
    lines += [
        f"LIX gik fra {before.rounded} ({before.band.label.lower()}) til {after.rounded} ({after.band.label.lower()}).",
        f"Ord pr. sætning: {decimal(before.words_per_sentence, 1)} → {decimal(after.words_per_sentence, 1)}. "
        f"Lange ord: {before.long_word_percent:.0f} % → {after.long_word_percent:.0f} %.",
        goal_verdict(target, flaws, after),
    ]
    if masked:
        count = "ét tal" if len(masked) == 1 else f"{len(masked)} tal"
        dropped = sum(value in lost_names for value in masked)
        if not dropped:
            fate = "Pladsholderen står i omskrivningen, så tallet vises igen på din egen skærm."
            if len(masked) > 1:
                fate = "Pladsholderne står i omskrivningen, så tallene vises igen på din egen skærm."
        elif dropped == len(masked):
            fate = f"Men {'pladsholderen' if dropped == 1 else 'pladsholderne'} mangler i omskrivningen (se ovenfor)."
        else:
            fate = f"Men {dropped} af pladsholderne mangler i omskrivningen (se ovenfor)."
        lines.append(
            f"Værnet maskerede {count} (fx et telefonnummer), før modellen så teksten, så modellen så kun en "
            f"pladsholder; derfor regnes cifrene ikke som tal, modellen har tabt. {fate}"
        )
    return " ".join(lines)


def _and(items: list[str]) -> str:
    """Danish enumeration: "a", "a og b", "a, b og c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} og {items[-1]}"
