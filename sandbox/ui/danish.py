"""Gradio's own English words in Danish, on every page it serves, the login page included.

Gradio has no Danish translation, and its ``head=`` option travels in the
app's config, which a visitor who has not logged in never receives: a
workshop participant's first screen would be English. So the script that
rewrites those words (``danish.js``) is put into the HTML page itself, by a
small ASGI middleware handed to gradio's FastAPI app.
"""

from __future__ import annotations

from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SCRIPT = Path(__file__).with_name("danish.js")


class DanishPages:
    """ASGI middleware: insert ``danish.js`` before ``</head>`` in every HTML page; all else passes untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.tag = f"<script>{SCRIPT.read_text(encoding='utf-8')}</script></head>".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and _is_plain_html(message):
                start = message  # held back until the body is known, for its new length
                return
            if start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = bytes(body).replace(b"</head>", self.tag, 1)
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(page)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, rewrite)


def _is_plain_html(start: Message) -> bool:
    headers = {k.lower(): v for k, v in start["headers"]}
    return headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers
