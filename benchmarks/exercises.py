"""How long each exercise card takes on this machine, before and after batching, and what the measures cost.

A trainer planning a 3-hour module needs to know whether a card answers in
ten seconds or two minutes on the room's laptops. This runs the chosen cards
with their own settings through the real pipeline (demo model unless
``--model``) twice in one run: *before*, one model call after the other with
every prompt evaluated afresh (how the app worked until batching), and
*after*, as the app runs them now (samples of one prompt decoded together,
the evaluated prompt reused). It prints model calls, both wall times and
their ratio, and the seconds spent reading prompts after batching: a CPU
evaluates a prompt at full load already, so batching shortens only the
rest, and a card whose prompts take half its time cannot become more than
2x faster however its answers are decoded (the "ceiling" column: before
divided by the reading). It also times the pure measures on answer-sized
text, to show they are negligible next to the model.

With ``--room N`` it instead answers the trainer's question "what if the
whole room presses Kør on this card at once?": each card run by one
participant, then by N at once (each their own session and seeds, as in
the app), and when the first and the last of them has the result.

Run: .venv/bin/python benchmarks/exercises.py [--cards ID ...] [--model PATH] [--room N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.backends.base import one_after_another  # noqa: E402
from sandbox.backends.llama import LlamaBackend  # noqa: E402
from sandbox.exercises import load_cards  # noqa: E402
from sandbox.exercises.measures import lix, match_sentences, similarity, support  # noqa: E402
from sandbox.exercises.runners import run_card  # noqa: E402
from sandbox.pipeline import Pipeline, Session  # noqa: E402

ANSWER = (
    "Du kan bestille et nyt sundhedskort på borger.dk med MitID. Kortet koster 195 kr. og kommer med posten "
    "inden for 14 dage. Hvis du har brug for et midlertidigt bevis, kan du kontakte borgerservice. "
) * 3


def time_measures(repeats: int = 200) -> None:
    other = ANSWER.replace("14 dage", "to uger").replace("195", "200")
    for name, call in (
        ("lix", lambda: lix(ANSWER)),
        ("similarity", lambda: similarity(ANSWER, other)),
        ("match_sentences (4 andre svar)", lambda: match_sentences(ANSWER, [other] * 4)),
        ("support", lambda: support(ANSWER, other)),
    ):
        call()  # warm caches (stop words, stemmer)
        started = time.perf_counter()
        for _ in range(repeats):
            call()
        print(f"{name:<32} {1000 * (time.perf_counter() - started) / repeats:8.2f} ms")


class OneAtATime:
    """The same model answering one call after the other: the app's order before batching."""

    def __init__(self, backend: LlamaBackend) -> None:
        self._backend = backend
        self.kind = backend.kind
        self.info = backend.info

    def count_tokens(self, messages):  # noqa: ANN001, ANN201 - the Backend protocol's signature
        return self._backend.count_tokens(messages)

    def stream(self, messages, params, seed, cancel):  # noqa: ANN001, ANN201
        return self._backend.stream(messages, params, seed, cancel)

    def stream_group(self, calls, cancel, *, steady=False):  # noqa: ANN001, ANN201
        return one_after_another(self, calls, cancel)

    def close(self) -> None:
        self._backend.close()


def timed(card, pipeline: Pipeline, backend: LlamaBackend) -> tuple[int, float, int, float]:  # noqa: ANN001
    """(model calls, seconds, answer tokens, seconds reading prompts) for one run of ``card``.

    The runners draw random seeds, so two runs write answers of different
    lengths; the tokens (from the log) make the runs comparable.
    """
    since = newest_id(pipeline)
    calls: list[int] = []
    reading = backend._engine.stats["reading_seconds"]
    started = time.perf_counter()
    run_card(card, pipeline, Session(), progress=lambda done, total, label: calls.append(total))
    seconds = time.perf_counter() - started
    tokens = tokens_since(pipeline, since)
    return (calls[-1] if calls else 0), seconds, tokens, backend._engine.stats["reading_seconds"] - reading


