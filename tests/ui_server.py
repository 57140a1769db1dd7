"""Start the real web app in this process on a free loopback port, for the UI tests."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

from sandbox.pipeline import Pipeline
from sandbox.ui import build_app
from sandbox.ui.auth import Logins, UserStore
from sandbox.ui.server import launch


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_app(
    pipeline: Pipeline, users: UserStore | None = None, logins: Logins | None = None
) -> Iterator[tuple[str, object]]:
    """(url, demo) of the app serving ``pipeline``, launched with the same settings as ``legeplads serve``."""
    demo = build_app(pipeline, users)
    port = free_port()
    launch(demo, host="127.0.0.1", port=port, users=users, logins=logins)
    try:
        yield f"http://127.0.0.1:{port}/", demo
    finally:
        demo.close()
