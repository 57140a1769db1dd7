"""Where legeplads keeps its files on this machine.

One place decides the data folder so that the log, the assembled demo model
and the users file never end up in different places.
"""

import os
from pathlib import Path

import platformdirs

DATA_DIR_ENV = "LEGEPLADS_DATA_DIR"


def data_dir() -> Path:
    """The data folder: ``$LEGEPLADS_DATA_DIR`` or the platform's user data folder."""
    configured = os.environ.get(DATA_DIR_ENV)
    path = Path(configured) if configured else Path(platformdirs.user_data_dir("legeplads", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Rebuildable files (the assembled demo model, model hashes): the user cache folder."""
    path = Path(platformdirs.user_cache_dir("legeplads", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
