"""Throughput and time to first token: raw llama-cpp-python vs. the pipeline.

Same model, same rendered prompt, same sampling parameters and seeds, one
process. The pipeline figure includes everything a user's prompt goes through
(input guard, backend, output guard, log append); the raw figure is
``Llama.create_completion(stream=True)`` on the token ids the backend would
send. Prints tokens/s, time to first token, their ratios, and peak RSS.

Run: .venv/bin/python benchmarks/generation.py [--runs 5] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox.backends.base import GenerationParams, Message, Token  # noqa: E402
from sandbox.pipeline import Pipeline, Request, Session  # noqa: E402

PROMPT = (
    "Skriv et kort svar til en borger, der har søgt om hjælp til en ny kørestol, "
    "og forklar, hvad der sker med ansøgningen nu."
)


def measure(stream, started: float) -> tuple[int, float, float]:
    """(tokens, seconds to first token, total seconds) for one stream."""
    first = None
    count = 0
    for _ in stream:
        count += 1
        if first is None:
            first = time.perf_counter() - started
    return count, first or float("nan"), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()

    log_dir = Path(tempfile.mkdtemp(prefix="legeplads-bench-"))
    pipeline = Pipeline.open(log_path=log_dir / "log.sqlite3")
    backend = pipeline._backend  # the benchmark compares against the very same Llama object
    llama = backend._llama
    # The exact token ids the backend sends (chat template and BOS included).
    prompt_tokens = backend._prompt_tokens([Message("user", PROMPT)])
    params = GenerationParams(max_tokens=args.max_tokens, temperature=0.7, top_p=0.95, top_k=40, repeat_penalty=1.1)
    session = Session()

    raw_rates, raw_ttft, pipe_rates, pipe_ttft = [], [], [], []
    counts: list[tuple[int, int]] = []
    for run in range(args.runs + 1):  # run 0 warms up both paths
        seed = 1000 + run
        llama.reset()
        started = time.perf_counter()
        chunks = llama.create_completion(
            prompt_tokens, max_tokens=args.max_tokens, temperature=0.7, top_p=0.95, top_k=40,
            repeat_penalty=1.1, seed=seed, stream=True, stop=list(backend._stops),
        )
        tokens_only = (c for c in chunks if c["choices"][0]["finish_reason"] is None)
        n, ttft, total = measure(tokens_only, started)
        started = time.perf_counter()
        items = pipeline.stream(Request(PROMPT, GenerationParams(**{**params.as_dict(), "seed": seed})), session)
        tokens = (item for item in items if isinstance(item, Token))
        m, pttft, ptotal = measure(tokens, started)
        if run == 0:
            continue
        counts.append((n, m))
        raw_rates.append(n / total)
        raw_ttft.append(ttft * 1000)
        pipe_rates.append(m / ptotal)
        pipe_ttft.append(pttft * 1000)

    raw, pipe = statistics.median(raw_rates), statistics.median(pipe_rates)
    rt, pt = statistics.median(raw_ttft), statistics.median(pipe_ttft)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"model: {pipeline.info.name}  runs: {args.runs}  max_tokens: {args.max_tokens}")
    print("tokens per run (raw, pipeline): " + ", ".join(f"{n}/{m}" for n, m in counts))
    print(f"raw llama-cpp-python: {raw:6.1f} tok/s   time to first token {rt:6.1f} ms")
    print(f"pipeline (guard+log): {pipe:6.1f} tok/s   time to first token {pt:6.1f} ms")
    print(f"throughput ratio pipeline/raw: {pipe / raw:.3f}   (target >= 0.97)")
    print(f"added time to first token: {pt - rt:+.1f} ms   (target < 30 ms)")
    print(f"peak RSS: {rss_mb:.0f} MB")
    pipeline.close()


if __name__ == "__main__":
    main()
