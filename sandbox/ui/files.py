"""Files the app makes for one person to download: private, owned, and gone after use.

Left to itself, gradio copies a file a handler returns into a temp folder
shared by every gradio app on the computer (``$TMPDIR/gradio``), readable
by every local user (0644 in 0755 folders), serves it to anyone logged in
who has its URL (a participant fetched the compliance user's log export),
and keeps it after the app has stopped. Here:

* Gradio's temp folder is ``tmp`` in the data folder, 0700, emptied when
  ``legeplads serve`` starts.
* A log export or a learning log is written straight into a folder of its
  own there (0700, the file 0600), named with 128 random bits and
  registered to the login and the browser tab that asked for it. The web
  app's gate (:mod:`sandbox.ui.gate`) serves it to that login only and
  deletes it once it has been downloaded.
* "Nulstil" deletes the tab's files, "Log ud" the login's.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sandbox.paths import data_dir

TEMP_FOLDER = "tmp"
PREFIX = "lp-"


@dataclass(frozen=True)
class Owner:
    """Who may fetch a file: a login (its session cookie) and the browser tab it was made in."""

    token: str | None  # None without logins: one person at their own computer
    tab: str | None


def temp_root() -> Path:
    return data_dir() / TEMP_FOLDER


def use_private_temp(*, empty: bool = False) -> Path:
    """Make gradio keep its files in :func:`temp_root` (call before any ``gr.Blocks`` is made).

    ``empty`` deletes whatever an earlier run left there (exports and
    learning logs not yet downloaded when the app stopped).
    """
    root = temp_root()
    if empty:
        shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root.chmod(0o700)
    os.environ["GRADIO_TEMP_DIR"] = str(root)
    return root


class Downloads:
    """The files waiting to be downloaded, each in its own folder, and whose each one is."""

    def __init__(self) -> None:
        self._owners: dict[str, Owner] = {}
        self._lock = threading.Lock()

    def new_file(self, owner: Owner, filename: str) -> Path:
        """A fresh path for ``owner``'s file ``filename``; write it with :meth:`open`."""
        name = PREFIX + secrets.token_hex(16)
        folder = use_private_temp() / name
        folder.mkdir(mode=0o700)
        with self._lock:
            self._owners[name] = owner
        return folder / filename

    @staticmethod
    def open(path: Path) -> BinaryIO:
        """Create ``path`` readable by this user only (whatever the umask)."""
        return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")

    def folder_of(self, path: str) -> str | None:
        """The download folder ``path`` lies in, if it is one of ours (registered or not)."""
        try:
            relative = Path(path).resolve().relative_to(temp_root().resolve())
        except ValueError:
            return None
        first = relative.parts[0] if relative.parts else ""
        return first if first.startswith(PREFIX) else None

    def may_fetch(self, folder: str, token: str | None) -> bool:
        with self._lock:
            owner = self._owners.get(folder)
        return owner is not None and owner.token == token

    def discard(self, folder: str) -> None:
        with self._lock:
            self._owners.pop(folder, None)
        shutil.rmtree(temp_root() / folder, ignore_errors=True)

    def discard_for(self, *, token: str | None = None, tab: str | None = None) -> None:
        """Delete every file of a login (``token``) or of a browser tab (``tab``)."""
        with self._lock:
            folders = [
                name
                for name, owner in self._owners.items()
                if (token is not None and owner.token == token) or (tab is not None and owner.tab == tab)
            ]
        for name in folders:
            self.discard(name)


# One per process: the gate and the tabs that make files must share it.
DOWNLOADS = Downloads()
