#!/usr/bin/env bash
# Install llama-cpp-python into the given virtual environment from a wheel
# built with portable CPU flags.
#
# Why: a default (native) build on VMs whose CPU advertises AMX compiles fine
# and then segfaults on the first decode. -DGGML_NATIVE=OFF gives a portable
# AVX2 build that runs. pip's wheel cache does not key on CMAKE_ARGS, so a
# native wheel built earlier would be silently reused; we therefore never use
# pip's cache for this package and keep our own, keyed on everything that
# changes the binary (version, CMAKE_ARGS, Python ABI, machine).
set -euo pipefail

venv=${1:?usage: build_llama_cpp.sh VENV}
version=${LLAMA_CPP_VERSION:-0.3.36}
cmake_args=${LEGEPLADS_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}
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
    echo "Bygger llama-cpp-python $version (portabel CPU-build, ca. 5 minutter første gang) ..." >&2
    tmp=$(mktemp -d)
    CMAKE_ARGS="$cmake_args" FORCE_CMAKE=1 "$py" -m pip wheel --quiet --no-cache-dir --no-deps \
        --no-binary llama-cpp-python -w "$tmp" "llama-cpp-python==$version"
    mkdir -p "$(dirname "$cache")"
    rm -rf "$cache.partial" && mv "$tmp" "$cache.partial" && mv "$cache.partial" "$cache"
fi
"$py" -m pip install --quiet --no-cache-dir --force-reinstall --no-deps "$cache"/llama_cpp_python-*.whl
echo "$key" > "$stamp"
