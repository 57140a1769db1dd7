"""What to do with each type of personal data: redact it, block the prompt, or let it pass.

The default redacts everything. Blocking is for organisations that would
rather refuse a prompt with, say, a CPR number than send it even redacted;
allowing is for types a team has decided are harmless in its exercises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import get_args

from sandbox.errors import UserError
from sandbox.guards.result import ENTITY_TYPES, Action

ACTIONS: tuple[str, ...] = get_args(Action)


@dataclass(frozen=True)
class GuardPolicy:
    """Action per entity type; types not named get ``default``."""

    actions: Mapping[str, Action] = field(default_factory=dict)
    default: Action = "redact"

    def __post_init__(self) -> None:
        for entity_type, action in self.actions.items():
            if entity_type not in ENTITY_TYPES:
                raise UserError(
                    f"Ukendt type i værnets politik: {entity_type!r}. "
                    f"Kendte typer: {', '.join(ENTITY_TYPES)}."
                )
            _check_action(action, f"typen {entity_type}")
        _check_action(self.default, "standardhandlingen")
        # Frozen all the way down: a policy in force must not change under a running guard.
        object.__setattr__(self, "actions", MappingProxyType(dict(self.actions)))

    def action_for(self, entity_type: str) -> Action:
        return self.actions.get(entity_type, self.default)

    def as_dict(self) -> dict:
        """Every type with its action, for the configuration hash and the log."""
        return {"default": self.default, "actions": {t: self.action_for(t) for t in ENTITY_TYPES}}


def _check_action(action: object, what: str) -> None:
    if action not in ACTIONS:
        raise UserError(
            f"Ugyldig handling for {what}: {action!r}. Vælg en af: redact (erstat), block (afvis), allow (tillad)."
        )
