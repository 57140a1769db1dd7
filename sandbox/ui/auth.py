"""Workshop logins: the users file, password hashing and what each role may see.

On one person's own laptop the app needs no login (it listens on 127.0.0.1
only). In a workshop the app listens on the network, so it refuses to start
until a users file exists; each user has a role:

* ``participant``: the playground and the exercises;
* ``trainer``: also the presenter view and the queue length;
* ``compliance``: also the log tab.

Passwords are stored as scrypt hashes with a per-user random salt, never in
clear text, in ``data_dir()/users.json`` (file mode 0600).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from sandbox.errors import UserError
from sandbox.paths import data_dir

USERS_FILENAME = "users.json"
ROLES = ("participant", "trainer", "compliance")
ROLE_LABELS = {"participant": "deltager", "trainer": "underviser", "compliance": "compliance"}
# Without logins there is one person at their own computer: they own the log
# and run their own sessions, so they get every view.
LOCAL = "local"
PERMISSIONS: dict[str, frozenset[str]] = {
    "participant": frozenset(),
    "trainer": frozenset({"trainer"}),
    "compliance": frozenset({"log"}),
    LOCAL: frozenset({"trainer", "log"}),
}
MIN_PASSWORD_LENGTH = 8
# scrypt at n=2**14, r=8 costs ~16 MB and ~50 ms per check: slow for a
# password guesser, unnoticeable at a login.
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"^[A-Za-z0-9ÆØÅæøå._-]{1,64}$")


class UsersFileError(UserError):
    """The users file cannot be read or written."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    salt: str
    hash: str
    n: int
    r: int
    p: int


def hash_password(password: str, salt: bytes, n: int, r: int, p: int) -> str:
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)
    return base64.b64encode(digest).decode("ascii")


class UserStore:
    """The users file: read on every call, so ``legeplads users add`` works while the app runs."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / USERS_FILENAME
        # Unknown names are checked against this, so a wrong name takes as
        # long as a wrong password and does not reveal which names exist.
        self._dummy = User("", "participant", base64.b64encode(secrets.token_bytes(16)).decode(), "", **SCRYPT)

    def users(self) -> list[User]:
        """Every user, sorted by name (empty if there is no users file yet)."""
        if not self.path.exists():
            return []
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return sorted((User(**row) for row in data["users"]), key=lambda user: user.name)
        except OSError as error:
            raise UsersFileError(f"Brugerfilen {self.path} kan ikke læses: {error.strerror}.") from None
        except (ValueError, KeyError, TypeError):
            raise UsersFileError(
                f"Brugerfilen {self.path} er beskadiget. Slet den, og opret brugerne igen med 'legeplads users add'."
            ) from None

    def get(self, name: str | None) -> User | None:
        return next((user for user in self.users() if user.name == name), None)

    def check_new(self, name: str, role: str) -> None:
        """Raise unless ``name`` is a free, valid user name and ``role`` a role (before asking for a password)."""
        if not _NAME.match(name):
            raise UserError(
                "Brugernavnet må kun bestå af bogstaver, tal, punktum, bindestreg og understreg (højst 64 tegn)."
            )
        if role not in ROLES:
            raise UserError(f"Ukendt rolle '{role}'. Vælg en af: {', '.join(ROLES)}.")
        if self.get(name) is not None:
            raise UserError(f"Brugeren '{name}' findes allerede. Fjern den først med 'legeplads users remove {name}'.")

    def add(self, name: str, role: str, password: str) -> User:
        """Create a user; the name must be new and the password long enough."""
        self.check_new(name, role)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"Adgangskoden skal være mindst {MIN_PASSWORD_LENGTH} tegn.")
        users = self.users()
        salt = secrets.token_bytes(16)
        user = User(
            name, role, base64.b64encode(salt).decode("ascii"), hash_password(password, salt, **SCRYPT), **SCRYPT
        )
        self._write([*users, user])
        return user

    def remove(self, name: str) -> None:
        users = self.users()
        if not any(user.name == name for user in users):
            raise UserError(f"Brugeren '{name}' findes ikke.")
        self._write([user for user in users if user.name != name])

    def check(self, name: str, password: str) -> bool:
        """True if ``password`` is ``name``'s password (gradio's ``auth`` callable)."""
        user = self.get(name)
        candidate = user or self._dummy
        computed = hash_password(password, base64.b64decode(candidate.salt), candidate.n, candidate.r, candidate.p)
        return user is not None and hmac.compare_digest(computed, user.hash)

    def role(self, name: str | None) -> str | None:
        user = self.get(name)
        return user.role if user else None

    def _write(self, users: list[User]) -> None:
        """Replace the file atomically, readable by its owner only."""
        text = json.dumps({"users": [asdict(user) for user in users]}, ensure_ascii=False, indent=2)
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text + "\n")
            os.replace(temporary, self.path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise UsersFileError(f"Brugerfilen {self.path} kan ikke skrives: {error.strerror}.") from None


def permissions(role: str | None) -> frozenset[str]:
    """What a role may see beyond the playground and the exercises (nothing for unknown roles)."""
    return PERMISSIONS.get(role or "", frozenset())


def role_for(store: UserStore | None, username: str | None) -> str | None:
    """The role of whoever is logged in: :data:`LOCAL` when the app runs without logins."""
    return LOCAL if store is None else store.role(username)


def can(store: UserStore | None, username: str | None, permission: str) -> bool:
    """Whether whoever is logged in as ``username`` may use ``permission`` ("trainer", "log")."""
    return permission in permissions(role_for(store, username))
