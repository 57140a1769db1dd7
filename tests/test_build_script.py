"""scripts/build_llama_cpp.sh: which CMake args it chooses for a CPU, and the installed build.

The choice is tested by running the real script with ``--print-args`` on
small cpuinfo files (``$LEGEPLADS_CPUINFO``). The installed llama_cpp is then
checked against the choice for this machine (the instruction sets llama.cpp
says it was compiled with) and made to generate real tokens: a build that
crashes on this CPU fails here.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import threading
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "build_llama_cpp.sh"
# The portable AVX2 build: part of the cache key of every wheel built so far.
AVX2 = "-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
NO_AMX = "-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"

BASE = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx"
EPYC_AVX2 = (
    f"{BASE} mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid tsc_known_freq pni pclmulqdq "
    "ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm "
    "cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext fsgsbase bmi1 avx2 smep bmi2 "
    "rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero xsaveerptr arat"
)
SAPPHIRE_RAPIDS = (
    f"{BASE} pdpe1gb rdtscp lm constant_tsc arch_perfmon rep_good nopl xtopology cpuid tsc_known_freq pni "
    "pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c "
    "rdrand hypervisor lahf_lm abm 3dnowprefetch fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid "
    "avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl "
    "xsaveopt xsavec xgetbv1 xsaves avx_vnni avx512_bf16 wbnoinvd arat avx512vbmi umip pku ospke waitpkg "
    "avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg tme avx512_vpopcntdq rdpid cldemote "
    "movdiri movdir64b md_clear serialize tsxldtrk amx_bf16 avx512_fp16 amx_tile amx_int8 arch_capabilities"
)
CASCADE_LAKE = (
    f"{BASE} pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid pni pclmulqdq ssse3 fma cx16 "
    "pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm "
    "3dnowprefetch fsgsbase tsc_adjust bmi1 hle avx2 smep bmi2 erms invpcid rtm mpx avx512f avx512dq "
    "rdseed adx smap clflushopt clwb avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves arat pku "
    "ospke avx512_vnni md_clear arch_capabilities"
)
SANDY_BRIDGE = (
    f"{BASE} pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid pni pclmulqdq ssse3 cx16 pcid "
    "sse4_1 sse4_2 x2apic popcnt tsc_deadline_timer aes xsave avx hypervisor lahf_lm xsaveopt arat"
)


def cpuinfo(tmp_path: Path, flags: str, processors: int = 2) -> Path:
    """A /proc/cpuinfo in the kernel's layout (tabs, one block per processor)."""
    blocks = [
        f"processor\t: {n}\nvendor_id\t: GenuineIntel\nmodel name\t: Test CPU\nflags\t\t: {flags}\n"
        f"bugs\t\t: spectre_v1\n"
        for n in range(processors)
    ]
    path = tmp_path / "cpuinfo"
    path.write_text("\n".join(blocks))
    return path


