"""How well the guard protects real-looking Danish text, scored per word, in one run.

Run: ``.venv/bin/python benchmarks/guard_quality.py [--model da_core_news_md]``

Prints, for each labelled set in ``tests/data`` (see tests/pii_scoring.py for
the scoring), word-, mention- and person-level recall per type and word
precision. With ``--model`` it scores the guard twice, on the blank Danish
pipeline and with the named spaCy pipeline (a Danish NER model such as
``da_core_news_md`` or a DaCy model, installed as described in
docs/vaernet.md), and prints what the model changes. ``--leaks N`` lists the
first N words that reached the model, to see what the rules miss.

The sets: ``pii_da.jsonl`` was written with the recognizers (an upper bound);
``pii_da_world_a/b/c`` were written afterwards in real genres by writers who
never saw the rules, and then used to develop them; ``pii_da_world_d`` was
written last and kept out of development: its figure is the honest one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from pii_scoring import DIRECT_IDENTIFIERS, Report, Span, load, score  # noqa: E402

from sandbox.guards import Guard, Vault  # noqa: E402
from sandbox.guards.engine import BLANK  # noqa: E402

SETS = {
    "egne (skrevet med reglerne)": ["pii_da.jsonl"],
    "virkelige genrer, udvikling (a+b+c)": ["pii_da_world_a.jsonl", "pii_da_world_b.jsonl", "pii_da_world_c.jsonl"],
    "virkelige genrer, holdt ude (d)": ["pii_da_world_d.jsonl"],
}


def measure(guard: Guard, files: list[str]) -> Report | None:
    paths = [ROOT / "tests" / "data" / name for name in files]
    if not all(path.exists() for path in paths):
        return None
    records = [r for path in paths for r in load(path)]
    return score(records, lambda text: [Span(e.type, e.start, e.end) for e in guard.check(text, Vault()).entities])


def headline(report: Report) -> str:
    direct = sorted(DIRECT_IDENTIFIERS & set(report.gold_words))
    return (
        f"direkte identifikatorer: ord-recall {report.token_recall(*direct):.3f}, "
        f"ord-præcision {report.token_precision():.3f}, "
        f"personer med alle omtaler maskeret {report.entity_recall('PERSON'):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a spaCy pipeline to compare with the blank one (package name or path)")
    parser.add_argument("--leaks", type=int, default=0, help="list this many leaked words per set")
    args = parser.parse_args()
    guards = {"blank": Guard(model=BLANK)}
    if args.model:
        guards[args.model] = Guard(model=args.model)
    for title, files in SETS.items():
        print(f"\n== {title} ==")
        for name, guard in guards.items():
            report = measure(guard, files)
            if report is None:
                print("(sættet findes ikke)")
                break
            print(f"-- {name} ({guard.nlp_model})")
            print(report.table())
            print(headline(report))
            for leak in report.leaks[: args.leaks]:
                print(f"   lækket {leak[0]}: {leak[2]!r} i …{leak[3]}…")


if __name__ == "__main__":
    main()
