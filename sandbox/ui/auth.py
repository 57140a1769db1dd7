"""Workshop logins: the users file, password hashing and what each role may see.

On one person's own laptop the app needs no login (it listens on 127.0.0.1
only). In a workshop the app listens on the network, so it refuses to start
until a users file exists; each user has a role:

* ``participant``: the playground and the exercises;
* ``trainer``: also the presenter view and the queue length;
* ``compliance``: also the log tab.

Passwords are stored as scrypt hashes with a per-user random salt, never in
clear text, in ``data_dir()/users.json`` (file mode 0600). The web app checks
them off its event loop, and after failed attempts it makes the same name
and the same address wait, longer each time (:class:`Logins`).
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sandbox.errors import UserError
from sandbox.paths import data_dir

USERS_FILENAME = "users.json"
ROLES = ("participant", "trainer", "compliance")
ROLE_LABELS = {"participant": "deltager", "trainer": "underviser", "compliance": "compliance"}


def role_code(name: str) -> str:
    """A role as a person types it (``underviser``) or as stored (``trainer``) → the stored code.

    The CLI speaks Danish; users.json and older scripts keep the English
    codes, so both are accepted.
    """
    codes = {label: code for code, label in ROLE_LABELS.items()}
    code = codes.get(name.strip().lower(), name.strip().lower())
    if code not in ROLES:
        raise UserError(f"Ukendt rolle '{name}'. Vælg en af: {', '.join(ROLE_LABELS.values())}.")
    return code

# Without logins there is one person at their own computer. They choose what
# they see with ``serve --visning``: a caseworker trying things out needs
# neither the trainer's panel nor the compliance log; "alt" is every view.
LOCAL = "local"
#: ``serve --visning`` → the role whose views the one local user gets.
LOCAL_VIEWS = {"deltager": "participant", "underviser": "trainer", "compliance": "compliance", "alt": LOCAL}
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
    """The users file, read again whenever it changes, so ``legeplads users`` takes effect while the app runs.

    The web app asks it on every request (is this login's user still there,
    with the same role?), so the parsed file is kept until the file's
    identity, size or modification time changes.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / USERS_FILENAME
        # Unknown names are checked against this, so a wrong name takes as
        # long as a wrong password and does not reveal which names exist.
        self._dummy = User("", "participant", base64.b64encode(secrets.token_bytes(16)).decode(), "", **SCRYPT)
        self._cache: tuple[tuple[int, int, int], list[User]] | None = None
        self._lock = threading.Lock()

    def users(self) -> list[User]:
        """Every user, sorted by name (empty if there is no users file yet)."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise UsersFileError(f"Brugerfilen {self.path} kan ikke læses: {error.strerror}.") from None
        # The file is always replaced, never edited in place (see _write): a new inode.
        version = (info.st_ino, info.st_mtime_ns, info.st_size)
        with self._lock:
            if self._cache is not None and self._cache[0] == version:
                return list(self._cache[1])
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = sorted((User(**row) for row in data["users"]), key=lambda user: user.name)
        except FileNotFoundError:
            return []
        except OSError as error:
            raise UsersFileError(f"Brugerfilen {self.path} kan ikke læses: {error.strerror}.") from None
        except (ValueError, KeyError, TypeError):
            raise UsersFileError(
                f"Brugerfilen {self.path} er beskadiget. Slet den, og opret brugerne igen med 'legeplads users add'."
            ) from None
        with self._lock:
            self._cache = (version, users)
        return list(users)

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

    def set_role(self, name: str, role: str) -> User:
        """Give ``name`` another role (password kept); a running app ends their logins at once."""
        if role not in ROLES:
            raise UserError(f"Ukendt rolle '{role}'. Vælg en af: {', '.join(ROLES)}.")
        users = self.users()
        user = next((user for user in users if user.name == name), None)
        if user is None:
            raise UserError(f"Brugeren '{name}' findes ikke.")
        changed = User(**{**asdict(user), "role": role})
        self._write([changed if other.name == name else other for other in users])
        return changed

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


# The address of the client whose login is being checked. Gradio hands its
# ``auth`` callable only the name and the password; the web app's middleware
# (sandbox/ui/gate.py) sets this for the request it passes on.
CLIENT_ADDRESS: contextvars.ContextVar[str | None] = contextvars.ContextVar("legeplads_client_address", default=None)


class TooManyAttempts(UserError):
    """A login refused without checking the password, because of earlier failed attempts."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(1, math.ceil(seconds))
        unit = "sekund" if self.seconds == 1 else "sekunder"
        super().__init__(f"For mange forsøg – prøv igen om {self.seconds} {unit}.")


