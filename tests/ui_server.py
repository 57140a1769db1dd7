"""Start the real web app in this process on a free loopback port, for the UI tests; and fill a workshop room."""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from sandbox.pipeline import Pipeline
from sandbox.ui import build_app
from sandbox.ui.auth import LOCAL, Logins, UserStore
from sandbox.ui.server import launch


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def running_app(
    pipeline: Pipeline, users: UserStore | None = None, logins: Logins | None = None, local_role: str = LOCAL
) -> Iterator[tuple[str, object]]:
    """(url, demo) of the app serving ``pipeline``, launched with the same settings as ``legeplads serve``.

    Without ``users`` the one local user sees every view, unless ``local_role`` says otherwise.
    """
    demo = build_app(pipeline, users, local_role)
    port = free_port()
    launch(demo, host="127.0.0.1", port=port, users=users, logins=logins)
    try:
        yield f"http://127.0.0.1:{port}/", demo
    finally:
        demo.close()


# -- a workshop room, for tests/test_ui_load.py and benchmarks/workshop.py ------------------------

PASSWORD = "hemmelig-kode"


@dataclass
class Room:
    """What a room of participants saw: per model call the wait for its turn and its total time."""

    waits: list[float] = field(default_factory=list)
    firsts: list[float] = field(default_factory=list)  # from sending to the first token on screen
    totals: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    told_place: int = 0  # calls that were told their place in the queue, or started at once
    statuses: list[str] = field(default_factory=list)
    queue_lines: list[str] = field(default_factory=list)  # what the trainer's queue line said
    exports: list[bytes] = field(default_factory=list)  # what the compliance user downloaded
    started: float = 0.0  # when everyone had logged in and opened the page
    elapsed: float = 0.0  # from then to the last answer
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _shows_tokens(message: dict) -> bool:
    """Whether a streamed update puts answer text on screen (not only a status line)."""
    output = message.get("output") or {}
    for value in output.get("data") or []:
        text = str(value)
        if 'lp-streaming">' in text and not text.split('lp-streaming">', 1)[1].startswith("<"):
            return True
    return False


TOPICS = ("boligstøtte", "friplads", "hjælpemidler", "parkeringskort", "sygedagpenge", "byggetilladelse", "flexjob")


def room_prompt(person: int, turn: int) -> tuple[str, list[str]]:
    """A prompt with personal data unique to (person, turn), and the raw values in it."""
    cpr = f"{person % 28 + 1:02d}0385-{1000 + person * 3 + turn}"
    phone = f"{20 + person:02d} 4{turn} 56 78"
    name = ["Mette Hansen", "Ole Kristian Frandsen", "Birgitte Nielsen", "Jens Mikkelsen"][(person + turn) % 4]
    # The topic tells people apart once the personal data is masked.
    topic = TOPICS[(person + turn) % len(TOPICS)]
    prompt = f"Skriv et kort svar til {name}, CPR {cpr}, tlf. {phone}, om at ansøgningen om {topic} er modtaget."
    return prompt, [cpr, cpr.replace("-", ""), phone, name]