def room(cards: list, pipeline: Pipeline, size: int) -> None:  # noqa: ANN001 - Card
    """Each card run by one participant, then by ``size`` at once: when does the room have its results?"""
    print(f"\nThe whole room runs a card at once ({pipeline.info.name}, {pipeline.slots} slots, {size} participants):")
    print(f"{'card':<28} {'calls':>5} {'alone s':>8} {'first s':>8} {'median s':>8} {'last s':>7} {'tok/s':>12}")
    for card in cards:
        since = newest_id(pipeline)
        started = time.perf_counter()
        run_card(card, pipeline, Session())
        alone = time.perf_counter() - started
        alone_tokens = tokens_since(pipeline, since)
        since = newest_id(pipeline)
        done, calls = at_once(card, pipeline, size)
        if len(done) < size:
            print(f"{card.id:<28} {size - len(done)} of {size} runs failed")
            continue
        rate = tokens_since(pipeline, since) / max(done)
        print(
            f"{card.id:<28} {calls:>5} {alone:>8.1f} {min(done):>8.1f} {statistics.median(done):>8.1f} "
            f"{max(done):>7.1f} {alone_tokens / alone:>5.0f}->{rate:<5.0f}"
        )
    print("  tok/s: answer tokens per second, one participant alone -> the whole room")


def at_once(card, pipeline: Pipeline, size: int) -> tuple[list[float], int]:  # noqa: ANN001 - Card
    """Seconds until each of ``size`` participants, starting together, has the card's result; its model calls."""
    done: list[float] = []
    calls: list[int] = []
    clock: list[float] = []
    start = threading.Barrier(size, action=lambda: clock.append(time.perf_counter()))

    def participant() -> None:
        start.wait()
        run_card(card, pipeline, Session(), progress=lambda done_, total, label: calls.append(total))
        done.append(time.perf_counter() - clock[0])

    threads = [threading.Thread(target=participant) for _ in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, max(calls, default=0)


def newest_id(pipeline: Pipeline) -> int:
    last = pipeline.log.entries(limit=1)
    return last[0]["id"] if last else 0


def tokens_since(pipeline: Pipeline, since: int) -> int:
    """Answer tokens logged after entry ``since`` (the runners draw random seeds: lengths differ run to run)."""
    return sum(e["completion_tokens"] or 0 for e in pipeline.log.entries(limit=100_000) if e["id"] > since)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", nargs="*", help="Card ids (default: all)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--room", type=int, default=0, help="participants running each card at once")
    args = parser.parse_args()
    cards = [c for c in load_cards() if not args.cards or c.id in args.cards]
    if args.room:
        pipeline = Pipeline.open(args.model, log_path=Path(tempfile.mkdtemp(prefix="legeplads-bench-")) / "log.sqlite3")
        room(cards, pipeline, args.room)
        pipeline.close()
        return

    print(f"Measures on a {len(ANSWER.split())}-word answer:")
    time_measures()

    pipeline = Pipeline.open(args.model, log_path=Path(tempfile.mkdtemp(prefix="legeplads-bench-")) / "log.sqlite3")
    info = pipeline.info
    one = LlamaBackend(Path(info.path), name=info.name, demo=info.demo, slots=1, prompt_cache=0)
    before = Pipeline(OneAtATime(one), pipeline.guard, pipeline.log)
    print(f"\nCards on {info.name} ({'demo' if info.demo else 'real'} model), {pipeline.slots} slots:")
    print(
        f"{'card':<28} {'calls':>5} {'before s':>9} {'tokens':>6} {'after s':>8} {'tokens':>6} {'reading':>7} "
        f"{'time':>6} {'tok/s':>6} {'ceiling':>7}"
    )
    ratios = []
    for card in cards:
        total, old, old_tokens, _ = timed(card, before, one)
        _, new, new_tokens, reading = timed(card, pipeline, pipeline._backend)
        speed = (new_tokens / new) / (old_tokens / old) if old_tokens and new_tokens else float("nan")
        ceiling = f"{old / reading:>6.1f}x" if reading > 0.05 else "      -"
        ratios.append((total, old / new, speed))
        print(
            f"{card.id:<28} {total:>5} {old:>9.1f} {old_tokens:>6} {new:>8.1f} {new_tokens:>6} {reading:>6.1f}s "
            f"{old / new:>5.2f}x {speed:>5.2f}x {ceiling}"
        )
    multi = [(time_ratio, speed) for total, time_ratio, speed in ratios if total > 1]
    if multi:
        print(
            f"multi-call cards: time ratio lowest {min(t for t, _ in multi):.2f}x; "
            f"answer tokens per second, lowest {min(s for _, s in multi):.2f}x (target >= 2x)"
        )
    before.close()
    pipeline.close()


if __name__ == "__main__":
    main()
