"""What the shared-server backend costs: in-process llama.cpp vs the same model over HTTP.

Starts llama-cpp-python's OpenAI-compatible server on 127.0.0.1 with the
default demo model (or uses --base-url/--model for a real server), then
streams the same prompt with the same settings and seeds through
``LlamaBackend`` (in process) and ``OpenAIBackend`` (over HTTP). Prints
tokens/s and time to first token for both, then aggregate throughput with
several simultaneous users over HTTP. Backends only: the guard and the log
cost the same on both paths and are measured by benchmarks/generation.py.
The server keeps the previous prompt's KV cache and reuses a common prefix;
the in-process backend resets per call (so a seed always reproduces), so
for this repeated prompt the time to first token favours the server.

With ``--llama-server PATH`` it measures instead the alternative the
in-process engine was chosen over: llama.cpp's own ``llama-server
--parallel N``, reached through ``OpenAIBackend`` as the app would reach it,
against ``LlamaBackend`` with as many slots, 1, 2, 4 and 8 users at once,
with the shown probabilities (``top_logprobs``, as the playground asks)
and without. llama-server is not in the wheel; build it from the same
llama.cpp source as the installed llama-cpp-python (the sdist's vendor/)::

    pip download llama-cpp-python==0.3.36 --no-deps --no-binary :all: && tar xzf llama_cpp_python-0.3.36.tar.gz
    cd llama_cpp_python-0.3.36/vendor/llama.cpp
    cmake -B build $(bash ../../../scripts/build_llama_cpp.sh --print-args) -DLLAMA_CURL=OFF
    cmake --build build --target llama-server -j2      # about 20 minutes on two cores

Run: .venv/bin/python benchmarks/shared_server.py [--runs 3] [--max-tokens 64] [--users 4]
     .venv/bin/python benchmarks/shared_server.py --base-url http://modelserver:8080/v1 --model NAME
     .venv/bin/python benchmarks/shared_server.py --llama-server PATH/TO/llama-server [--slots 8]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sandbox import models  # noqa: E402
from sandbox.backends.base import Finished, GenerationParams, Message, Token  # noqa: E402
from sandbox.backends.llama import LlamaBackend  # noqa: E402
from sandbox.backends.openai import OpenAIBackend  # noqa: E402

PROMPT = (
    Message(
        "user",
        "Skriv et kort svar til en borger, der har søgt om hjælp til en ny kørestol, "
        "og forklar, hvad der sker med ansøgningen nu.",
    ),
)
ALIAS = "demo"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def demo_server(path: Path, threads: int) -> Iterator[str]:
    """llama_cpp.server with the demo model on a free loopback port, stopped afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(path), "--model_alias", ALIAS,
               "--chat_format", "gemma", "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048",
               "--n_threads", str(threads), "--interrupt_requests", "False"]  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}/v1") as url:
        yield url


@contextmanager
def llama_server(binary: Path, path: Path, threads: int, slots: int, n_ctx: int) -> Iterator[str]:
    """llama.cpp's llama-server with ``slots`` parallel sequences (continuous batching), as the issue proposed."""
    port = free_port()
    command = [str(binary), "--model", str(path), "--alias", ALIAS, "--host", "127.0.0.1", "--port", str(port),
               "--parallel", str(slots), "--ctx-size", str(n_ctx * slots), "--threads", str(threads),
               "--threads-batch", str(threads), "--no-webui"]  # fmt: skip
    with running(command, f"http://127.0.0.1:{port}/v1") as url:
        yield url


