"""A workshop room against the real app: waits in the queue, total time, and logins under attack.

Starts the app on 127.0.0.1 with logins (the same gate and launch settings
as ``legeplads serve --host 0.0.0.0``) around the bundled demo model and a
throwaway data folder, then:

* room: N participants log in, each from an address of their own, and send
  three prompts with personal data each, while a trainer watches the queue
  line (presenter view) and a compliance user exports and downloads the log
  again and again (the scenario of tests/test_ui_load.py). Prints the wait
  for one's turn and the total time per call (p50/p95) and the whole room;
* together: 8 and 20 participants send one prompt at the same moment, to
  the app as it runs now (the model decodes up to its slots together) and to
  the same app with one slot (one person at a time, as before batching),
  and to the app again with everyone on a fixed seed (decoded alone, so it
  reproduces), with prompts of their own and with one prompt for all (then
  written once for everyone). Everyone logs in and opens the page before the clock starts.
  Prints p50/p95 time to the first token and to the last, the whole room's
  time, its answer tokens per second, and the ratios;
* logins: how long another person's ``/config`` takes while 120 wrong
  passwords arrive at once: with the back-off set out of the way (the
  password checks themselves, off the event loop), and with the standard
  back-off.

Run: .venv/bin/python benchmarks/workshop.py [--participants 30] [--prompts 3] [--max-tokens 16]
     [--only together --sizes 8 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the room scenario is shared with the load test
os.environ.setdefault("LEGEPLADS_DATA_DIR", tempfile.mkdtemp(prefix="legeplads-bench-workshop-"))

import httpx  # noqa: E402
from ui_server import PASSWORD, running_app, workshop_room  # noqa: E402

from sandbox.backends.llama import LlamaBackend  # noqa: E402
from sandbox.pipeline import Pipeline  # noqa: E402
from sandbox.ui.auth import Backoff, Logins, UserStore  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def seconds(value: float) -> str:
    return f"{value:6.2f} s"


def room(pipeline: Pipeline, participants: int, prompts: int, max_tokens: int) -> None:
    store = UserStore(Path(tempfile.mkdtemp(prefix="users-")) / "users.json")
    with running_app(pipeline, users=store) as (url, _):
        result = workshop_room(url, participants, prompts, max_tokens, store)
    calls = len(result.totals)
    waits = f"p50 {seconds(percentile(result.waits, 0.5))}   p95 {seconds(percentile(result.waits, 0.95))}"
    totals = f"p50 {seconds(percentile(result.totals, 0.5))}   p95 {seconds(percentile(result.totals, 0.95))}"
    print(f"room: {participants} participants × {prompts} prompts, max {max_tokens} tokens, one model")
    print(f"  calls answered        {calls} of {participants * prompts}, errors {len(result.errors)}")
    print(f"  wait for one's turn   {waits}")
    print(f"  total per call        {totals}")
    print(f"  whole room            {seconds(result.elapsed)}  ({calls / result.elapsed:.2f} calls/s)")
    print(f"  trainer's queue line  {len(result.queue_lines)} updates; exports downloaded {len(result.exports)}")
    for error in result.errors[:5]:
        print(f"  error: {error}")


# The room again with everyone on this fixed seed (the playground's "Fast"): a fixed seed is decoded
# alone so that it reproduces, so such a room is served one answer at a time, unless everyone asks the
# same (the trainer hands out one prompt and one seed): that answer is written once for all.
FIXED_SEED = 7


def together(pipeline: Pipeline, sizes: list[int], max_tokens: int) -> None:
    info = pipeline.info
    one = Pipeline(LlamaBackend(Path(info.path), name=info.name, demo=info.demo, slots=1), pipeline.guard, pipeline.log)
    shared = f"{pipeline.slots} slots"
    fixed, handed_out = f"{shared}, fixed seed", f"{shared}, one prompt+seed"
    rooms = (
        ("1 slot", one, None, False),
        (shared, pipeline, None, False),
        (fixed, pipeline, FIXED_SEED, False),
        (handed_out, pipeline, FIXED_SEED, True),
    )
    print(f"together: one prompt each, sent at once, max {max_tokens} tokens; {pipeline.slots} slots vs 1")
    try:
        for size in sizes:
            results, tokens = {}, {}
            for label, target, seed, same_prompt in rooms:
                store = UserStore(Path(tempfile.mkdtemp(prefix="users-")) / "users.json")
                since = newest_id(pipeline)
                with running_app(target, users=store) as (url, _):
                    results[label] = workshop_room(url, size, 1, max_tokens, store, seed, same_prompt)
                written = pipeline.log.entries(limit=1000)
                tokens[label] = sum(e["completion_tokens"] or 0 for e in written if e["id"] > since)
            print(f"  {size} participants:")
            for label, result in results.items():
                first = f"p50 {seconds(percentile(result.firsts, 0.5))} p95 {seconds(percentile(result.firsts, 0.95))}"
                last = f"p50 {seconds(percentile(result.totals, 0.5))} p95 {seconds(percentile(result.totals, 0.95))}"
                print(
                    f"    {label:<24} first token {first}   last token {last}   room {seconds(result.elapsed)}"
                    f"   {tokens[label]} tokens, errors {len(result.errors)}"
                )
            old = results["1 slot"]
            old_rate = tokens["1 slot"] / old.elapsed
            for label in (shared, fixed, handed_out):
                new, new_rate = results[label], tokens[label] / results[label].elapsed
                # The demo model's answers end at random lengths, so two rooms may write different amounts:
                # the tokens per second compare them at equal work.
                print(
                    f"    {label}: room {old.elapsed / new.elapsed:.2f}x shorter, answer tokens per second "
                    f"{old_rate:.1f} -> {new_rate:.1f} ({new_rate / old_rate:.2f}x); longest wait for the last "
                    f"token {max(old.totals):.1f} s -> {max(new.totals):.1f} s"
                )
    finally:
        one.close()


def newest_id(pipeline: Pipeline) -> int:
    last = pipeline.log.entries(limit=1)
    return last[0]["id"] if last else 0


def config_ms(http: httpx.Client, runs: int = 20) -> float:
    """Median time for ``/config`` (ms)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        assert http.get("config").status_code == 200
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def logins(pipeline: Pipeline, guesses: int) -> None:
    for label, backoff in (("back-off out of the way", Backoff(free=10**6)), ("standard back-off", Backoff())):
        store = UserStore(Path(tempfile.mkdtemp(prefix="users-")) / "users.json")
        store.add("kursist1", "participant", PASSWORD)
        checker = Logins(store, backoff)
        with (
            running_app(pipeline, users=store, logins=checker) as (url, _),
            httpx.Client(base_url=url, timeout=600) as other,
        ):
            assert other.post("login", data={"username": "kursist1", "password": PASSWORD}).status_code == 200
            idle = config_ms(other)

            def guess(index: int) -> int:
                answer = httpx.post(
                    url + "login", data={"username": "kursist1", "password": f"gæt-{index}"}, timeout=600
                )
                return answer.status_code

            with ThreadPoolExecutor(max_workers=guesses) as pool:
                started = time.perf_counter()
                futures = [pool.submit(guess, index) for index in range(guesses)]
                while checker.running == 0 and not all(future.done() for future in futures):
                    time.sleep(0.001)
                busy = config_ms(other, runs=5)
                statuses = [future.result() for future in futures]
                burst = time.perf_counter() - started
        print(
            f"logins ({label}): /config {idle:.1f} ms idle, {busy:.1f} ms during {guesses} wrong passwords "
            f"(all refused: {statuses.count(400) == guesses}, burst over in {burst:.2f} s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=30)
    parser.add_argument("--prompts", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=16)
    parser.add_argument("--guesses", type=int, default=120)
    parser.add_argument("--only", choices=["logins", "room", "together"], help="run one part only")
    parser.add_argument("--together-max-tokens", type=int, default=48)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 20], help="rooms for 'together'")
    args = parser.parse_args()
    pipeline = Pipeline.open(log_path=Path(os.environ["LEGEPLADS_DATA_DIR"]) / "bench-log.sqlite3")
    try:
        if args.only in (None, "logins"):
            logins(pipeline, args.guesses)
        if args.only in (None, "room"):
            room(pipeline, args.participants, args.prompts, args.max_tokens)
        if args.only in (None, "together"):
            together(pipeline, args.sizes, args.together_max_tokens)
    finally:
        pipeline.close()


if __name__ == "__main__":
    main()
