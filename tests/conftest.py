"""Shared fixtures: the real demo model, the real guard and a real SQLite log.

The whole test session writes into a temporary data folder, never into the
user's own log.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sandbox.pipeline import Pipeline

_DATA = tempfile.mkdtemp(prefix="legeplads-test-")
os.environ["LEGEPLADS_DATA_DIR"] = _DATA
os.environ.pop("LEGEPLADS_MODEL", None)
# Tests run on the bundled demo model even when a developer has downloaded
# real models into models/.
os.environ["LEGEPLADS_MODELS_DIR"] = tempfile.mkdtemp(prefix="legeplads-models-")


@pytest.fixture(scope="session")
def pipeline() -> Iterator[Pipeline]:
    """The real pipeline on the bundled default demo model (loaded once)."""
    from sandbox.pipeline import Pipeline

    pipe = Pipeline.open(log_path=Path(_DATA) / "shared-log.sqlite3")
    yield pipe
    pipe.close()


@pytest.fixture(scope="session")
def demo_model_path() -> Path:
    """Path of the default demo GGUF file (assembled if needed)."""
    from sandbox import models

    return models.prepare(models.demo_models()[0])
