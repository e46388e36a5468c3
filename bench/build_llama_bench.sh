#!/usr/bin/env bash
# Build llama.cpp's llama-bench from the same source release as the installed llama-cpp-python
# (the wheel ships only the shared libraries). About 10 minutes on 2 cores.
#   bench/build_llama_bench.sh [install-dir]   (default: ~/.cache/llmcli-bench)
set -euo pipefail
dest="${1:-$HOME/.cache/llmcli-bench}"
py="$(dirname "$0")/../.venv/bin/python"
version="$("$py" -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$py" -m pip download "llama-cpp-python==$version" --no-deps --no-binary :all: -d "$work" -q
tar xzf "$work"/llama_cpp_python-"$version".tar.gz -C "$work"
src="$work/llama_cpp_python-$version/vendor/llama.cpp"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF
cmake --build "$src/build" --target llama-bench -j"$(nproc)"
mkdir -p "$dest"
cp "$src/build/bin/llama-bench" "$dest/llama-bench"
echo "$dest/llama-bench"
