"""Sandsynligheder: open the black box a crack, one token at a time.

A language model does not look anything up; at every step it has a list of
possible next pieces of text with a probability each, and draws one. This
runner shows that list for every token of one answer: what was chosen, how
likely it was, and what the model could just as well have written instead.
Places where the chosen token was unlikely are the forks where a different
seed would have taken the answer somewhere else.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass

from sandbox.backends.base import Alternative
from sandbox.exercises.runners.common import Answer, Progress, Run, percent
from sandbox.exercises.settings import SandsynlighederSettings
from sandbox.numbers import quantity
from sandbox.pipeline import Pipeline, Session

SURE, LIKELY = 0.9, 0.5
KINDS = {
    "sure": "Næsten sikkert (mindst 90 %)",
    "likely": "Sandsynligt (50–90 %)",
    "unsure": "Usikkert valg (under 50 %)",
}


@dataclass(frozen=True)
class TokenView:
    text: str
    prob: float
    alternatives: tuple[Alternative, ...]
    kind: str

    @property
    def chosen_was_top(self) -> bool:
        """False when the model drew something less likely than its favourite."""
        return all(self.prob >= alt.prob for alt in self.alternatives)


@dataclass(frozen=True)
class SandsynlighederResult:
    prompt: str
    sent: str
    answer: Answer
    tokens: tuple[TokenView, ...]
    hidden: bool
    summary: str

    @property
    def forks(self) -> tuple[int, ...]:
        """Positions of the five least likely choices: where the answer could have turned."""
        order = sorted(range(len(self.tokens)), key=lambda i: self.tokens[i].prob)
        return tuple(sorted(order[:5]))


def run(
    pipeline: Pipeline,
    session: Session,
    settings: SandsynlighederSettings,
    *,
    exercise_id: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> SandsynlighederResult:
    """One answer with the probability and the alternatives of every token."""
    job = Run(pipeline, session, 1, exercise_id, progress, cancel)
    params = settings.params(seed=settings.seed, top_logprobs=settings.top_logprobs)
    result = job.ask(settings.prompt, params, "Svar med sandsynligheder", settings.system)
    job.finish()
    # Tokens are the raw stream; if the output guard masked anything in the
    # answer, showing them would show what was masked, so they are withheld.
    joined = "".join(token.text for token in result.tokens)
    hidden = joined.strip() != result.answer.strip()
    tokens = () if hidden else tuple(_view(t.text, t.prob, t.alternatives) for t in result.tokens if t.prob is not None)
    return SandsynlighederResult(
        settings.prompt,
        result.input_guard.text,
        Answer.of(result, params),
        tokens,
        hidden,
        _summary(tokens, hidden, empty=not result.answer.strip()),
    )


def _view(text: str, prob: float, alternatives: tuple[Alternative, ...]) -> TokenView:
    kind = "sure" if prob >= SURE else "likely" if prob >= LIKELY else "unsure"
    others = tuple(alt for alt in alternatives if alt.text != text)
    return TokenView(text, prob, others, kind)


def _summary(tokens: tuple[TokenView, ...], hidden: bool, empty: bool) -> str:
    if empty:
        # With a random seed the model sometimes draws "end of answer" first: that is the lesson too.
        return (
            "Modellen svarede ikke med nogen tekst: den trak «slut på svaret» som det første. "
            "Kør øvelsen igen; et nyt tilfældigt seed giver et nyt svar."
        )
    if hidden:
        return "Svaret indeholdt persondata, som værnet maskerede, så ord-for-ord-visningen er skjult."
    if not tokens:
        return "Modellen gav ingen sandsynligheder med dette svar."
    unsure = sum(t.kind == "unsure" for t in tokens)
    not_top = sum(not t.chosen_was_top for t in tokens)
    weakest = min(tokens, key=lambda t: t.prob)
    return (
        f"{quantity(len(tokens), 'token', 'tokens')}, gennemsnitlig sandsynlighed "
        f"{percent(statistics.fmean(t.prob for t in tokens))}. "
        f"{unsure} valg var {'usikkert' if unsure == 1 else 'usikre'} (under 50 %), og "
        f"{quantity(not_top, 'gang', 'gange')} valgte modellen ikke sin egen favorit. "
        f"Det mest usikre valg var '{weakest.text.strip()}' ({percent(weakest.prob)})."
    )
