"""Twenty people at once: every prompt answered, one log entry each, the chain intact.

Twenty gradio clients (twenty browser sessions) send at the same moment to
a real server. Model calls queue one at a time; while they wait, the
trainer's queue count must show the waiting calls.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from gradio_client import Client
from ui_server import running_app

from sandbox.pipeline import Pipeline
from sandbox.ui.app import model_queue

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
    assert peak["running"] == 1, "the model answers one call at a time"
    assert peak["waiting"] >= 2, "the queue the trainer sees held the waiting calls"
