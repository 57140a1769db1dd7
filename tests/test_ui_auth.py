"""Workshop logins: the users file, its hashes, the back-off after failed logins, and ``legeplads users``."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from sandbox.cli import main
from sandbox.errors import UserError
from sandbox.ui.auth import CLIENT_ADDRESS, PERMISSIONS, Backoff, Logins, TooManyAttempts, UserStore, permissions


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    return UserStore(tmp_path / "users.json")


def test_password_is_stored_only_as_salted_hash(store: UserStore) -> None:
    store.add("anna", "trainer", "hemmelig-kode")
    store.add("bo", "participant", "hemmelig-kode")
    text = store.path.read_text(encoding="utf-8")
    assert "hemmelig-kode" not in text
    rows = json.loads(text)["users"]
    assert rows[0]["hash"] != rows[1]["hash"], "same password, different salt, different hash"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_check_accepts_only_the_right_password(store: UserStore) -> None:
    store.add("anna", "compliance", "korrekt-hest")
    assert store.check("anna", "korrekt-hest")
    assert not store.check("anna", "korrekt-hest ")
    assert not store.check("ANNA", "korrekt-hest")
    assert not store.check("ukendt", "korrekt-hest")
    assert store.role("anna") == "compliance"
    assert store.role("ukendt") is None


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("anna", "admin", "langt-nok-1", "Ukendt rolle"),
        ("an na", "trainer", "langt-nok-1", "Brugernavnet"),
        ("", "trainer", "langt-nok-1", "Brugernavnet"),
        ("bo", "trainer", "kort", "mindst 8 tegn"),
    ],
)
def test_bad_users_are_refused_in_danish(store: UserStore, name: str, role: str, password: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        store.add(name, role, password)
    assert store.users() == []


def test_duplicate_and_unknown_names(store: UserStore) -> None:
    store.add("anna", "trainer", "langt-nok-1")
    with pytest.raises(UserError, match="findes allerede"):
        store.add("anna", "participant", "langt-nok-2")
    with pytest.raises(UserError, match="findes ikke"):
        store.remove("bo")
    store.remove("anna")
    assert store.users() == []


def test_a_role_can_be_changed_and_the_password_stays(store: UserStore) -> None:
    store.add("anna", "participant", "korrekt-hest")
    store.set_role("anna", "compliance")
    assert store.role("anna") == "compliance" and store.check("anna", "korrekt-hest")
    with pytest.raises(UserError, match="Ukendt rolle"):
        store.set_role("anna", "chef")
    with pytest.raises(UserError, match="findes ikke"):
        store.set_role("bo", "trainer")


def test_damaged_file_gives_a_danish_message(store: UserStore) -> None:
    store.path.write_text("{ikke json", encoding="utf-8")
    with pytest.raises(UserError, match="beskadiget"):
        store.users()


def test_roles_see_only_their_views() -> None:
    assert permissions("participant") == frozenset()
    assert "log" in permissions("compliance") and "trainer" not in permissions("compliance")
    assert "trainer" in permissions("trainer") and "log" not in permissions("trainer")
    assert permissions(None) == frozenset() and permissions("hacker") == frozenset()
    assert set(PERMISSIONS) == {"participant", "trainer", "compliance", "local"}


def test_cli_add_list_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEGEPLADS_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    added = runner.invoke(
        main, ["users", "add", "kirsten", "--rolle", "underviser", "--password-stdin"], input="en-god-kode\n"
    )
    assert added.exit_code == 0, added.output
    assert "med rollen underviser" in added.output
    prompted = runner.invoke(main, ["users", "add", "lars", "--role", "compliance"], input="kode-1234\nkode-1234\n")
    assert prompted.exit_code == 0, prompted.output
    mismatch = runner.invoke(main, ["users", "add", "mette", "--rolle", "deltager"], input="kode-1234\nkode-9999\n")
    assert mismatch.exit_code == 1 and "ikke ens" in mismatch.output
    listed = runner.invoke(main, ["users", "list"])
    assert listed.output.splitlines() == ["kirsten  underviser", "lars  compliance"], "roles in Danish"
    assert UserStore(tmp_path / "users.json").get("kirsten").role == "trainer", "stored as the code"
    assert UserStore(tmp_path / "users.json").check("kirsten", "en-god-kode")
    bad = runner.invoke(main, ["users", "add", "nina", "--rolle", "chef", "--password-stdin"], input="en-god-kode\n")
    assert bad.exit_code == 1 and "Ukendt rolle" in bad.output and "Traceback" not in bad.output
    assert "deltager, underviser, compliance" in bad.output
    promoted = runner.invoke(main, ["users", "role", "lars", "--role", "trainer"])  # the English codes still work
    assert promoted.exit_code == 0 and "rollen underviser" in promoted.output
    assert UserStore(tmp_path / "users.json").check("lars", "kode-1234"), "the password is kept"
    unknown = runner.invoke(main, ["users", "role", "ukendt", "--role", "trainer"])
    assert unknown.exit_code == 1 and "findes ikke" in unknown.output
    removed = runner.invoke(main, ["users", "remove", "kirsten"])
    assert removed.exit_code == 0
    assert runner.invoke(main, ["users", "list"]).output.splitlines() == ["lars  underviser"]


class Clock:
    """A clock the test moves by hand, so the back-off is checked without waiting for it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempt(logins: Logins, name: str, password: str, address: str = "10.0.0.7") -> bool | str:
    """One login as the web app makes it: True/False, or the Danish back-off message."""

    async def run() -> bool:
        CLIENT_ADDRESS.set(address)
        return await logins.check(name, password)

    try:
        return asyncio.run(run())
    except TooManyAttempts as refused:
        return refused.message


