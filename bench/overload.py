"""Overload: many concurrent chats at a real `rag serve` with the embedded model.

    .venv/bin/python -m bench.overload
    .venv/bin/python -m bench.overload --clients 40 --give-up-after 10 --max-pending 4

Starts `rag serve` (one worker, the embedded Qwen2.5-1.5B, the sample corpus in a temporary
data dir) in a child process, waits until `/readyz` answers and the server's CPU is idle, then
runs two scenarios of `--clients` concurrent `POST /v1/chat`:

- *patient*: every client waits for its answer (up to `--patience` s);
- *impatient*: every client hangs up after `--give-up-after` s, as a browser tab closed or a
  client timeout does.

Reported per scenario: how many got 503 and how fast, how many were answered and how long the
slowest waited, `/healthz` latency meanwhile (one probe every 0.25 s), and how long the server
kept using CPU after the last client had left (utime+stime of the server process from
/proc/<pid>/stat, sampled every 0.1 s; idle = under 5 % of a core for one second).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.answer import QUESTIONS
from bench.common import Load, footer, machine, percentiles, save, table
from rag.settings import PROJECT_ROOT

TARGET = (
    "40 concurrent chats: those beyond the bound get 503 within 5 s, the rest are answered, "
    "none waits without bound, CPU idle within 5 s of the last client leaving"
)
IDLE_CORES = 0.05
IDLE_WINDOW_S = 1.0
SAMPLE_S = 0.1
TICKS = os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """Samples a process's CPU seconds (all its threads) on a thread of its own."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_s(self) -> float:
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), self.cpu_s()))
            self._stop.wait(SAMPLE_S)

    def idle_from(self, after: float) -> float | None:
        """The first moment at or after `after` from which the process used under IDLE_CORES
        for IDLE_WINDOW_S; None if it never did while sampled."""
        s = self.samples
        for i, (t, cpu) in enumerate(s):
            if t < after:
                continue
            end = next((j for j in range(i, len(s)) if s[j][0] >= t + IDLE_WINDOW_S), None)
            if end is None:
                return None
            if (s[end][1] - cpu) / (s[end][0] - t) < IDLE_CORES:
                return t
        return None

    def wait_idle(self, after: float, limit_s: float) -> float | None:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            found = self.idle_from(after)
            if found is not None:
                return found
            time.sleep(0.2)
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, model_path: Path, max_pending: int, log: Path) -> tuple[Any, str]:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RAG_", "OPENAI_", "SLACK_", "CHROMA_"))
        and not k.lower().endswith("_proxy")
    }
    env.update(
        RAG_DATA_DIR=str(data_dir),
        RAG_LLM__MODEL_PATH=str(model_path),
        RAG_API__MAX_PENDING_QUESTIONS=str(max_pending),
    )
    run = [sys.executable, "-m", "api.cli"]
    subprocess.run(
        [*run, "ingest", str(PROJECT_ROOT / "data" / "articles")],
        env=env,
        check=True,
        capture_output=True,
        cwd=PROJECT_ROOT,
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*run, "serve", "--port", str(port)], env=env, stdout=out, stderr=out, cwd=PROJECT_ROOT
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"rag serve exited; see {log}")
        try:
            # /readyz loads the model (the startup warm-up is doing so too).
            if httpx.get(f"{url}/readyz", timeout=120, trust_env=False).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{url}/readyz did not answer; see {log}")


async def storm(url: str, clients: int, give_up_s: float) -> dict[str, Any]:
    """`clients` chats at once, each abandoned after `give_up_s`; /healthz probed meanwhile."""
    results: list[dict[str, Any]] = []
    health: list[float] = []
    done = asyncio.Event()
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=0)

    async with httpx.AsyncClient(base_url=url, trust_env=False, limits=limits) as client:

        async def chat(i: int) -> None:
            start = time.monotonic()
            body = {"question": QUESTIONS[i % len(QUESTIONS)]}
            outcome = "gave up"
            try:
                r = await client.post("/v1/chat", json=body, timeout=give_up_s)
                outcome = str(r.status_code)
                retry_after = r.headers.get("retry-after")
            except httpx.TimeoutException:
                retry_after = None  # the client hangs up: its connection is closed
            end = time.monotonic()
            results.append(
                {"outcome": outcome, "s": end - start, "end": end, "retry_after": retry_after}
            )

        async def probe() -> None:
            while not done.is_set():
                t = time.monotonic()
                r = await client.get("/healthz", timeout=30)
                assert r.status_code == 200
                health.append(time.monotonic() - t)
                await asyncio.sleep(0.25)

        prober = asyncio.create_task(probe())
        started = time.monotonic()
        await asyncio.gather(*(chat(i) for i in range(clients)))
        done.set()
        await prober
    last_left = max(r["end"] for r in results)
    return {"results": results, "health_s": health, "started": started, "last_left": last_left}


