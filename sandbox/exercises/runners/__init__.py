"""The runners: the mechanics that make each phenomenon visible.

One module per runner, each with ``run(pipeline, session, settings, ...)``
returning a frozen dataclass the UI renders. :func:`run_card` runs a card
with its own settings, or with settings and material the participant has
changed on screen. Runner modules are imported on first use, so listing and
validating cards never loads the model stack.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from sandbox.errors import UserError
from sandbox.exercises.schema import Card
from sandbox.exercises.settings import RUNNER_SETTINGS, RunnerSettings

# Runners that work on the card's material (the text a participant may edit).
USES_MATERIAL = frozenset({"laesbarhed", "privatliv", "selvtjek"})


def run_card(
    card: Card,
    pipeline: Any,
    session: Any,
    *,
    settings: RunnerSettings | None = None,
    material: str | None = None,
    progress: Any = None,
    cancel: threading.Event | None = None,
) -> Any:
    """Run ``card`` through the pipeline and return its runner's result.

    ``settings`` and ``material`` default to the card's own; the UI passes
    changed copies (``card.settings().model_copy(update=...)`` is not
    re-validated, so build changed settings with ``model_validate``).
    """
    settings = card.settings() if settings is None else settings
    if not isinstance(settings, RUNNER_SETTINGS[card.runner.name]):
        raise UserError(f"Indstillingerne passer ikke til øvelsen '{card.title}'.")
    extra: dict[str, str] = {}
    if card.runner.name in USES_MATERIAL:
        extra["material"] = card.material.text if material is None else material
    module = importlib.import_module(f"sandbox.exercises.runners.{card.runner.name}")
    return module.run(pipeline, session, settings, exercise_id=card.id, progress=progress, cancel=cancel, **extra)
