"""The web app's own cost: preview round trips, streaming overhead and a room of twenty.

Starts the real app on a free loopback port (same launch settings as
``legeplads serve``) around the bundled demo model and a throwaway log, and
talks to it over HTTP with gradio_client, as a browser would:

* preview: round trip of the live "what the model sees" preview;
* answer: time to the first streamed token and total time through the web
  app, against ``Pipeline.stream`` called directly with the same seed;
* room: twenty clients sending at once (model calls queue one at a time).

Run: .venv/bin/python benchmarks/ui.py [--runs 5] [--max-tokens 32] [--clients 20]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LEGEPLADS_DATA_DIR", tempfile.mkdtemp(prefix="legeplads-bench-ui-"))

from gradio_client import Client  # noqa: E402

from sandbox.backends.base import GenerationParams, Token  # noqa: E402
from sandbox.pipeline import Pipeline, Request, Session  # noqa: E402
from sandbox.ui import build_app  # noqa: E402
from sandbox.ui.server import launch  # noqa: E402

PROMPT = (
    "Skriv et kort svar til Mette Hansen, CPR 150385-1234, Vestergade 12, 8000 Aarhus C, "
    "om at hendes ansøgning om boligstøtte er modtaget."
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def first_and_total(client: Client, max_tokens: int, seed: int) -> tuple[float, float]:
    """(seconds to the first streamed token, seconds to the finished answer) through the app."""
    started = time.perf_counter()
    job = client.submit(PROMPT, 0.7, 0.95, max_tokens, "Fast", seed, False, False, api_name="/send")
    first = None
    for _ in job:
        if first is None:
            first = time.perf_counter() - started
    job.result()
    return first or float("nan"), time.perf_counter() - started


def direct(pipeline: Pipeline, max_tokens: int, seed: int) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    params = GenerationParams(max_tokens=max_tokens, seed=seed, top_logprobs=5)
    for item in pipeline.stream(Request(PROMPT, params), Session()):
        if first is None and isinstance(item, Token):
            first = time.perf_counter() - started
    return first or float("nan"), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--clients", type=int, default=20)
    args = parser.parse_args()

    pipeline = Pipeline.open(log_path=Path(os.environ["LEGEPLADS_DATA_DIR"]) / "log.sqlite3")
    demo = build_app(pipeline)
    port = free_port()
    launch(demo, host="127.0.0.1", port=port, users=None)
    url = f"http://127.0.0.1:{port}/"
    client = Client(url, verbose=False)
    print(f"model: {pipeline.info.name}  runs: {args.runs}  max_tokens: {args.max_tokens}  clients: {args.clients}")

    for label, text in (("preview, 140 chars", PROMPT), ("preview, 20,000 chars", (PROMPT + " ") * 140)):
        client.predict(text, api_name="/forhaandsvis")
        times = []
        for _ in range(20):
            started = time.perf_counter()
            client.predict(text, api_name="/forhaandsvis")
            times.append(time.perf_counter() - started)
        print(f"{label:24s} median {ms(statistics.median(times))}   max {ms(max(times))}")

    first_and_total(client, args.max_tokens, 1)  # warm up
    direct(pipeline, args.max_tokens, 1)
    web, raw = [], []
    for run in range(args.runs):
        web.append(first_and_total(client, args.max_tokens, 100 + run))
        raw.append(direct(pipeline, args.max_tokens, 100 + run))
    web_first, web_total = (statistics.median(x) for x in zip(*web, strict=True))
    raw_first, raw_total = (statistics.median(x) for x in zip(*raw, strict=True))
    for label, through_web, through_pipeline in (
        ("first token", web_first, raw_first),
        ("whole answer", web_total, raw_total),
    ):
        print(
            f"{label + ', web app':24s} {ms(through_web)}   pipeline directly {ms(through_pipeline)}   "
            f"added {ms(through_web - through_pipeline)}"
        )

    clients = [Client(url, verbose=False) for _ in range(args.clients)]

    def ask(index: int) -> float:
        started = time.perf_counter()
        clients[index].submit(PROMPT, 0.7, 0.95, 8, "Tilfældig", 42, False, False, api_name="/send").result()
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        waits = sorted(pool.map(ask, range(args.clients)))
    wall = time.perf_counter() - started
    print(
        f"room of {args.clients}, 8 tokens each: all answered in {wall:5.1f} s; "
        f"per person median {statistics.median(waits):5.1f} s, slowest {waits[-1]:5.1f} s"
    )
    demo.close()
    pipeline.close()


if __name__ == "__main__":
    main()
