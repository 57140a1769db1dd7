"""Time to first token and decode speed of the installed llama.cpp build, optionally beside a second build.

scripts/build_llama_cpp.sh chooses the CMake args from the CPU's flags
(AVX-512/VNNI/BF16 where present, the portable AVX2 build otherwise). This
measures what that build gives on the demo model: each build runs in its own
process (the installed one with this interpreter, the other in its own
venv), on the same prompt, greedy, with the end-of-text token suppressed so
every run decodes the same number of tokens. The first run of each build
warms up and is not counted; then runs alternate between the builds.
Figures are medians, with the fastest run beside them (on a shared machine
the least disturbed one); the ratio compares medians.

Run: .venv/bin/python benchmarks/build.py [--runs 5] [--max-tokens 64]
     [--compare PATH_TO_WHEEL_OR_VENV]

A wheel given to --compare is installed into a temporary venv (no network:
its dependencies are taken from this venv), so two builds of the same
llama-cpp-python version can be compared in one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "build_llama_cpp.sh"
PORTABLE_AVX2 = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
PROMPT = (
    "Du er sagsbehandler i en dansk kommune. En borger har skrevet: 'Jeg søgte om en ny kørestol for "
    "tre måneder siden, fordi min gamle er gået i stykker, og jeg har stadig ikke hørt noget. Jeg kan "
    "ikke komme ud af lejligheden uden hjælp, og min datter må tage fri fra arbejde for at køre mig til "
    "lægen. Hvornår får jeg et svar, og hvad kan jeg gøre i mellemtiden?' Skriv et kort, venligt svar "
    "på klart dansk, der forklarer, hvad der sker med ansøgningen nu, hvor lang tid det normalt tager, "
    "og hvem borgeren kan kontakte, hvis situationen bliver akut.\n\nSvar:"
)


def worker(model: str, max_tokens: int, threads: int) -> None:
    """Serve measurements over stdin/stdout: one JSON line per "run" line (only llama_cpp and stdlib used)."""
    import llama_cpp

    llama = llama_cpp.Llama(model_path=model, n_ctx=1024, n_threads=threads, verbose=False)
    prompt = llama.tokenize(PROMPT.encode("utf-8"))
    no_end = {llama.token_eos(): -1e9}

    def run() -> dict:
        llama.reset()  # evaluate the whole prompt every run (no prefix reuse)
        cpu = time.process_time()
        started = time.perf_counter()
        first = None
        count = 0
        for chunk in llama.create_completion(
            prompt, max_tokens=max_tokens, temperature=0.0, seed=1, logit_bias=no_end, stream=True
        ):
            if chunk["choices"][0]["finish_reason"] is not None:
                continue  # the closing chunk carries no token
            count += 1
            if first is None:
                first = time.perf_counter()
        done = time.perf_counter()
        first = first or done
        rate = (count - 1) / (done - first) if count > 1 else float("nan")
        # The share of its threads' time this process got: well below 1 means
        # other programs took the cores (ggml's threads then wait on each other).
        share = (time.process_time() - cpu) / ((done - started) * threads)
        return {"tokens": count, "ttft_ms": (first - started) * 1000, "decode_tok_s": rate, "cpu_share": share}

    run()  # warm-up, not counted
    hello = {
        "module": llama_cpp.__file__,
        "version": llama_cpp.__version__,
        "system_info": llama_cpp.llama_print_system_info().decode(),
        "prompt_tokens": len(prompt),
    }
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        if line.strip() == "run":
            print(json.dumps(run()), flush=True)


class Build:
    """One build measured in its own process (python: the interpreter whose llama_cpp is measured)."""

    def __init__(self, python: str, model: Path, args: argparse.Namespace) -> None:
        command = [python, str(Path(__file__).resolve()), "--worker", "--model", str(model)]
        command += ["--max-tokens", str(args.max_tokens), "--threads", str(args.threads)]
        self.python = python
        # A file, not a pipe: nobody reads llama.cpp's log while it runs, and a full pipe would stop it.
        self.errors = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors, text=True
        )
        self.info = self._read()
        self.runs: list[dict] = []

    def _read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.errors.seek(0)
            sys.exit(f"Målingen med {self.python} fejlede:\n{self.errors.read()[-2000:]}")
        return json.loads(line)

    def run(self) -> None:
        self.process.stdin.write("run\n")
        self.process.stdin.flush()
        self.runs.append(self._read())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()
        self.errors.close()

    def median(self, key: str) -> float:
        return statistics.median(run[key] for run in self.runs)

    def best(self, key: str) -> float:
        """The fastest run: on a shared machine the least disturbed one."""
        values = [run[key] for run in self.runs]
        return min(values) if key == "ttft_ms" else max(values)


def compare_python(path: Path, work: Path) -> str:
    """The interpreter of the build to compare: a venv's python, or a fresh venv holding the wheel."""
    if not path.exists():
        sys.exit(f"{path} findes ikke.")
    if path.is_dir():
        python = path / "bin" / "python"
        if not python.exists():
            sys.exit(f"{path} er ikke en venv (ingen bin/python).")
        return str(python)
    if path.suffix != ".whl":
        sys.exit(f"--compare skal være en .whl-fil eller en venv, ikke {path}.")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-cache-dir", str(path)],
        check=True,
    )
    # numpy, jinja2, diskcache come from this venv; its own site-packages stays
    # first on sys.path, so `import llama_cpp` finds the wheel under test.
    own = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(own) / "legeplads-deps.pth").write_text("\n".join(sorted(paths)) + "\n")
    return python


