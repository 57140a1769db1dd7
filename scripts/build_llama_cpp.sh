#!/usr/bin/env bash
# Install llama-cpp-python into the given virtual environment from a wheel
# built for the instruction sets this CPU has, never with AMX.
#
#   build_llama_cpp.sh VENV           build (or reuse) the wheel and install it
#   build_llama_cpp.sh --print-args   print the chosen CMake args and exit
#
# Why: a default (native) build on VMs whose CPU advertises AMX compiles fine
# and then segfaults on the first decode. We therefore always build with
# -DGGML_NATIVE=OFF and switch the instruction sets on one by one from the
# CPU's flags: AVX-512 (+VBMI/VNNI/BF16) and AVX-VNNI where present (31 %
# less time to first token than AVX2, measured on an earlier AVX-512 machine),
# the portable AVX2 build otherwise, a build without AVX2 on older CPUs, and
# on other architectures (aarch64) -DGGML_NATIVE=OFF alone. AMX is never
# enabled. LEGEPLADS_CMAKE_ARGS replaces the choice entirely; for tests,
# LEGEPLADS_CPUINFO names a file to read instead of /proc/cpuinfo.
#
# pip's wheel cache does not key on CMAKE_ARGS, so a wheel built with other
# flags earlier would be silently reused; we therefore never use pip's cache
# for this package and keep our own, keyed on everything that changes the
# binary (version, CMake args, Python ABI, machine).
set -euo pipefail

# The portable AVX2 build. Keep this string unchanged: it is part of the
# cache key of every wheel already built for an AVX2 machine.
AVX2_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"

# Sets cmake_args and build_label (Danish, for the message) for this machine.
# Option names are those of llama.cpp's ggml/CMakeLists.txt. With
# GGML_NATIVE=OFF, ggml turns SSE42, AVX, AVX2, BMI2, FMA and F16C on by
# default, so a feature the CPU lacks must be switched off explicitly.
choose_cmake_args() {
    if [ -n "${LEGEPLADS_CMAKE_ARGS:-}" ]; then
        cmake_args=$LEGEPLADS_CMAKE_ARGS
        build_label="egne CMake-flag fra LEGEPLADS_CMAKE_ARGS"
        return
    fi
    local machine
    machine=$(uname -m)
    case $machine in
        x86_64 | amd64 | i[3-6]86) ;;
        *)
            cmake_args="-DGGML_NATIVE=OFF"
            build_label="portabelt $machine-build"
            return
            ;;
    esac

    # The kernel lists a feature whose register state needs OS support
    # (avx*, avx512*, amx*) only when the OS has enabled that state in XCR0,
    # so these flags already mean "the CPU has it and the OS allows it": no
    # separate XGETBV check is needed.
    local cpuinfo=${LEGEPLADS_CPUINFO:-/proc/cpuinfo} flags
    flags=$(grep -m1 '^flags' "$cpuinfo" 2>/dev/null | cut -d: -f2- || true)
    if [ -z "$flags" ]; then
        cmake_args=$AVX2_ARGS
        build_label="portabelt AVX2-build ($cpuinfo kunne ikke læses)"
        return
    fi
    flags=" ${flags//$'\t'/ } "  # a space on both sides of every flag
    has() { [[ $flags == *" $1 "* ]]; }
    onoff() { if has "$1"; then echo ON; else echo OFF; fi; }

    if ! { has avx2 && has fma && has f16c; }; then
        # Older CPU: each pre-AVX2 feature exactly as present (the same
        # combinations as upstream's sandybridge/ivybridge/piledriver builds).
        cmake_args="-DGGML_NATIVE=OFF -DGGML_AVX2=OFF -DGGML_FMA=$(onoff fma) -DGGML_F16C=$(onoff f16c)"
        cmake_args+=" -DGGML_AVX=$(onoff avx) -DGGML_BMI2=$(onoff bmi2) -DGGML_SSE42=$(onoff sse4_2)"
        if has avx; then build_label="build uden AVX2 (med AVX)"; else build_label="build uden AVX"; fi
        return
    fi

    cmake_args=$AVX2_ARGS
    build_label="portabelt AVX2-build"
    local extra=""
    has bmi2 || cmake_args+=" -DGGML_BMI2=OFF"
    # GGML_AVX512 compiles with -mavx512f -mavx512cd -mavx512vl -mavx512dq -mavx512bw.
    if has avx512f && has avx512cd && has avx512vl && has avx512dq && has avx512bw; then
        cmake_args+=" -DGGML_AVX512=ON"
        build_label="AVX-512-build"
        has avx512vbmi && cmake_args+=" -DGGML_AVX512_VBMI=ON" && extra+=", VBMI"
        has avx512_vnni && cmake_args+=" -DGGML_AVX512_VNNI=ON" && extra+=", VNNI"
        has avx512_bf16 && cmake_args+=" -DGGML_AVX512_BF16=ON" && extra+=", BF16"
    fi
    has avx_vnni && cmake_args+=" -DGGML_AVX_VNNI=ON" && extra+=", AVX-VNNI"
    if [ "$build_label" = "AVX-512-build" ]; then
        # Never AMX (off by default; said explicitly so it stays off): a
        # native build on a VM whose CPU advertises AMX segfaults on first decode.
        cmake_args+=" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
    fi
    if [ -n "$extra" ]; then
        build_label="${build_label#portabelt } (${extra#, })"
    fi
    has amx_tile && build_label+=", uden AMX"
    return 0
}

if [ "${1:-}" = "--print-args" ]; then
    choose_cmake_args
    echo "Valgt: $build_label" >&2
    printf '%s\n' "$cmake_args"
    exit 0
fi

venv=${1:?usage: build_llama_cpp.sh VENV | build_llama_cpp.sh --print-args}
version=${LLAMA_CPP_VERSION:-0.3.36}
choose_cmake_args
py="$venv/bin/python"

installed=$("$py" -c 'import importlib.metadata as m; print(m.version("llama_cpp_python"))' 2>/dev/null || true)
stamp="$venv/.llama-cpp-build"
pytag=$("$py" -c 'import sys, sysconfig; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-{sysconfig.get_platform()}")')
key=$(printf '%s|%s|%s|%s' "$version" "$cmake_args" "$pytag" "$(uname -m)" | sha256sum | cut -c1-16)

if [ "$installed" = "$version" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    exit 0
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/legeplads/wheels/llama-cpp-python-$version-$key"
if ! ls "$cache"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "Bygger llama-cpp-python $version som $build_label (ca. 5 minutter første gang) ..." >&2
    echo "CMake-flag: $cmake_args" >&2
    tmp=$(mktemp -d)
    CMAKE_ARGS="$cmake_args" FORCE_CMAKE=1 "$py" -m pip wheel --quiet --no-cache-dir --no-deps \
        --no-binary llama-cpp-python -w "$tmp" "llama-cpp-python==$version"
    mkdir -p "$(dirname "$cache")"
    rm -rf "$cache.partial" && mv "$tmp" "$cache.partial" && mv "$cache.partial" "$cache"
else
    echo "Installerer llama-cpp-python $version ($build_label) fra $cache" >&2
fi
"$py" -m pip install --quiet --no-cache-dir --force-reinstall --no-deps "$cache"/llama_cpp_python-*.whl
echo "$key" > "$stamp"