def workshop_room(
    url: str,
    participants: int,
    prompts: int,
    max_tokens: int,
    store: UserStore,
    seed: int | None = None,
    same_prompt: bool = False,
) -> Room:
    """``participants`` people log in (each from an address of their own) and send ``prompts`` prompts each.

    Everyone logs in and opens the page (its load events, which create the
    tab's session as a browser does) before the room's clock starts; then all
    send at once, each from their one tab. Meanwhile a trainer watches the
    queue line as presenter view does and a compliance user exports the log
    and downloads it, again and again, until the last answer is in. Nothing
    is asserted here; the caller judges. ``seed`` sends every prompt with
    that fixed seed instead of a random one; ``same_prompt`` has everyone send
    participant 0's prompts (as when the trainer hands one out).
    """
    names = [f"kursist{index:02d}" for index in range(participants)]
    for name in names:
        store.add(name, "participant", PASSWORD)
    store.add("underviser", "trainer", PASSWORD)
    store.add("revisor", "compliance", PASSWORD)
    room = Room()
    done = threading.Event()
    # Everyone in, then the clock starts; a participant who fails before it breaks the barrier for all.
    ready = threading.Barrier(participants, action=lambda: setattr(room, "started", time.perf_counter()))

    @contextlib.contextmanager
    def client(name: str, address: int) -> Iterator[httpx.Client]:
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{address}")
        with httpx.Client(base_url=url, timeout=900, transport=transport) as http:
            answer = http.post("login", data={"username": name, "password": PASSWORD})
            if answer.status_code != 200:
                room.errors.append(f"{name}: login {answer.status_code} {answer.text}")
            yield http

    def reporting(work: Callable[..., None], *args: Any) -> None:
        try:
            work(*args)
        except Exception as error:  # reported, not raised: the caller counts errors
            room.errors.append(f"{work.__name__}: {type(error).__name__}: {error}")
            ready.abort()

    def dependency(http: httpx.Client, api_name: str) -> int:
        return next(d["id"] for d in http.get("config").json()["dependencies"] if d["api_name"] == api_name)

    def finish(http: httpx.Client, session: str) -> dict:
        """The last message of the event just joined in tab ``session``."""
        with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("msg") == "process_completed":
                    return message
        raise RuntimeError("the event stream ended without an answer")

    def open_page(http: httpx.Client, session: str) -> None:
        """Run the page's load events in tab ``session``, as a browser does when the page opens."""
        for event in http.get("config").json()["dependencies"]:
            if any(trigger == "load" for _, trigger in event["targets"]):
                body = {"data": [None] * len(event["inputs"]), "fn_index": event["id"], "session_hash": session}
                http.post("gradio_api/queue/join", json=body).raise_for_status()
                if not finish(http, session).get("success"):
                    raise RuntimeError(f"page load event {event['id']} failed")

    def participant(index: int) -> None:
        with client(names[index], 10 + index) as http:
            send = dependency(http, "send")
            session = secrets.token_hex(8)  # one tab for all of this participant's prompts
            open_page(http, session)
            ready.wait()
            for turn in range(prompts):
                prompt, _ = room_prompt(0 if same_prompt else index, turn)
                choice = ("Tilfældig", 42) if seed is None else ("Fast", seed)
                data = [prompt, 0.7, 0.95, max_tokens, *choice, False, False, None]
                started = time.perf_counter()
                joined = http.post(
                    "gradio_api/queue/join", json={"data": data, "fn_index": send, "session_hash": session}
                )
                if joined.status_code != 200:
                    room.errors.append(f"{names[index]}: join {joined.status_code}")
                    continue
                waited, first, told = None, None, False
                with http.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as events:
                    for line in events.iter_lines():
                        if not line.startswith("data:"):
                            continue
                        message = json.loads(line[5:])
                        kind = message.get("msg")
                        told = told or kind == "process_starts" or (kind == "estimation" and "rank" in message)
                        if kind == "process_starts" and waited is None:
                            waited = time.perf_counter() - started
                        if kind == "process_generating" and first is None and _shows_tokens(message):
                            first = time.perf_counter() - started
                        if kind == "process_completed":
                            with room.lock:
                                room.totals.append(time.perf_counter() - started)
                                room.waits.append(waited if waited is not None else 0.0)
                                room.firsts.append(first if first is not None else time.perf_counter() - started)
                                room.told_place += told
                                if not message.get("success"):
                                    room.errors.append(f"{names[index]}: {message.get('output')}")
                                else:
                                    room.statuses.append(message["output"]["data"][2])
                            break

    def trainer() -> None:
        with client("underviser", 5) as http:
            on_queue = dependency(http, "on_queue")
            while not done.is_set():
                answer = http.post(
                    "gradio_api/run/predict", json={"data": [], "fn_index": on_queue, "session_hash": "t"}
                )
                if answer.status_code != 200:
                    room.errors.append(f"underviser: {answer.status_code} {answer.text}")
                else:
                    room.queue_lines.append(answer.json()["data"][0])
                done.wait(0.5)

    def compliance() -> None:
        with client("revisor", 6) as http:
            on_export = dependency(http, "on_export")
            while not done.is_set():
                session = secrets.token_hex(8)
                body = {"data": ["csv", "", ""], "fn_index": on_export, "session_hash": session}
                if http.post("gradio_api/queue/join", json=body).status_code != 200:
                    room.errors.append("revisor: export refused")
                path = finish(http, session)["output"]["data"][0]["path"]
                room.exports.append(http.get(f"gradio_api/file={path}").content)
                done.wait(2)

    watchers = [threading.Thread(target=reporting, args=(work,)) for work in (trainer, compliance)]
    for watcher in watchers:
        watcher.start()
    with ThreadPoolExecutor(max_workers=participants) as pool:
        list(pool.map(reporting, [participant] * participants, range(participants)))
    room.elapsed = time.perf_counter() - room.started if room.started else 0.0
    done.set()
    for watcher in watchers:
        watcher.join()
    return room