def features(info: str) -> str:
    """The features llama.cpp says it was compiled with ("CPU : SSE3 = 1 | AVX = 1 | ...")."""
    parts = info.replace("CPU :", "").split("|")
    return " ".join(part.split(" = ")[0].strip() for part in parts if part.strip().endswith("= 1"))


def show(label: str, build: Build) -> None:
    print(
        f"{label}: time to first token {build.median('ttft_ms'):7.1f} ms (best {build.best('ttft_ms'):7.1f})   "
        f"decode {build.median('decode_tok_s'):6.1f} tok/s (best {build.best('decode_tok_s'):6.1f})   "
        f"CPU share {build.median('cpu_share'):.2f}   ({features(build.info['system_info'])})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="målte kørsler pr. build (plus én opvarmning)")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens der afkodes pr. kørsel")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="tråde (standard: alle kerner)")
    parser.add_argument(
        "--compare", type=Path, metavar="WHEEL_ELLER_VENV", help="et andet llama-cpp-python-build at måle ved siden af"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.model, args.max_tokens, args.threads)
        return

    sys.path.insert(0, str(ROOT))
    from sandbox import models

    demo = models.demo_models()[0]
    model = models.prepare(demo)
    chosen = subprocess.run(
        ["bash", str(SCRIPT), "--print-args"], check=True, capture_output=True, text=True
    ).stdout.strip()

    with tempfile.TemporaryDirectory(prefix="legeplads-build-bench-") as work:
        pythons = [sys.executable]
        if args.compare:
            pythons.append(compare_python(args.compare.resolve(), Path(work)))
        builds = [Build(python, model, args) for python in pythons]
        # Runs alternate between the builds, so a load that comes and goes on
        # a shared machine slows both alike.
        for _ in range(args.runs):
            for build in builds:
                build.run()
        for build in builds:
            build.close()
    installed = builds[0]
    print(f"model: {demo.name}  runs: {args.runs}  decoded tokens per run: {args.max_tokens}  threads: {args.threads}")
    print(f"prompt: {installed.info['prompt_tokens']} tokens   llama-cpp-python {installed.info['version']}")
    print("tokens per run: " + ", ".join("/".join(str(b.runs[i]["tokens"]) for b in builds) for i in range(args.runs)))
    print(f"CMake args the build script chooses here: {chosen}")
    show("installed build", installed)
    if args.compare:
        other = builds[1]
        print(f"compared build: {other.info['module']}")
        show("compared build ", other)
    if min(build.median("cpu_share") for build in builds) < 0.8:
        print(
            "Advarsel: andre programmer brugte kernerne under målingen (CPU share under 0,8), så ggml's "
            "tråde ventede på hinanden, og tallene er for lave og usikre. Mål igen, når maskinen er ledig."
        )
    if args.compare:
        ttft = installed.median("ttft_ms") / other.median("ttft_ms")
        print(
            f"ratio installed/compared: time to first token {ttft:.2f} ({(ttft - 1) * 100:+.0f} %)"
            f"   decode speed {installed.median('decode_tok_s') / other.median('decode_tok_s'):.2f}"
        )
    elif chosen == PORTABLE_AVX2:
        print(
            "Det fundne build er her det portable AVX2-build (CPU'en har hverken AVX-512 eller AVX-VNNI), "
            "så der er ikke noget hurtigere build at sammenligne med på denne maskine."
        )
    else:
        print(
            "Sammenlign med det portable AVX2-build: byg et wheel med "
            f"LEGEPLADS_CMAKE_ARGS='{PORTABLE_AVX2}' og giv det til --compare."
        )


if __name__ == "__main__":
    main()
