"""Every card's material, through the real guard, still holds what the exercise is about.

The guard runs before the model. If it masks an invented scheme's name, a
department or a signature, the model never sees what the exercise asks it
to work on, and the result blames the model for the guard's doing. A card
lists those words in ``[material] keep``; this file sends the card's own
prompts through the real guard (no model needed) and checks they survive.
"""

from __future__ import annotations

import pytest

from sandbox.exercises import load_cards
from sandbox.exercises.schema import Card
from sandbox.exercises.settings import MATERIAL, ParSettings, fill
from sandbox.guards import Guard, Vault

CARDS = load_cards()


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard()


def prompts(card: Card) -> list[str]:
    """The texts the card's runner sends to the model, with the card's own material in place."""
    settings = card.settings()
    if isinstance(settings, ParSettings):
        return [settings.prompt_for(variant) for variant in settings.variants]
    texts = [getattr(settings, name, None) for name in ("prompt", "question", "instruction")]
    filled = [fill(text, {MATERIAL: card.material.text}) for text in texts if isinstance(text, str)]
    return filled or [card.material.text]


def test_the_cards_the_review_found_say_what_they_depend_on() -> None:
    keeps = {card.id: card.material.keep for card in CARDS}
    assert "grøn cykelcheck" in keeps["hallucination-ordning"]
    assert "Affald og Genbrug" in keeps["laesbarhed-webtekst"]
    assert "Ledergruppen" in keeps["mail-forste-skridt"]


@pytest.mark.parametrize("card", [card for card in CARDS if card.material.keep], ids=lambda card: card.id)
def test_the_guard_keeps_the_words_the_exercise_depends_on(guard: Guard, card: Card) -> None:
    sent = prompts(card)
    for word in card.material.keep:
        assert any(word in text for text in sent), f"'{word}' is not in what {card.id} sends"
        kept = [guard.check(text, Vault()).text for text in sent if word in text]
        assert all(word in text for text in kept), f"the guard masks '{word}' in {card.id}: {kept}"
