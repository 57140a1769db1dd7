"""How long each exercise card takes on this machine, and what the measures cost.

A trainer planning a 3-hour module needs to know whether a card answers in
ten seconds or two minutes on the room's laptops. This runs the chosen cards
with their own settings through the real pipeline (demo model unless
``--model``) and prints model calls, wall time and time per call. It also
times the pure measures on answer-sized text, to show they are negligible
next to the model.

Run: .venv/bin/python benchmarks/exercises.py [--cards ID ...] [--model PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", nargs="*", help="Card ids (default: all)")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()

    print(f"Measures on a {len(ANSWER.split())}-word answer:")
    time_measures()

    cards = [c for c in load_cards() if not args.cards or c.id in args.cards]
    pipeline = Pipeline.open(args.model, log_path=Path(tempfile.mkdtemp(prefix="legeplads-bench-")) / "log.sqlite3")
    print(f"\nCards on {pipeline.info.name} ({'demo' if pipeline.info.demo else 'real'} model):")
    print(f"{'card':<28} {'calls':>5} {'seconds':>8} {'s/call':>7}")
    for card in cards:
        calls = []
        started = time.perf_counter()
        run_card(card, pipeline, Session(), progress=lambda done, total, label, calls=calls: calls.append(total))
        seconds = time.perf_counter() - started
        total = calls[-1] if calls else 0
        per_call = seconds / total if total else float("nan")
        print(f"{card.id:<28} {total:>5} {seconds:>8.1f} {per_call:>7.2f}")
    pipeline.close()


if __name__ == "__main__":
    main()
