"""Starting the web app with the security defaults, in one place for ``serve`` and the tests.

* Loopback only by default: one person at their own computer, no login.
* Any other address is workshop mode and refuses to start without logins.
* Never a public share link, no analytics, no run history or anything else
  kept in the browser, no API docs link, no MCP server, no monitoring page.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import threading
from pathlib import Path

import gradio as gr
from fastapi import FastAPI
from starlette.middleware import Middleware

from sandbox.errors import UserError
from sandbox.pipeline import Pipeline
from sandbox.ui.app import build_app
from sandbox.ui.auth import LOCAL_VIEWS, Logins, UserStore
from sandbox.ui.danish import DanishPages
from sandbox.ui.files import use_private_temp
from sandbox.ui.gate import Gate, auth_for

THEME_CSS = Path(__file__).with_name("theme.css")
# Gradio's default theme loads Source Sans Pro and IBM Plex Mono at weights 400
# and 600, but the 600 ("SemiBold") files it ships are 5 kB fragments: Source
# Sans's holds A, B and some Cyrillic. Bold text was drawn letter by letter
# from two fonts, so "Art. 9: helbred" and "**Afsluttet**" began with a thin A
# beside a fallback font's heavy letters. The complete Bold files stand in for
# every weight above normal (the browser picks 700 for 600).
THEME = gr.themes.Default(
    font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"),
    font_mono=(gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "Consolas", "monospace"),
)
AUTH_MESSAGE = "Log ind med det brugernavn og den adgangskode, du har fået af underviseren."
MAX_UPLOAD = "1kb"


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def address(host: str, port: int) -> str:
    """The URL to open, or in workshop mode to hand out: 0.0.0.0 is not an address a participant can type."""
    if host == "localhost":
        host = "127.0.0.1"
    elif host in ("0.0.0.0", "::"):
        host = _lan_address() or socket.gethostname()
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


def _lan_address() -> str | None:
    """This computer's address on the room's network: the source address of a route out (nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # UDP connect only picks a route; no packet leaves
            return probe.getsockname()[0]
        except OSError:
            return None


def workshop_users(host: str, store: UserStore | None = None) -> UserStore | None:
    """The logins ``host`` needs: None on loopback; otherwise a users file with at least one user."""
    if is_loopback(host):
        return None
    store = store or UserStore()
    if not store.users():
        raise UserError(
            f"Legepladsen starter ikke på {host}: den ville kunne nås fra netværket, men der er ingen logins. "
            "Opret mindst én bruger først, fx 'legeplads users add kursist1 --rolle deltager', "
            f"eller start uden --host for kun at bruge den på denne computer. (Brugerfil: {store.path})"
        )
    return store


def launch(demo: gr.Blocks, *, host: str, port: int, users: UserStore | None, logins: Logins | None = None) -> FastAPI:
    """Start ``demo`` on ``host:port`` in the background and return its FastAPI app.

    ``logins`` checks the passwords of ``users`` (by default with the standard back-off).
    """
    if not is_loopback(host) and users is None:
        raise UserError(f"Legepladsen starter ikke på {host} uden logins.")
    if users is not None and logins is None:
        logins = Logins(users)
    demo.queue(default_concurrency_limit=1)
    app, _, _ = demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth_for(logins) if users is not None and logins is not None else None,
        auth_message=AUTH_MESSAGE,
        prevent_thread_lock=True,
        inbrowser=False,
        show_error=False,
        quiet=True,
        footer_links=[],
        run_history=False,
        enable_monitoring=False,
        mcp_server=False,
        pwa=False,
        ssr_mode=False,
        theme=THEME,
        css_paths=[THEME_CSS],
        max_file_size=MAX_UPLOAD,  # the app has no upload; the gate refuses them anyway
        app_kwargs={"middleware": [Middleware(Gate, users=users), Middleware(DanishPages)]},
    )
    return app


def serve(
    model: str | None = None,
    host: str = "127.0.0.1",
    port: int = 7860,
    slots: int | None = None,
    view: str = "alt",
    **backend: str | None,
) -> None:
    """``legeplads serve``: check the host, load the model, start the app and wait.

    ``view`` is what the one user sees without logins (a key of
    :data:`LOCAL_VIEWS`); ``backend`` takes :meth:`Pipeline.open`'s
    shared-server options (``backend``, ``base_url``, ``api_key``, ``remote_model``).
    """
    users = workshop_users(host)
    # Everything this process writes is its user's alone (gradio's temp files included),
    # and what an earlier run left in the temp folder goes.
    os.umask(0o077)
    use_private_temp(empty=True)
    pipeline = Pipeline.open(model=model, slots=slots, **backend)
    try:
        demo = build_app(pipeline, users, LOCAL_VIEWS[view])
        where = "kun denne computer" if users is None else f"workshop-tilstand med {len(users.users())} logins"
        launch(demo, host=host, port=port, users=users)
        print(f"Legepladsen kører på {address(host, port)} ({where}). Stop med Ctrl+C.", flush=True)
        try:
            wait_for_stop()
        except KeyboardInterrupt:
            print("Legepladsen er stoppet.", flush=True)
        finally:
            demo.close(verbose=False)
    finally:
        pipeline.close()


def wait_for_stop() -> None:
    """Block until Ctrl+C or SIGTERM (a service manager's stop), which raise ``KeyboardInterrupt`` here.

    Both handlers are set here: a process started in the background by a
    script inherits SIGINT ignored (shells do that to background jobs), and
    then neither Ctrl+C nor ``kill -INT`` stopped ``serve``.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    threading.Event().wait()