def test_failed_logins_make_the_name_wait_longer_each_time_up_to_a_cap(store: UserStore) -> None:
    store.add("anna", "participant", "korrekt-hest")
    clock = Clock()
    logins = Logins(store, Backoff(free=3, first_s=2, cap_s=60), clock=clock)
    assert [attempt(logins, "anna", "forkert") for _ in range(4)] == [False] * 4, "three typing errors are free"
    assert attempt(logins, "anna", "korrekt-hest") == "For mange forsøg – prøv igen om 2 sekunder."
    clock.now += 1.5
    assert attempt(logins, "anna", "korrekt-hest") == "For mange forsøg – prøv igen om 1 sekund."
    clock.now += 0.5
    assert attempt(logins, "anna", "forkert") is False
    assert attempt(logins, "anna", "forkert") == "For mange forsøg – prøv igen om 4 sekunder."
    for _ in range(10):
        clock.now += 60
        assert attempt(logins, "anna", "forkert") is False
    assert attempt(logins, "anna", "forkert") == "For mange forsøg – prøv igen om 60 sekunder.", "capped"
    clock.now += 60
    assert attempt(logins, "anna", "korrekt-hest") is True
    assert attempt(logins, "anna", "forkert", address="10.0.0.8") is False, "a login forgives the name's failures"
    assert attempt(logins, "bo", "forkert").startswith("For mange forsøg"), "but not the address's"


def test_failed_logins_make_the_address_wait_whatever_name_it_tries(store: UserStore) -> None:
    store.add("anna", "participant", "korrekt-hest")
    logins = Logins(store, Backoff(free=2), clock=Clock())
    for name in ("bo", "carl", "dorte"):
        assert attempt(logins, name, "gæt", address="10.0.0.66") is False
    assert attempt(logins, "anna", "korrekt-hest", address="10.0.0.66").startswith("For mange forsøg")
    assert attempt(logins, "anna", "korrekt-hest", address="10.0.0.8") is True, "another machine in the room"


def test_many_logins_from_one_address_all_succeed(store: UserStore) -> None:
    """A room behind one address (NAT): right passwords never pile up as the address's failures."""
    for index in range(10):
        store.add(f"kursist{index}", "participant", "korrekt-hest")
    logins = Logins(store, Backoff(free=3), clock=Clock())
    assert [attempt(logins, f"kursist{index}", "korrekt-hest") for index in range(10)] == [True] * 10


def test_a_burst_of_parallel_guesses_is_throttled_like_a_sequence(store: UserStore) -> None:
    store.add("anna", "participant", "korrekt-hest")
    logins = Logins(store, Backoff(free=3), clock=Clock())

    async def burst() -> list[bool | BaseException]:
        CLIENT_ADDRESS.set("10.0.0.9")
        return await asyncio.gather(*(logins.check("anna", f"gæt-{i}") for i in range(20)), return_exceptions=True)

    results = asyncio.run(burst())
    assert results.count(False) == 4, "each attempt counts as failed from its start, not its end"
    assert all(isinstance(result, TooManyAttempts) for result in results if result is not False)


def test_the_users_file_is_read_again_only_when_it_changes(store: UserStore) -> None:
    """The app asks on every request; the file is parsed again only after it has changed."""
    store.add("anna", "trainer", "korrekt-hest")
    first = store.users()
    assert store.users()[0] is first[0], "unchanged file: the parsed users are reused"
    UserStore(store.path).remove("anna")  # another process: `legeplads users remove`
    assert store.users() == [] and store.role("anna") is None
    UserStore(store.path).add("anna", "compliance", "korrekt-hest")
    assert store.role("anna") == "compliance"