@dataclass(frozen=True)
class Backoff:
    """How long a name or an address waits after failed logins.

    The first ``free`` failures cost nothing (typing errors happen); after
    that each failure doubles the wait, from ``first_s`` up to ``cap_s``. A
    guesser from one machine, or against one name, gets a handful of tries
    an hour instead of twenty a second; the room's other logins are not
    slowed. Forgotten after ``forget_s`` without a failure, and at restart.
    """

    free: int = 3
    first_s: float = 2.0
    cap_s: float = 300.0
    forget_s: float = 3600.0

    def wait_s(self, failures: int) -> float:
        if failures <= self.free:
            return 0.0
        return min(self.cap_s, self.first_s * 2 ** (failures - self.free - 1))


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


@dataclass
class Logins:
    """Gradio's ``auth`` for the web app: the password check off the event loop, behind a back-off.

    scrypt takes ~50 ms of CPU by design; run on the event loop, every check
    stalled the whole app for everyone (``/config`` went from 7 ms to 0.6 s
    while one client sent wrong passwords). Here the checks run one at a time
    in a thread of their own: off the event loop, and never on more than one
    core, so that on a two-core laptop a burst of logins leaves the other
    core to the app and the model (twenty checks a second is plenty for a
    room). An attempt counts as failed from the moment it starts until it
    succeeds, so a burst of parallel guesses is throttled like a sequence.
    """

    store: UserStore
    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    running: int = 0  # password checks under way or waiting for the checker (for the tests and the figures)
    _failures: dict[str, _Failures] = field(default_factory=dict)
    _checker: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="legeplads-login")
    )

    async def check(self, name: str, password: str) -> bool:
        """True for the right password; raises :class:`TooManyAttempts` while a back-off lasts."""
        keys = [f"user:{name}"]
        address = CLIENT_ADDRESS.get()
        if address:
            keys.append(f"address:{address}")
        self.refuse_if_waiting(keys)
        for key in keys:
            entry = self._failures.setdefault(key, _Failures())
            entry.count += 1
            entry.last = self.clock()
        self.running += 1
        try:
            correct = await asyncio.get_running_loop().run_in_executor(self._checker, self.store.check, name, password)
        finally:
            self.running -= 1
        if correct:
            # The name's failures are forgiven; the address keeps those of other names (else a
            # guesser with a login of their own could clear them between guesses).
            self._failures.pop(keys[0], None)
            for key in keys[1:]:
                entry = self._failures.get(key)
                if entry is not None:
                    entry.count -= 1
                    if entry.count <= 0:
                        del self._failures[key]
        return correct

    def refuse_if_waiting(self, keys: list[str]) -> None:
        now = self.clock()
        self._forget_old(now)
        waits = [
            entry.last + self.backoff.wait_s(entry.count) - now
            for entry in (self._failures.get(key) for key in keys)
            if entry is not None
        ]
        longest = max(waits, default=0.0)
        if longest > 0:
            raise TooManyAttempts(longest)

    def _forget_old(self, now: float) -> None:
        stale = [key for key, entry in self._failures.items() if now - entry.last > self.backoff.forget_s]
        for key in stale:
            del self._failures[key]
