"""The web app's door: every HTTP request passes here before gradio sees it.

Gradio checks a login on most of its routes, once, at login. In a workshop
that is not enough, so this ASGI middleware also:

* lets nothing but the login page and its scripts through without a valid
  login (gradio leaves a few routes open: ``/gradio_api/heartbeat``,
  ``/reset``, ``/cancel``, ``/stream``);
* ends a login at once when its user has been removed (``legeplads users
  remove``) or given another role since: gradio would honour the cookie
  until the app restarts;
* hands the client's address to the login check, for the back-off
  (:class:`sandbox.ui.auth.Logins`), and turns a back-off into the Danish
  message the login page shows;
* refuses uploads (the app has no upload; a 50 MB POST was accepted and a
  full disk stops the log, so every prompt) and request bodies far larger
  than the longest prompt;
* serves a log export or a learning log only to the login that made it, and
  deletes it once downloaded (:mod:`sandbox.ui.files`); "Log ud" deletes
  the login's files;
* adds the response headers a browser needs to keep the app out of other
  sites' frames and to keep downloads out of its cache.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
from fastapi import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.ui.auth import CLIENT_ADDRESS, Logins, TooManyAttempts, UserStore
from sandbox.ui.files import DOWNLOADS, Downloads, Owner

API = "/gradio_api"
# What the login page needs before anyone has logged in.
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/")
PUBLIC_PATHS = frozenset(
    {"/", "/login", "/login/", "/logout", "/favicon.ico", "/theme.css", f"{API}/theme.css", "/manifest.json"}
    # Gradio calls this itself at launch; it runs the app's start-up events once and says nothing.
    | {f"{API}/startup-events"}
)
# The longest prompt (100,000 characters) as JSON is well under this.
MAX_BODY_BYTES = 2 * 1024 * 1024
NOT_LOGGED_IN = "Log ind først."
NO_UPLOADS = "Legepladsen tager ikke imod filer."
TOO_LARGE = "Det, der blev sendt, er for stort."
NOT_FOUND = "Filen findes ikke (længere). Hent den igen fra legepladsen."
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


def auth_for(logins: Logins) -> Any:
    """Gradio's ``auth`` callable: the check, and a back-off said in Danish (400, which the login page shows)."""

    async def check(username: str, password: str) -> bool:
        try:
            return await logins.check(username, password)
        except TooManyAttempts as error:
            raise HTTPException(status_code=400, detail=error.message) from None

    return check


def login_token(connection: HTTPConnection) -> str | None:
    """The login's session cookie on this request (gradio names it after its app)."""
    cookie_id = getattr(connection.scope.get("app"), "cookie_id", None)
    if cookie_id is None:
        return None
    cookies = connection.cookies
    return cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")


def owner_of(request: gr.Request | None) -> Owner:
    """Who made a file in this event: the login and the browser tab (nobody in particular outside a request)."""
    if request is None:
        return Owner(None, None)
    raw = request.request
    token = login_token(raw) if isinstance(raw, HTTPConnection) else None
    return Owner(token, request.session_hash)


class Gate:
    """ASGI middleware in front of gradio (see the module's docstring)."""

    def __init__(self, app: ASGIApp, users: UserStore | None = None, downloads: Downloads = DOWNLOADS) -> None:
        self.app = app
        self.users = users
        self.downloads = downloads
        self._roles: dict[str, str] = {}  # login token -> the role its user had at login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        path = scope["path"]
        method = scope.get("method", "GET")
        token = login_token(connection)
        if self.users is not None:
            logged_in = self._still_valid(scope, token)
            if not logged_in and not _is_public(path):
                await _refuse(scope, send, 401, NOT_LOGGED_IN)
                return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send, private=self._download_folder(path) is not None)
        if method == "POST" and path.rstrip("/").endswith("/upload"):
            await _refuse(scope, send, 403, NO_UPLOADS)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _refuse(scope, send, 413, TOO_LARGE)
            return
        if path.rstrip("/") == "/logout" and token is not None:
            self.downloads.discard_for(token=token)
        if path.rstrip("/") == "/login" and method == "POST":
            await self._login(scope, receive, send)
            return
        folder = self._download_folder(path)
        if folder is not None:
            if not self.downloads.may_fetch(folder, token if self.users is not None else None):
                await _refuse(scope, send, 404, NOT_FOUND)
                return
            await self.app(scope, _limited(receive), self._then_delete(folder, send, method))
            return
        await self.app(scope, _limited(receive), send)

    # -- logins ----------------------------------------------------------------

    def _still_valid(self, scope: Scope, token: str | None) -> bool:
        """Whether ``token`` is a login whose user still exists with the role they logged in with.

        A login that fails this is ended for all of that user's sessions, so
        gradio's own checks refuse it from now on too.
        """
        tokens: dict[str, str] = getattr(scope.get("app"), "tokens", {})
        if token is None or token not in tokens:
            return False
        name = tokens[token]
        assert self.users is not None
        role = self.users.role(name)
        if role is not None and self._roles.setdefault(token, role) == role:
            return True
        for other, owner in list(tokens.items()):
            if owner == name:
                tokens.pop(other, None)
                self._roles.pop(other, None)
                self.downloads.discard_for(token=other)
        return False

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a login on with the client's address, and note the role of the login it creates."""
        client = scope.get("client")
        reset = CLIENT_ADDRESS.set(client[0] if client else None)
        tokens: dict[str, str] = getattr(scope.get("app"), "tokens", {})
        before = set(tokens)
        try:
            await self.app(scope, _limited(receive), send)
        finally:
            CLIENT_ADDRESS.reset(reset)
        if self.users is not None:
            for token in set(tokens) - before:
                role = self.users.role(tokens.get(token))
                if role is not None:
                    self._roles[token] = role

    # -- files -----------------------------------------------------------------

    def _download_folder(self, path: str) -> str | None:
        for route in (f"{API}/file=", "/file="):
            if path.startswith(route):
                return self.downloads.folder_of(path[len(route) :])
        return None

    def _then_delete(self, folder: str, send: Send, method: str) -> Send:
        """``send``, deleting the file once it has been read to its end for a download (GET, 200).

        It goes before the last piece is sent, so it is gone by the time the browser has it all.
        """
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            finished = message["type"] == "http.response.body" and not message.get("more_body", False)
            if finished and status == 200 and method == "GET":
                self.downloads.discard(folder)
            await send(message)

        return sending


def _with_security_headers(send: Send, private: bool) -> Send:
    """``send`` with :data:`SECURITY_HEADERS` on every response, and ``no-store`` on a download."""
    extra = SECURITY_HEADERS + (((b"cache-control", b"no-store"),) if private else ())

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {key.lower() for key, _ in message.get("headers", [])}
            added = [(key, value) for key, value in extra if key not in present]
            message = {**message, "headers": [*message.get("headers", []), *added]}
        await send(message)

    return sending


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _limited(receive: Receive) -> Receive:
    """``receive``, cut off with an error once a body grows past :data:`MAX_BODY_BYTES` (chunked uploads)."""
    seen = 0

    async def receiving() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise HTTPException(status_code=413, detail=TOO_LARGE)
        return message

    return receiving


async def _refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": message})
        return
    body = json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
