"""Throughput and time to first token: raw llama-cpp-python vs. the pipeline, and answers decoded together.

Same model, same rendered prompt, same sampling parameters and seeds, one
process. Three parts, all measured in this one run:

1. One answer at a time. The pipeline figure includes everything a user's
   prompt goes through (input guard, engine, output guard, log append); the
   raw figure is llama-cpp-python's own ``Llama.create_completion(stream=True)``
   on the token ids the backend sends.
2. Answers decoded together: total tokens/s with 1, 2, 4 and 8 random-seed
   requests at once (each its own thread, as participants are), and with the
   same counts as one exercise group, against one at a time.
3. Time to first token for a long prompt evaluated afresh and for the same
   prompt again ("Kør igen"), which the engine copies instead of evaluating;
   and for a follow-up question about a long case, read whole vs. with the
   case's chunks copied from the first question.
4. What one decode pass of n rows costs on the raw batch API, and an odd
   pass with a pad row (the rule in ``sandbox/backends/engine.py:_pads``:
   if this machine's kernels show no odd-row penalty, the rule costs here).

Run: .venv/bin/python benchmarks/generation.py [--runs 5] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
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
    backend = pipeline._backend  # the benchmark compares against the very same model file and template
    from llama_cpp import Llama

    llama = Llama(model_path=backend.info.path, n_ctx=backend.info.context_length, verbose=False)
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
            prompt_tokens,
            max_tokens=args.max_tokens,
            temperature=0.7,
            top_p=0.95,
            top_k=40,
            repeat_penalty=1.1,
            seed=seed,
            stream=True,
            stop=list(backend._stops),
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
    print(f"pipeline (guard+log): {pipe:6.1f} tok/s   time to first token {pt:6.1f} ms (prompt reused after run 0)")
    print(f"throughput ratio pipeline/raw: {pipe / raw:.3f}   (target >= 0.97)")
    print(f"added time to first token: {pt - rt:+.1f} ms   (target < 30 ms)")
    llama.close()  # its idle threads must not share the cores with the parts below
    together(backend, args.max_tokens)
    reuse(backend)
    pass_cost(backend)
    print(f"peak RSS: {rss_mb:.0f} MB (after part 1)")
    pipeline.close()


def together(backend, max_tokens: int) -> None:
    """Part 2: total tokens/s for n answers at once, as participants (threads) and as one group."""
    messages = [Message("user", PROMPT)]
    print(f"\nanswers decoded together (max {max_tokens} tokens each, temperature 0.7, random seeds):")
    base = None
    for n in (1, 2, 4, 8):
        counts = [0] * n
        start = threading.Barrier(n)

        def ask(i: int, counts: list[int] = counts, start: threading.Barrier = start) -> None:
            start.wait()
            params = GenerationParams(max_tokens=max_tokens)
            counts[i] = sum(isinstance(t, Token) for t in backend.stream(messages, params, 5000 + i, threading.Event()))

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(n)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        shared_tokens = sum(counts)
        shared = shared_tokens / (time.perf_counter() - started)
        calls = [(messages, GenerationParams(max_tokens=max_tokens, seed=5000 + i), 5000 + i) for i in range(n)]
        started = time.perf_counter()
        produced = sum(isinstance(item, Token) for _, item in backend.stream_group(calls, threading.Event()))
        grouped = produced / (time.perf_counter() - started)
        base = base or shared
        print(
            f"  {n} at once: participants {shared:6.1f} tok/s ({shared / base:.2f}x one, {shared_tokens} tokens)   "
            f"one exercise group {grouped:6.1f} tok/s ({grouped / base:.2f}x one, {produced} tokens)"
        )
    print("  targets: >= 1.5x at 4, >= 1.8x at 8")


def reuse(backend) -> None:
    """Part 3: time to first token for a long prompt, evaluated afresh vs. copied from the engine's cache."""
    text = PROMPT + " " + " ".join(["Borgeren har tidligere fået afslag og klaget over sagsbehandlingstiden."] * 40)
    fresh, again = [], []
    for run in range(4):
        messages = [Message("user", f"Sag {run}: {text}")]  # a new prompt each run: nothing to reuse
        for times in (fresh, again):
            started = time.perf_counter()
            stream = backend.stream(messages, GenerationParams(max_tokens=1, seed=1), 1, threading.Event())
            next(stream)
            times.append((time.perf_counter() - started) * 1000)
            stream.close()
    tokens = backend.count_tokens([Message("user", f"Sag 0: {text}")])
    f, a = statistics.median(fresh), statistics.median(again)
    print(
        f"\ntime to first token, {tokens}-token prompt: "
        f"evaluated {f:6.1f} ms, repeated {a:6.1f} ms ({f / a:.1f}x faster)"
    )
    whole, follow = [], []
    for run in range(4):
        case = [Message("user", f"Sag {run + 10}: {text}")]
        asked = backend.stream(case, GenerationParams(max_tokens=1, seed=1), 1, threading.Event())
        next(asked)
        asked.close()
        for times, start in ((whole, f"Sag {run + 20}"), (follow, f"Sag {run + 10}")):  # case 2x was never asked
            messages = [
                Message("user", f"{start}: {text}"),
                Message("assistant", "Borgeren har klaget over sagsbehandlingstiden."),
                Message("user", "Skriv det kortere."),
            ]
            started = time.perf_counter()
            stream = backend.stream(messages, GenerationParams(max_tokens=1, seed=1), 1, threading.Event())
            next(stream)
            times.append((time.perf_counter() - started) * 1000)
            stream.close()
    w, o = statistics.median(whole), statistics.median(follow)
    print(
        f"a follow-up question about that case, {backend.count_tokens(messages)} tokens: "
        f"read whole {w:6.1f} ms, its start copied {o:6.1f} ms ({w / o:.1f}x faster)"
    )


