"""A full room: every prompt answered, one log entry each, the chain intact, nothing leaked.

Twenty gradio clients (twenty browser sessions) send at the same moment to
a real server. The model answers up to its slots at once; the rest wait, and the
trainer's queue count must show them. Then a workshop with
logins: thirty participants, a trainer and a compliance user at once.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from gradio_client import Client
from ui_server import room_prompt, running_app, workshop_room

from sandbox.pipeline import Pipeline
from sandbox.ui.app import model_queue
from sandbox.ui.auth import UserStore
from sandbox.ui.files import temp_root

CLIENTS = 20


def test_twenty_concurrent_clients(pipeline: Pipeline) -> None:
    before = pipeline.log.entries(limit=1)
    first_new = before[0]["id"] + 1 if before else 1
    with running_app(pipeline) as (url, demo):
        clients = [Client(url, verbose=False) for _ in range(CLIENTS)]
        peak = {"waiting": 0, "running": 0}
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                waiting, running = model_queue(demo)
                peak["waiting"] = max(peak["waiting"], waiting)
                peak["running"] = max(peak["running"], running)
                time.sleep(0.01)

        def ask(index: int) -> Any:
            prompt = f"Deltager {index}: skriv en hilsen til Jens Nielsen, tlf. 12 34 56 {index:02d}."
            return (
                clients[index]
                .submit(prompt, 0.7, 0.95, 8, "Tilfældig", 42, False, False, api_name="/send")
                .result(timeout=900)
            )

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            results = list(pool.map(ask, range(CLIENTS)))
        done.set()
        watcher.join()

    statuses = [status for _, _, status, _ in results]
    assert all(status.startswith("**Færdig.**") for status in statuses), statuses
    entries = [entry for entry in pipeline.log.entries() if entry["id"] >= first_new]
    assert len(entries) == CLIENTS
    assert len({entry["session"] for entry in entries}) == CLIENTS, "one session per client"
    assert all("[PERSON_1]" in entry["prompt"] and "Jens" not in entry["prompt"] for entry in entries)
    assert all(entry["error"] is None for entry in entries)
    assert pipeline.log.verify().ok
    assert 1 < peak["running"] <= pipeline.slots, "the model answers up to its slots at once"
    assert peak["waiting"] >= 2, "the queue the trainer sees held the calls beyond the slots"
    assert max(entry["params"]["decoded_together"] for entry in entries) > 1, "and decodes them together"


def test_a_workshop_room_with_logins_trainer_and_compliance(pipeline: Pipeline, tmp_path: Path) -> None:
    """Thirty participants, three prompts with personal data each, in workshop mode with logins.

    While they send, the trainer's presenter view polls the queue line and a
    compliance user exports the log and downloads it over and over. Figures
    (waits, total time) are printed by benchmarks/workshop.py; this checks
    that nothing went wrong and nothing leaked.
    """
    participants, prompts = 30, 3
    before = pipeline.log.entries(limit=1)
    first_new = before[0]["id"] + 1 if before else 1
    store = UserStore(tmp_path / "users.json")
    with running_app(pipeline, users=store) as (url, _):
        room = workshop_room(url, participants, prompts, max_tokens=8, store=store)

    calls = participants * prompts
    assert room.errors == []
    assert len(room.totals) == calls and room.told_place == calls, "every call answered, each told its place"
    assert all(status.startswith("**Færdig.**") for status in room.statuses)
    entries = [entry for entry in pipeline.log.entries() if entry["id"] >= first_new]
    assert len(entries) == calls, "one log entry per request"
    assert all(entry["error"] is None for entry in entries)
    # Each participant sent from one tab: its placeholders count on (CPR_1, 2, 3), nobody else's do.
    tabs: dict[str, list[str]] = {}
    for entry in sorted(entries, key=lambda entry: entry["id"]):
        tabs.setdefault(entry["session"], []).append(entry["prompt"])
    assert len(tabs) == participants
    for prompts_sent in tabs.values():
        assert [f"[CPR_{turn + 1}]" in prompt for turn, prompt in enumerate(prompts_sent)] == [True] * prompts
    assert pipeline.log.verify().ok
    assert room.queue_lines and all(line.startswith("**Kø hos modellen:**") for line in room.queue_lines)
    assert room.exports and all(export.decode("utf-8-sig").startswith("Nr.;") for export in room.exports)

    raw = [value for person in range(participants) for turn in range(prompts) for value in room_prompt(person, turn)[1]]
    log_files = [pipeline.log.path, pipeline.log.path.with_name(pipeline.log.path.name + "-wal")]
    stored = [path.read_bytes() for path in log_files if path.exists()]
    stored += room.exports + [path.read_bytes() for path in temp_root().rglob("*") if path.is_file()]
    for value in raw:
        encoded = value.encode("utf-8")
        assert not any(encoded in blob for blob in stored), f"{value!r} was written somewhere"