@contextmanager
def running(command: list[str], url: str) -> Iterator[str]:
    """Start a server process, wait until it lists its models, stop it afterwards."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            sys.exit(f"{command[0]} did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def one(backend, params: GenerationParams, seed: int) -> tuple[int, float, float]:
    """(tokens, seconds to first token, total seconds) for one streamed answer."""
    started = time.perf_counter()
    first = None
    count = 0
    for item in backend.stream(PROMPT, params, seed, threading.Event()):
        if isinstance(item, Token):
            count += 1
            first = first or time.perf_counter() - started
        elif isinstance(item, Finished):
            break
    return count, first or float("nan"), time.perf_counter() - started


def single(backend, params: GenerationParams, runs: int) -> tuple[float, float]:
    """Median tokens/s and time to first token (ms) over ``runs`` answers, after one warm-up."""
    results = [one(backend, params, 1000 + run) for run in range(runs + 1)][1:]
    return statistics.median(n / total for n, _, total in results), statistics.median(t * 1000 for _, t, _ in results)


def concurrent(backend, params: GenerationParams, users: int) -> tuple[float, float]:
    """Aggregate tokens/s and median time to first token (ms) with ``users`` streams at once."""
    results: list[tuple[int, float, float]] = []
    lock = threading.Lock()

    def user(index: int) -> None:
        result = one(backend, params, 2000 + index)
        with lock:
            results.append(result)

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return sum(n for n, _, _ in results) / wall, statistics.median(t * 1000 for _, t, _ in results)


def versus_llama_server(binary: Path, args: argparse.Namespace) -> None:
    """Users at once on the in-process engine and on llama-server with as many slots, same model, same run."""
    path = models.prepare(models.demo_models()[0])
    counts = [n for n in (1, 2, 4, 8) if n <= args.slots]
    rates: dict[tuple[str, int, int], float] = {}
    for probabilities in (5, 0):
        params = GenerationParams(
            max_tokens=args.max_tokens, temperature=0.7, top_p=0.95, top_k=40, repeat_penalty=1.1,
            top_logprobs=probabilities,
        )  # fmt: skip
        local = LlamaBackend(path, name="demo", demo=True, n_ctx=1024, n_threads=args.threads, slots=args.slots)
        concurrent(local, params, 1)  # warm up
        for n in counts:
            rates["engine", probabilities, n] = concurrent(local, params, n)[0]
        local.close()
        with llama_server(binary, path, args.threads, args.slots, 1024) as url:
            remote = OpenAIBackend(url, ALIAS)
            concurrent(remote, params, 1)
            for n in counts:
                rates["llama-server", probabilities, n] = concurrent(remote, params, n)[0]
            remote.close()
    print(f"model: {path.name}  max_tokens: {args.max_tokens}  threads: {args.threads}  slots: {args.slots}")
    print("total tokens/s with n users at once (and against one user on the same path):")
    for probabilities in (5, 0):
        print(f"  {'with' if probabilities else 'without'} the shown probabilities (top_logprobs={probabilities}):")
        for n in counts:
            engine, server = rates["engine", probabilities, n], rates["llama-server", probabilities, n]
            print(
                f"    {n} users: in-process engine {engine:6.1f} ({engine / rates['engine', probabilities, 1]:.2f}x)   "
                f"llama-server {server:6.1f} ({server / rates['llama-server', probabilities, 1]:.2f}x)   "
                f"engine/llama-server {engine / server:.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2, help="CPU threads, same for both paths")
    parser.add_argument("--base-url", help="measure this server instead of starting the demo one")
    parser.add_argument("--model", help="model name on --base-url")
    parser.add_argument("--llama-server", type=Path, help="compare llama.cpp's llama-server binary with the engine")
    parser.add_argument("--slots", type=int, default=8, help="sequences decoded together, on both (--llama-server)")
    args = parser.parse_args()
    if args.llama_server:
        versus_llama_server(args.llama_server, args)
        return
    params = GenerationParams(max_tokens=args.max_tokens, temperature=0.7, top_p=0.95, top_k=40, repeat_penalty=1.1)

    if args.base_url:
        remote = OpenAIBackend(args.base_url, args.model)
        rate, ttft = single(remote, params, args.runs)
        print(f"server {remote.base_url} model {remote.model}: {rate:6.1f} tok/s  first token {ttft:6.1f} ms")
        total, cttft = concurrent(remote, params, args.users)
        print(f"{args.users} users at once: {total:6.1f} tok/s in total  median first token {cttft:6.1f} ms")
        remote.close()
        return

    path = models.prepare(models.demo_models()[0])
    local = LlamaBackend(path, name="demo", demo=True, n_ctx=2048, n_threads=args.threads)
    local_rate, local_ttft = single(local, params, args.runs)
    local.close()
    with demo_server(path, args.threads) as url:
        remote = OpenAIBackend(url, ALIAS)
        http_rate, http_ttft = single(remote, params, args.runs)
        total, cttft = concurrent(remote, params, args.users)
        remote.close()
    print(f"model: {path.name}  runs: {args.runs}  max_tokens: {args.max_tokens}  threads: {args.threads}")
    print(f"in process (LlamaBackend):          {local_rate:6.1f} tok/s   first token {local_ttft:6.1f} ms")
    print(f"over HTTP (OpenAIBackend -> server): {http_rate:6.1f} tok/s   first token {http_ttft:6.1f} ms")
    print(f"throughput ratio HTTP/in-process: {http_rate / local_rate:.3f}")
    print(f"{args.users} users at once over HTTP: {total:6.1f} tok/s in total, median first token {cttft:6.1f} ms")
    print("(llama-cpp-python's server answers one request at a time; llama-server -np N and vLLM batch users)")


if __name__ == "__main__":
    main()
