"""Workshop mode: refused without logins, and with logins nothing works before a login.

The network case is tested on 127.0.0.1 with the same ``auth`` the app uses
on 0.0.0.0, so the test never opens a port to the network.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from gradio_client import Client
from gradio_client.exceptions import AuthenticationError
from ui_server import free_port, running_app

from sandbox.cli import main
from sandbox.errors import UserError
from sandbox.pipeline import Pipeline
from sandbox.ui.auth import UserStore, can
from sandbox.ui.server import address, is_loopback, workshop_users


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_no_login(host: str, tmp_path: Path) -> None:
    assert is_loopback(host)
    assert workshop_users(host, UserStore(tmp_path / "users.json")) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "legeplads.kommune.dk"])
def test_network_host_without_users_is_refused_in_danish(host: str, tmp_path: Path) -> None:
    assert not is_loopback(host)
    with pytest.raises(UserError, match="ingen logins") as refused:
        workshop_users(host, UserStore(tmp_path / "users.json"))
    assert "legeplads users add" in refused.value.message


def test_serve_on_all_interfaces_refuses_before_loading_a_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEGEPLADS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEGEPLADS_MODEL", str(tmp_path / "findes-ikke.gguf"))
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 1
    assert "ingen logins" in result.output and "Traceback" not in result.output


def test_network_host_with_a_user_is_allowed(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("kursist1", "participant", "hemmelig-kode")
    assert workshop_users("0.0.0.0", store) is store


def test_roles_are_checked_by_name_on_the_server(tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("deltager", "participant", "hemmelig-kode")
    store.add("revisor", "compliance", "hemmelig-kode")
    store.add("underviser", "trainer", "hemmelig-kode")
    assert can(store, "revisor", "log") and not can(store, "deltager", "log") and not can(store, "underviser", "log")
    assert can(store, "underviser", "trainer") and not can(store, "deltager", "trainer")
    assert not can(store, None, "log") and not can(store, "fjernet", "log")
    assert can(None, None, "log") and can(None, None, "trainer"), "without logins: one person, all views"


def test_with_users_every_request_needs_a_login(pipeline: Pipeline, tmp_path: Path) -> None:
    store = UserStore(tmp_path / "users.json")
    store.add("kursist1", "participant", "hemmelig-kode")
    with running_app(pipeline, users=store) as (url, _):
        with httpx.Client(base_url=url, timeout=60) as http:
            login_page = http.get("")
            assert login_page.status_code == 200 and 'lang = "da"' in login_page.text, "the Danish words, before login"
            assert int(login_page.headers["content-length"]) == len(login_page.content)
            assert http.get("config").status_code == 401
            assert http.get("gradio_api/info").status_code == 401
            assert http.post("login", data={"username": "kursist1", "password": "forkert-kode"}).status_code == 400
            assert http.post("login", data={"username": "ukendt", "password": "hemmelig-kode"}).status_code == 400
            assert http.get("config").status_code == 401
            assert http.post("login", data={"username": "kursist1", "password": "hemmelig-kode"}).status_code == 200
            assert http.get("config").status_code == 200
        with pytest.raises(AuthenticationError):
            Client(url, verbose=False)
        client = Client(url, auth=("kursist1", "hemmelig-kode"), verbose=False)
        update, _ = client.predict("Hej Mette Hansen", api_name="/forhaandsvis")
        assert any(piece["token"] == "[PERSON_1]" for piece in update["value"])


def test_security_defaults_of_a_running_app(pipeline: Pipeline) -> None:
    with running_app(pipeline) as (url, demo):
        assert url.startswith("http://127.0.0.1:")
        assert demo.share is False and demo.share_url is None
        assert demo.analytics_enabled is False and os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
        assert demo.run_history is False, "no run history kept in the browser"
        with httpx.Client(base_url=url, timeout=60) as http:
            assert http.get("monitoring").status_code in (403, 404)
            assert http.get("gradio_api/mcp/schema").status_code in (403, 404)
            config = http.get("config").json()
        assert "footer_links" not in config or config["footer_links"] == []
        states = [c for c in config["components"] if c.get("type") == "state"]
        assert states and all("value" not in c.get("props", {}) for c in states), (
            "session state never goes to the browser"
        )


def test_legeplads_serve_starts_on_loopback_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LEGEPLADS_DATA_DIR": str(tmp_path)}
    leftover = tmp_path / "tmp" / "lp-0123" / "legeplads-log-20260101-120000.csv"  # from a run that was killed
    leftover.parent.mkdir(parents=True)
    leftover.write_text("Nr.;Prompt\n", encoding="utf-8")
    server = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the app did not answer within 5 minutes"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/config", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        config = httpx.get(f"http://127.0.0.1:{port}/config", timeout=30).json()
        assert config["title"] == "Legeplads"
        assert not leftover.exists(), "exports left by an earlier run are deleted at start-up"
        assert stat.S_IMODE((tmp_path / "tmp").stat().st_mode) == 0o700, "gradio's temp folder, private"
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    assert f"Legepladsen kører på http://127.0.0.1:{port} (kun denne computer)" in output
    assert "Legepladsen er stoppet." in output and server.returncode == 0
    assert "Traceback" not in output and "share=True" not in output


def test_the_printed_address_is_one_a_participant_can_open() -> None:
    assert address("localhost", 7860) == "http://127.0.0.1:7860"
    assert address("192.168.1.5", 7860) == "http://192.168.1.5:7860"
    shared = address("0.0.0.0", 7860)
    assert "0.0.0.0" not in shared and shared.startswith("http://") and shared.endswith(":7860")


def test_only_a_workshop_trainer_is_told_how_to_replace_the_demo_model(pipeline: Pipeline, tmp_path: Path) -> None:
    """The participants' notice has no install command (they cannot change the laptop); the trainer's controls do."""
    from sandbox.ui.app import build_app

    def note(users: UserStore | None) -> str | None:
        config = build_app(pipeline, users).get_config_file()
        found = [c for c in config["components"] if c.get("props", {}).get("elem_id") == "lp-module-note"]
        return found[0]["props"]["value"] if found else None

    store = UserStore(tmp_path / "users.json")
    store.add("underviser", "trainer", "et-langt-kodeord-1")
    assert pipeline.info.demo
    shown = note(store)
    assert shown is not None and "python scripts/download_model.py gemma-3-4b-it" in shown
    assert note(None) is None, "alone, the About tab already says what to ask IT"