def print_args(cpuinfo_path: Path | str | None = None, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("LEGEPLADS_CPUINFO", "LEGEPLADS_CMAKE_ARGS")}
    if cpuinfo_path is not None:
        environ["LEGEPLADS_CPUINFO"] = str(cpuinfo_path)
    environ.update(env)
    done = subprocess.run(
        ["bash", str(SCRIPT), "--print-args"], env=environ, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("Valgt: ")
    return done.stdout.strip()


x86_only = pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86 detection")


@x86_only
def test_avx2_epyc_gets_the_portable_avx2_build(tmp_path: Path) -> None:
    assert print_args(cpuinfo(tmp_path, EPYC_AVX2)) == AVX2


@x86_only
def test_avx512_with_vnni_and_bf16_never_enables_amx(tmp_path: Path) -> None:
    args = print_args(cpuinfo(tmp_path, SAPPHIRE_RAPIDS))
    assert args == (
        f"{AVX2} -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON "
        f"-DGGML_AVX_VNNI=ON {NO_AMX}"
    )
    assert not re.search(r"AMX\w*=ON", args)


@x86_only
def test_avx512_without_bf16(tmp_path: Path) -> None:
    assert print_args(cpuinfo(tmp_path, CASCADE_LAKE)) == f"{AVX2} -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON {NO_AMX}"


@x86_only
def test_avx_vnni_without_avx512(tmp_path: Path) -> None:
    # Alder Lake and later hybrid CPUs: AVX-VNNI speeds up the AVX2 kernels too.
    assert print_args(cpuinfo(tmp_path, EPYC_AVX2 + " avx_vnni")) == f"{AVX2} -DGGML_AVX_VNNI=ON"


@x86_only
def test_avx512f_alone_is_not_enough_for_ggml_avx512(tmp_path: Path) -> None:
    # GGML_AVX512 compiles with -mavx512f/cd/vl/dq/bw; Knights Landing has no bw/vl/dq.
    flags = EPYC_AVX2 + " avx512f avx512cd avx512pf avx512er"
    assert print_args(cpuinfo(tmp_path, flags)) == AVX2


@x86_only
def test_no_avx2_switches_off_what_ggml_would_turn_on(tmp_path: Path) -> None:
    assert print_args(cpuinfo(tmp_path, SANDY_BRIDGE)) == (
        "-DGGML_NATIVE=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF -DGGML_AVX=ON -DGGML_BMI2=OFF -DGGML_SSE42=ON"
    )


@x86_only
def test_unreadable_cpuinfo_falls_back_to_portable_avx2(tmp_path: Path) -> None:
    assert print_args(tmp_path / "missing") == AVX2


def test_legeplads_cmake_args_overrides_everything(tmp_path: Path) -> None:
    own = "-DGGML_NATIVE=OFF -DGGML_AVX2=OFF"
    assert print_args(cpuinfo(tmp_path, SAPPHIRE_RAPIDS), LEGEPLADS_CMAKE_ARGS=own) == own


@x86_only
def test_this_machine() -> None:
    flags = set(Path("/proc/cpuinfo").read_text().split("\nflags", 1)[1].split("\n", 1)[0].split(":", 1)[1].split())
    args = print_args()
    assert "AMX_TILE=ON" not in args and "AMX_INT8=ON" not in args
    if {"avx2", "fma", "f16c", "bmi2"} <= flags and not flags & {"avx512f", "avx_vnni"}:
        # An AVX2-only machine (like the one this was written on) keeps the
        # portable build, and with it the cache key of the wheel built before.
        assert args == AVX2
    elif {"avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"} <= flags:
        assert "-DGGML_AVX512=ON" in args


# What llama_print_system_info() lists ("AVX2 = 1 | ...", only features that
# are compiled in) for each CMake option. With GGML_NATIVE=OFF, ggml turns
# the first five on unless the args switch them off.
FEATURES = {
    "GGML_AVX": "AVX",
    "GGML_AVX2": "AVX2",
    "GGML_BMI2": "BMI2",
    "GGML_FMA": "FMA",
    "GGML_F16C": "F16C",
    "GGML_AVX_VNNI": "AVX_VNNI",
    "GGML_AVX512": "AVX512",
    "GGML_AVX512_VBMI": "AVX512_VBMI",
    "GGML_AVX512_VNNI": "AVX512_VNNI",
    "GGML_AVX512_BF16": "AVX512_BF16",
    "GGML_AMX_INT8": "AMX_INT8",
}
ON_BY_DEFAULT = {"GGML_AVX", "GGML_AVX2", "GGML_BMI2", "GGML_FMA", "GGML_F16C"}


def expected_features(args: str) -> set[str]:
    options = dict(re.findall(r"-D(GGML_\w+)=(ON|OFF)", args))
    return {
        feature
        for option, feature in FEATURES.items()
        if options.get(option, "ON" if option in ON_BY_DEFAULT else "OFF") == "ON"
    }


@x86_only
def test_installed_build_matches_the_choice_and_generates_tokens(demo_model_path: Path) -> None:
    import llama_cpp

    from sandbox.backends.base import Finished, GenerationParams, Message, Token
    from sandbox.backends.llama import LlamaBackend

    args = print_args()
    if "-DGGML_NATIVE=OFF" not in args:
        pytest.skip(f"LEGEPLADS_CMAKE_ARGS is a native build ({args}); nothing to compare")
    info = llama_cpp.llama_print_system_info().decode()
    compiled = set(re.findall(r"(\w+) = 1", info)) & set(FEATURES.values())
    assert compiled == expected_features(args), f"installed: {info!r}; the script chooses: {args}"
    assert "AMX_INT8" not in compiled

    backend = LlamaBackend(demo_model_path, n_ctx=256)
    try:
        prompt = (Message("user", "Skriv en kort hilsen til en borger."),)
        params = GenerationParams(max_tokens=8, temperature=0.0)
        items = list(backend.stream(prompt, params, 1, threading.Event()))
    finally:
        backend.close()
    tokens = [item for item in items if isinstance(item, Token)]
    assert tokens, items
    assert isinstance(items[-1], Finished) and items[-1].completion_tokens == len(tokens) <= 8
