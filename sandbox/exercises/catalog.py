"""Loading the exercise data shipped with legeplads, and checking it as a whole.

Each file is checked on its own by :mod:`sandbox.exercises.schema`; what a
single file cannot know (two cards with one id, an idébank entry or a path
pointing at a card that does not exist) is checked here. ``validate()``
collects every problem instead of stopping at the first, so a trainer
editing cards sees the whole list at once.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from sandbox.errors import UserError
from sandbox.exercises.schema import Card, HearingSet, Idebank, Programme, danish_errors

HERE = Path(__file__).parent
CARDS_DIR = HERE / "cards"
DATA_DIR = HERE / "data"
IDEBANK_FILE = HERE / "idebank.toml"
PROGRAMME_FILE = HERE / "forloeb.toml"

M = TypeVar("M", bound=BaseModel)


class ExerciseDataError(UserError):
    """A card or data file is missing, is not TOML, or breaks the schema."""


def _read(path: Path, model: type[M]) -> M:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ExerciseDataError(f"Filen {path.name} kan ikke læses: {error.strerror}.") from None
    except tomllib.TOMLDecodeError as error:
        raise ExerciseDataError(f"Filen {path.name} er ikke gyldig TOML: {error}.") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = "\n  ".join(danish_errors(error))
        raise ExerciseDataError(f"Filen {path.name} følger ikke skemaet:\n  {problems}") from None


def read_card(path: Path) -> Card:
    """One card file; its name must be the card's id."""
    card = _read(path, Card)
    if path.stem != card.id:
        raise ExerciseDataError(f"Filen {path.name} skal hedde {card.id}.toml efter kortets id.")
    return card


@lru_cache(maxsize=1)
def load_cards() -> tuple[Card, ...]:
    """Every bundled card, sorted by id. Raises on the first broken file."""
    cards = tuple(read_card(path) for path in sorted(CARDS_DIR.glob("*.toml")))
    ids = [card.id for card in cards]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ExerciseDataError(f"Flere kort har samme id: {', '.join(duplicates)}.")
    return cards


def get_card(card_id: str) -> Card:
    """The card with this id, or a Danish message listing the ones that exist."""
    for card in load_cards():
        if card.id == card_id:
            return card
    known = ", ".join(card.id for card in load_cards())
    raise ExerciseDataError(f"Øvelsen '{card_id}' findes ikke. Kendte øvelser: {known}.")


def card_titles() -> dict[str, str]:
    """Every bundled card's id and title, for the views of the log, which stores only the id.

    A broken card file must not make the compliance log unreadable, so the
    titles are then left out and entries show their ids.
    """
    try:
        return {card.id: card.title for card in load_cards()}
    except ExerciseDataError:
        return {}


@lru_cache(maxsize=1)
def load_idebank() -> Idebank:
    """The report's 63 possible use cases, with links to runnable cards."""
    return _read(IDEBANK_FILE, Idebank)


@lru_cache(maxsize=1)
def load_programme() -> Programme:
    """Suggested paths per mindset and a 3-hour module plan."""
    return _read(PROGRAMME_FILE, Programme)


@lru_cache(maxsize=8)
def load_hearing(dataset: str) -> HearingSet:
    """A bundled synthetic hearing with its key (``data/<dataset>.toml``)."""
    path = DATA_DIR / f"{dataset}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in DATA_DIR.glob("*.toml")))
        raise ExerciseDataError(f"Høringen '{dataset}' findes ikke. Kendte høringer: {known}.")
    hearing = _read(path, HearingSet)
    if hearing.id != dataset:
        raise ExerciseDataError(f"Filen {path.name} skal hedde {hearing.id}.toml efter høringens id.")
    return hearing


def validate() -> list[str]:
    """Every problem in the bundled exercise data, as Danish lines (empty list: all good)."""
    problems: list[str] = []
    cards: dict[str, Card] = {}
    for path in sorted(CARDS_DIR.glob("*.toml")):
        try:
            card = read_card(path)
        except ExerciseDataError as error:
            problems.append(error.message)
            continue
        if card.id in cards:
            problems.append(f"Flere kort har id'et {card.id}.")
        cards[card.id] = card
        dataset = card.settings().model_dump().get("dataset")
        if dataset:
            try:
                load_hearing(str(dataset))
            except ExerciseDataError as error:
                problems.append(f"Kortet {card.id}: {error.message}")
    try:
        for idea in load_idebank().ideas:
            problems += [
                f"Idébankens {idea.id} peger på et kort, der ikke findes: {c}." for c in idea.cards if c not in cards
            ]
    except ExerciseDataError as error:
        problems.append(error.message)
    try:
        programme = load_programme()
        for path_ in programme.paths:
            for card_id in path_.cards:
                if card_id not in cards:
                    problems.append(f"Forløbet for {path_.mindset} peger på et kort, der ikke findes: {card_id}.")
                elif path_.mindset not in cards[card_id].mindsets:
                    problems.append(f"Kortet {card_id} står i forløbet for {path_.mindset}, men passer ikke til dem.")
        for item in programme.module.agenda:
            problems += [f"Modulplanen peger på et kort, der ikke findes: {c}." for c in item.cards if c not in cards]
    except ExerciseDataError as error:
        problems.append(error.message)
    return problems
