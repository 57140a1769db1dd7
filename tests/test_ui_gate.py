"""Workshop mode over plain HTTP, as a careless participant or a guesser would use it.

A real app on 127.0.0.1 with logins (the same gate as on the room's
network), driven with httpx and gradio_client: the Log tab's handlers
called directly, files fetched by URL, logins after a user was removed,
uploads, and a burst of wrong passwords while others work.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from gradio_client import Client
from ui_server import running_app

from sandbox.cli import main
from sandbox.pipeline import Pipeline
from sandbox.ui.auth import Backoff, Logins, UserStore
from sandbox.ui.files import temp_root

PASSWORD = "hemmelig-kode"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> UserStore:
    users = UserStore(tmp_path_factory.mktemp("gate") / "users.json")
    for name, role in (("deltager", "participant"), ("revisor", "compliance"), ("underviser", "trainer")):
        users.add(name, role, PASSWORD)
    return users


@pytest.fixture(scope="module")
def app(pipeline: Pipeline, store: UserStore) -> Iterator[tuple[str, Any]]:
    with running_app(pipeline, users=store) as running:
        yield running


@contextlib.contextmanager
def logged_in(url: str, name: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    """An HTTP client with ``name``'s login cookie, as a browser has after logging in."""
    with httpx.Client(base_url=url, timeout=120) as http:
        assert http.post("login", data={"username": name, "password": password}).status_code == 200
        yield http


def fn_index(http: httpx.Client, name: str) -> int:
    """The id of the app's event handler ``name``, as the browser sends it."""
    [dependency] = [d for d in http.get("config").json()["dependencies"] if d["api_name"] == name]
    return dependency["id"]


def call(http: httpx.Client, handler: str | int, data: list[Any], session: str | None = None) -> dict[str, Any]:
    """Call a handler (name or id) the way the browser does: queue/join, then the event stream; its last message.

    ``session`` is the browser tab (gradio's session hash); a new tab by default.
    """
    session = session or secrets.token_hex(8)
    index = handler if isinstance(handler, int) else fn_index(http, handler)
    body = {"data": data, "fn_index": index, "session_hash": session, "event_data": None}
    joined = http.post("gradio_api/queue/join", json=body)
    if joined.status_code != 200:
        return {"status": joined.status_code}
    with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the event stream ended without a result")


def export(http: httpx.Client) -> dict[str, Any]:
    return call(http, "on_export", ["csv", "", ""])


def test_a_participant_calling_the_log_tabs_handlers_is_refused(app: tuple[str, Any]) -> None:
    url, _ = app
    with logged_in(url, "deltager") as participant, logged_in(url, "underviser") as trainer:
        for http in (participant, trainer):
            for handler, data in (("on_export", ["csv", "", ""]), ("on_show", ["", "", "", "", ""]), ("on_verify", [])):
                result = call(http, handler, data)
                assert result["success"] is False, (handler, result)
                assert "kun ses af brugere med rollen compliance" in json.dumps(result, ensure_ascii=False)
    client = Client(url, auth=("deltager", PASSWORD), verbose=False)
    with pytest.raises(ValueError):  # not offered to API clients at all
        client.predict("csv", "", "", api_name="/on_export")


def test_a_compliance_user_gets_the_export_and_only_they_can_fetch_it_once(app: tuple[str, Any]) -> None:
    url, _ = app
    with logged_in(url, "revisor") as reviewer, logged_in(url, "deltager") as participant:
        result = export(reviewer)
        assert result["success"] is True, result
        file = result["output"]["data"][0]
        path = Path(file["path"])
        assert path.name.startswith("legeplads-log-") and path.suffix == ".csv"
        assert path.is_relative_to(temp_root()), "in the data folder, not the shared $TMPDIR/gradio"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(temp_root().stat().st_mode) == 0o700
        address = f"gradio_api/file={path}"
        assert participant.get(address).status_code == 404, "another login never gets it"
        with logged_in(url, "revisor") as same_user_other_login:
            assert same_user_other_login.get(address).status_code == 404, "nor another session of the same user"
        assert httpx.get(url + address).status_code == 401
        downloaded = reviewer.get(address)
        assert downloaded.status_code == 200 and downloaded.content.decode("utf-8-sig").startswith("Nr.;")
        assert downloaded.headers["cache-control"] == "no-store", "the browser keeps no copy of the log"
        assert not path.exists() and not path.parent.exists(), "deleted once downloaded"
        assert reviewer.get(address).status_code == 404


def test_exports_go_at_log_out(app: tuple[str, Any]) -> None:
    url, _ = app
    with logged_in(url, "revisor") as reviewer:
        path = Path(export(reviewer)["output"]["data"][0]["path"])
        assert path.exists()
        reviewer.get("logout")
        assert not path.parent.exists()