def pass_cost(backend, reps: int = 40) -> None:
    """Part 4: median time of one llama_decode of n rows (one per sequence), and of an odd n with a pad row."""
    import llama_cpp
    from llama_cpp import _internals

    params = llama_cpp.llama_context_default_params()
    params.n_seq_max, params.n_ctx, params.n_batch, params.n_ubatch = 9, 9 * 256, 64, 64
    params.n_threads = params.n_threads_batch = max(1, os.cpu_count() or 1)  # as the backend does
    params.kv_unified = False
    ctx = _internals.LlamaContext(model=backend._model, params=params, verbose=False)
    batch = llama_cpp.llama_batch_init(64, 0, 1)

    def decode(rows: list[tuple[int, int, int]]) -> float:
        for i, (token, position, seq) in enumerate(rows):
            batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = token, position, 1, True
            batch.seq_id[i][0] = seq
        batch.n_tokens = len(rows)
        started = time.perf_counter()
        if llama_cpp.llama_decode(ctx.ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")
        return (time.perf_counter() - started) * 1000

    def step(n: int, pad: bool) -> float:
        times = []
        for r in range(reps):
            rows = [(200 + r, r, seq) for seq in range(n)]
            times.append(decode(rows + [(300, 0, n)] if pad else rows))
            if pad:
                llama_cpp.llama_memory_seq_rm(ctx.memory, n, -1, -1)
        for seq in range(n):
            llama_cpp.llama_memory_seq_rm(ctx.memory, seq, -1, -1)
        return statistics.median(times)

    step(8, False)  # warm up
    plain = {n: step(n, False) for n in range(1, 9)}
    costs = ", ".join(f"{n}: {t:.1f}" for n, t in plain.items())
    print(f"\none decode pass of n rows (median of {reps}, ms): {costs}")
    for n in (3, 5, 7):
        padded = step(n, True)
        print(f"  {n} rows {plain[n]:5.1f} ms, {n} rows and a pad {padded:5.1f} ms ({plain[n] / padded:.2f}x)")
    llama_cpp.llama_batch_free(batch)
    ctx.close()


if __name__ == "__main__":
    main()
