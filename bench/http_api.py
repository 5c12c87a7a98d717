"""HTTP throughput and latency under concurrent load, and what the API adds over the service.

    .venv/bin/python -m bench.http_api
    .venv/bin/python -m bench.http_api --requests 400 --concurrency 1,4,16 --time-limit 120

Starts `bench.stub_server` (the real app and service, with a stub chat model) under uvicorn on
127.0.0.1 in a child process, then drives it from this process with a bounded load generator:
a fixed number of requests, a fixed number in flight, and a hard time limit after which
unfinished requests are cancelled and counted. Loopback only; no proxy is consulted.

"API overhead" compares, on the same questions and interleaved so that background load hits
both alike, one sequential HTTP `POST /v1/chat` against `service.ask` and `service.chat` on an
identical service in this process. `chat` also stores the turn in SQLite, as the route does, so
(HTTP − chat) is the HTTP/FastAPI/JSON cost alone and (HTTP − ask) is everything the API adds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from bench.answer import QUESTIONS
from bench.common import Load, Stopwatch, footer, machine, percentiles, save, table
from bench.stub_server import stub_service

TARGET_OVERHEAD_MS = 10.0


def start_server(
    data_dir: Path, log: Path, timeout_s: float = 120.0
) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.stub_server", "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
        )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    line = proc.stdout.readline().decode()  # blocks until the service is built and bound
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"the stub server did not start; see {log}")
    url = f"http://127.0.0.1:{int(line.split()[1])}"
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0, trust_env=False).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{url}/healthz did not answer within {timeout_s} s; see {log}")


async def drive(
    url: str,
    method: str,
    path: str,
    bodies: Sequence[dict[str, Any] | None],
    requests: int,
    concurrency: int,
    time_limit_s: float,
) -> dict[str, Any]:
    """`requests` calls with at most `concurrency` in flight; stop hard after `time_limit_s`."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, limits=limits, timeout=30.0, trust_env=False
    ) as client:

        async def one(i: int) -> None:
            async with gate:
                start = time.perf_counter()
                try:
                    response = await client.request(method, path, json=bodies[i % len(bodies)])
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    return
                latencies.append(time.perf_counter() - start)
                statuses[response.status_code] += 1

        started = time.perf_counter()
        tasks = [asyncio.create_task(one(i)) for i in range(requests)]
        _, pending = await asyncio.wait(tasks, timeout=time_limit_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        wall = time.perf_counter() - started
    return {
        "endpoint": f"{method} {path}",
        "concurrency": concurrency,
        "requests": requests,
        "completed": len(latencies),
        "cancelled_at_time_limit": len(pending),
        "statuses": dict(statuses),
        "errors": dict(errors),
        "wall_s": round(wall, 3),
        "throughput_rps": round(len(latencies) / wall, 1),
        "latency": percentiles(latencies),
    }


def api_overhead(url: str, data_dir: Path, rounds: int) -> dict[str, Any]:
    """Sequential HTTP vs in-process calls on the same questions, interleaved."""
    _, service = stub_service(data_dir)
    conversations = service.conversations
    assert conversations is not None
    http_s: list[float] = []
    ask_s: list[float] = []
    chat_s: list[float] = []
    with httpx.Client(base_url=url, timeout=30.0, trust_env=False) as client:
        for question in QUESTIONS[:2]:  # warm both sides: first BM25 build, lazy imports
            client.post("/v1/chat", json={"question": question}).raise_for_status()
            service.ask(question)
        for _ in range(rounds):
            for question in QUESTIONS:
                with Stopwatch() as t:
                    client.post("/v1/chat", json={"question": question}).raise_for_status()
                http_s.append(t.s)
                with Stopwatch() as t:
                    service.ask(question)
                ask_s.append(t.s)
                with Stopwatch() as t:
                    for _event in service.chat(question, conversations.new_id()):
                        pass
                chat_s.append(t.s)
    http, ask, chat = (np.asarray(x) * 1000 for x in (http_s, ask_s, chat_s))
    return {
        "pairs": len(http_s),
        "http": percentiles(http_s),
        "service_ask": percentiles(ask_s),
        "service_chat": percentiles(chat_s),
        # Paired differences: the same question, measured back to back.
        "overhead_vs_ask_p50_ms": round(float(np.median(http - ask)), 3),
        "overhead_vs_ask_p95_ms": round(float(np.percentile(http - ask, 95)), 3),
        "overhead_vs_chat_p50_ms": round(float(np.median(http - chat)), 3),
        "overhead_vs_chat_p95_ms": round(float(np.percentile(http - chat, 95)), 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.http_api", description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="per load scenario")
    parser.add_argument("--concurrency", default="1,8", help="in-flight requests, comma-separated")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per scenario")
    parser.add_argument("--rounds", type=int, default=10, help="overhead rounds over the questions")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    before = machine()
    load = Load()
    proc, url = start_server(work / "server", work / "server.log")
    try:
        chat_bodies = [{"question": q} for q in QUESTIONS]
        scenarios = []
        for level in levels:
            for method, path, bodies in (
                ("GET", "/healthz", [None]),
                ("POST", "/v1/chat", chat_bodies),
            ):
                print(f"{method} {path} × {args.requests} at concurrency {level}…", file=sys.stderr)
                scenarios.append(
                    asyncio.run(
                        drive(url, method, path, bodies, args.requests, level, args.time_limit)
                    )
                )
        print("API overhead…", file=sys.stderr)
        overhead = api_overhead(url, work / "inproc", args.rounds)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)
    after = machine()
    payload = {
        "benchmark": "http",
        "server": "uvicorn (1 worker, uvloop/httptools, info log) + stub chat model",
        "target": f"API overhead < {TARGET_OVERHEAD_MS:.0f} ms",
        "machine_before": before,
        "machine_after": after,
        "load": load.stop(),
        "scenarios": scenarios,
        "overhead": overhead,
    }
    path = save("http", payload)
    print(
        table(
            ["endpoint", "conc.", "done", "req/s", "p50 ms", "p95 ms", "p99 ms", "statuses"],
            [
                [
                    s["endpoint"],
                    s["concurrency"],
                    f"{s['completed']}/{s['requests']}",
                    s["throughput_rps"],
                    s["latency"].get("p50_ms", "-"),
                    s["latency"].get("p95_ms", "-"),
                    s["latency"].get("p99_ms", "-"),
                    " ".join(f"{k}×{v}" for k, v in sorted(s["statuses"].items()))
                    + "".join(f" {k}×{v}" for k, v in s["errors"].items()),
                ]
                for s in scenarios
            ],
        )
    )
    print()
    o = overhead
    print(
        table(
            ["sequential, same questions", "p50 ms", "p95 ms"],
            [
                ["HTTP POST /v1/chat", o["http"]["p50_ms"], o["http"]["p95_ms"]],
                ["in-process service.ask", o["service_ask"]["p50_ms"], o["service_ask"]["p95_ms"]],
                [
                    "in-process service.chat (+SQLite)",
                    o["service_chat"]["p50_ms"],
                    o["service_chat"]["p95_ms"],
                ],
                ["overhead: HTTP − ask", o["overhead_vs_ask_p50_ms"], o["overhead_vs_ask_p95_ms"]],
                [
                    "overhead: HTTP − chat",
                    o["overhead_vs_chat_p50_ms"],
                    o["overhead_vs_chat_p95_ms"],
                ],
            ],
        )
    )
    print(footer(f"target: {payload['target']}", before, after, payload, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