def test_without_a_login_every_route_answers_401(app: tuple[str, Any]) -> None:
    url, _ = app
    with httpx.Client(base_url=url, timeout=60) as anonymous:
        for route in (
            "config",
            "gradio_api/info",
            "gradio_api/openapi.json",
            "gradio_api/queue/data?session_hash=abc",
            "gradio_api/heartbeat/abc",
            f"gradio_api/file={temp_root() / 'lp-x' / 'a.csv'}",
            "gradio_api/file=/etc/passwd",
            "gradio_api/upload_progress?upload_id=x",
            "gradio_api/call/send/abc",
        ):
            assert anonymous.get(route).status_code == 401, route
        for route, body in (
            ("gradio_api/queue/join", {"data": [], "fn_index": 0, "session_hash": "abc"}),
            ("gradio_api/run/forhaandsvis", {"data": ["Hej"]}),
            ("gradio_api/cancel", {"session_hash": "abc", "fn_index": 0, "event_id": "x"}),
            ("gradio_api/reset", {"session_hash": "abc", "fn_index": 0, "event_id": "x"}),
        ):
            assert anonymous.post(route, json=body).status_code == 401, route
        upload = anonymous.post("gradio_api/upload", files={"files": ("a.txt", b"x" * 1000)})
        assert upload.status_code == 401
        page = anonymous.get("")
        assert page.status_code == 200 and 'lang = "da"' in page.text, "the (Danish) login page"
        assert page.headers["x-frame-options"] == "DENY", "never inside another site's frame"
        assert page.headers["x-content-type-options"] == "nosniff"


def test_uploads_and_huge_bodies_are_refused_even_when_logged_in(app: tuple[str, Any]) -> None:
    url, _ = app
    with logged_in(url, "deltager") as participant:
        upload = participant.post("gradio_api/upload", files={"files": ("stor.bin", b"\0" * (5 * 1024 * 1024))})
        assert upload.status_code == 403 and "tager ikke imod filer" in upload.json()["detail"]
        huge = participant.post("gradio_api/queue/join", content=b"{" + b" " * (3 * 1024 * 1024) + b"}")
        assert huge.status_code == 413 and "for stort" in huge.json()["detail"]
    assert not any(temp_root().rglob("stor.bin"))


def test_a_removed_user_loses_access_at_once(app: tuple[str, Any], store: UserStore) -> None:
    url, _ = app
    store.add("vikar", "participant", PASSWORD)
    with logged_in(url, "vikar") as substitute:
        assert substitute.get("config").status_code == 200
        preview = fn_index(substitute, "forhaandsvis")
        assert call(substitute, preview, ["Hej Mette Hansen", None])["success"] is True
        removed = CliRunner().invoke(
            main, ["users", "remove", "vikar"], env={"LEGEPLADS_DATA_DIR": str(store.path.parent)}
        )
        assert removed.exit_code == 0, removed.output
        assert substitute.get("config").status_code == 401
        assert call(substitute, preview, ["Hej Mette Hansen", None]) == {"status": 401}
        store.add("vikar", "participant", "en-ny-kode-1")
        assert substitute.get("config").status_code == 401, "the old login stays ended when the name returns"
    with logged_in(url, "vikar", "en-ny-kode-1") as again:
        assert again.get("config").status_code == 200


def test_a_new_role_takes_effect_at_once(app: tuple[str, Any], store: UserStore) -> None:
    url, _ = app
    store.add("kontrol", "compliance", PASSWORD)
    with logged_in(url, "kontrol") as reviewer:
        assert export(reviewer)["success"] is True
        store.set_role("kontrol", "participant")
        assert reviewer.get("config").status_code == 401, "logged out: the views were the old role's"
    with logged_in(url, "kontrol") as participant:
        assert export(participant)["success"] is False


def test_wrong_passwords_do_not_stall_the_app_for_others(pipeline: Pipeline, tmp_path: Path) -> None:
    """Fifty wrong logins at once, and another person's page still loads while they are checked.

    The checks used to run on the event loop (~50 ms of scrypt each), one
    after another, with everything else waiting. The back-off would stop
    this burst after three tries; it is set high here, because the point is
    the password check itself (thirty participants logging in at 9:00).
    """
    store = UserStore(tmp_path / "users.json")
    store.add("kursist1", "participant", PASSWORD)
    logins = Logins(store, Backoff(free=1000))
    with running_app(pipeline, users=store, logins=logins) as (url, _), logged_in(url, "kursist1") as other:
        finished = threading.Semaphore(0)
        done: list[int] = []

        def guess(index: int) -> int:
            status = httpx.post(url + "login", data={"username": "kursist1", "password": f"gæt-{index}"}, timeout=300)
            done.append(status.status_code)
            finished.release()
            return status.status_code

        with ThreadPoolExecutor(max_workers=50) as pool:
            statuses = [pool.submit(guess, index) for index in range(50)]
            while logins.running < 2:  # two checks under way at once: they are off the event loop
                assert len(done) < 50, "the checks ran one at a time"
                finished.acquire(timeout=0.05)
            assert other.get("config").status_code == 200
            answered_during = len(done)
            results = [future.result() for future in statuses]
        assert answered_during < 50, "the page loaded while wrong passwords were still being checked"
        assert results == [400] * 50


def test_nulstil_deletes_the_tabs_learning_log_file(app: tuple[str, Any]) -> None:
    url, _ = app
    tab = secrets.token_hex(8)
    with logged_in(url, "deltager") as participant:
        entry = ["privatliv-journalnotat", "Notatet om [CPR_1].", "Maskeret.", "", None]
        saved = call(participant, "on_save", entry, session=tab)
        assert saved["success"] is True, saved
        path = Path(saved["output"]["data"][-1]["value"]["path"])
        assert path.name.startswith("laeringslog-") and path.is_relative_to(temp_root())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with logged_in(url, "revisor") as reviewer:
            assert reviewer.get(f"gradio_api/file={path}").status_code == 404, "a learning log is its writer's"
        other_tab = call(participant, "on_reset", [None, True], session=secrets.token_hex(8))
        assert other_tab["success"] is True and path.exists(), "another tab's Nulstil leaves it"
        assert call(participant, "on_reset", [None, True], session=tab)["success"] is True
        assert not path.parent.exists()
