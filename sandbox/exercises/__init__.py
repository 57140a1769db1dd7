"""Exercises: cards as data, runners that make the phenomena visible, and the learning log."""

from sandbox.exercises.catalog import (
    card_titles,
    get_card,
    load_cards,
    load_hearing,
    load_idebank,
    load_programme,
    validate,
)
from sandbox.exercises.schema import Card

__all__ = [
    "Card",
    "card_titles",
    "get_card",
    "load_cards",
    "load_hearing",
    "load_idebank",
    "load_programme",
    "validate",
]
