"""The web app: a Gradio Blocks app in Danish, every model call through the pipeline.

``serve`` starts it with the security defaults (loopback only unless logins
exist, no share link, no analytics, nothing kept in browser storage);
``build_app`` builds it around an already loaded pipeline (the tests use it).
Both are imported on first use, so ``legeplads users ...`` does not load Gradio.
"""

import os
from typing import Any

# Gradio reads this when it is imported; set before any module here imports it.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

__all__ = ["build_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "serve":
        from sandbox.ui.server import serve

        return serve
    if name == "build_app":
        from sandbox.ui.app import build_app

        return build_app
    raise AttributeError(f"module 'sandbox.ui' has no attribute {name!r}")