def summarise(name: str, run: dict[str, Any], meter: CpuMeter) -> dict[str, Any]:
    results = run["results"]
    by = {k: [r["s"] for r in results if r["outcome"] == k] for k in {"200", "503", "gave up"}}
    others = sorted({r["outcome"] for r in results} - set(by))
    idle_at = meter.wait_idle(run["last_left"], limit_s=300)
    return {
        "scenario": name,
        "clients": len(results),
        "rejected_503": len(by["503"]),
        "rejected_max_s": max(by["503"], default=0.0),
        "retry_after_s": sorted({r["retry_after"] for r in results if r["retry_after"]}),
        "answered": len(by["200"]),
        "answered_max_s": max(by["200"], default=0.0),
        "gave_up": len(by["gave up"]),
        "other_statuses": others,
        "healthz": percentiles(run["health_s"]),
        "healthz_max_s": max(run["health_s"], default=0.0),
        "cpu_idle_after_last_client_s": None if idle_at is None else idle_at - run["last_left"],
        "server_cpu_s": meter.cpu_s(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overload", description=__doc__)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--max-pending", type=int, default=4, help="RAG_API__MAX_PENDING_...")
    parser.add_argument("--patience", type=float, default=600.0, help="patient clients' limit")
    parser.add_argument("--give-up-after", type=float, default=10.0)
    parser.add_argument("--model-path", type=Path, help="GGUF file (default: the joined Qwen)")
    args = parser.parse_args(argv)

    from rag.llm.model_files import ensure_model_file
    from rag.settings import Settings

    model_path = args.model_path or ensure_model_file(Settings().model_cache_dir)
    work = Path(tempfile.mkdtemp(prefix="bench-overload-"))
    before = machine()
    load = Load()  # the server is a child waited for below, so its CPU counts as ours
    rows = []
    try:
        proc, url = start_server(work / "data", model_path, args.max_pending, work / "serve.log")
        try:
            with CpuMeter(proc.pid) as meter:
                meter.wait_idle(time.monotonic(), limit_s=300)  # the warm-up is over
                scenarios = [("patient", args.patience), ("impatient", args.give_up_after)]
                for name, give_up in scenarios:
                    run = asyncio.run(storm(url, args.clients, give_up))
                    rows.append(summarise(name, run, meter))
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    after = machine()
    conditions = load.stop()
    payload = {
        "target": TARGET,
        "max_pending": args.max_pending,
        "scenarios": rows,
        "machine_before": before,
        "machine_after": after,
        "load": conditions,
    }
    path = save("overload", payload)
    print(
        table(
            [
                "scenario",
                "clients",
                "503",
                "503 max s",
                "Retry-After",
                "answered",
                "answered max s",
                "gave up",
                "healthz p95 / max ms",
                "CPU idle after last client s",
            ],
            [
                [
                    r["scenario"],
                    r["clients"],
                    r["rejected_503"],
                    round(r["rejected_max_s"], 2),
                    ",".join(r["retry_after_s"]),
                    r["answered"],
                    round(r["answered_max_s"], 1),
                    r["gave_up"],
                    f"{r['healthz']['p95_ms']:.0f} / {r['healthz_max_s'] * 1000:.0f}",
                    "never"
                    if r["cpu_idle_after_last_client_s"] is None
                    else round(r["cpu_idle_after_last_client_s"], 1),
                ]
                for r in rows
            ],
        )
    )
    print(footer(f"bound {args.max_pending}", before, after, payload, path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
