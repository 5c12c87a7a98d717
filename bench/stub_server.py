"""The real app under uvicorn with a stub chat model; `bench.http_api` starts it as a child.

The service is the real one (MiniLM, Chroma on disk, BM25, citation verification, SQLite
conversations) over the sample corpus; only the chat model is `FakeChatModel`, so the numbers
measure the server, not llama.cpp. The child binds 127.0.0.1 on a free port itself and prints
`PORT <n>` once it is ready, so no port is chosen by one process and taken by another.
"""

from __future__ import annotations

import argparse
import re
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from rag.llm.fake import FakeChatModel
from rag.service import RagService
from rag.settings import PROJECT_ROOT, Settings
from rag.types import Message

_FIRST_EXCERPT = re.compile(r"^\[1\](?: \(published [^)]*\))? (.+?[.!?])(?=\s|$)", re.MULTILINE)


def stub_reply(messages: Sequence[Message]) -> str:
    """Quote the first excerpt's first sentence and cite it, as a good model would."""
    match = _FIRST_EXCERPT.search(messages[-1].content)
    return f"{match.group(1)[:-1]} [1]." if match else "NOT IN ARTICLES"


def stub_service(data_dir: Path) -> tuple[Settings, RagService]:
    from rag.factory import build_service

    settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
    service = build_service(settings, llm=FakeChatModel(stub_reply))
    report = service.ingest([PROJECT_ROOT / "data" / "articles"])
    assert report.ok, report.failed
    return settings, service


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stub_server")
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    import uvicorn

    from api.app import create_app

    settings, service = stub_service(args.data_dir)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    # Same server settings as `rag serve` (info log with access lines, uvloop, httptools).
    config = uvicorn.Config(create_app(settings, service), log_level="info", lifespan="off")
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
