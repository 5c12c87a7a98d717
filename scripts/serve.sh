#!/usr/bin/env bash
# One command from a fresh clone: install, ingest the sample corpus, start the API on
# http://127.0.0.1:8000 (chat page at /). Extra arguments go to `rag serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh local
[ -f .env ] || cp .env.example .env
.venv/bin/rag ingest data/articles
exec .venv/bin/rag serve "$@"
