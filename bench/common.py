"""Shared benchmark plumbing: the hash embedder, timing statistics, machine facts, results."""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import sys
import time
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from eval.provenance import git_state
from rag.settings import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"
_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedder:
    """A deterministic stand-in for MiniLM that costs microseconds, not 30 ms, per chunk.

    Feature hashing of lower-cased words into `dim` signed buckets, L2-normalised: texts that
    share words get similar vectors, so nearest-neighbour search does real work, but nothing
    here says how well MiniLM would rank. Use it to measure the pipeline and the store at sizes
    the real embedder would take hours to fill on 2 cores.

    >>> e = HashEmbedder()
    >>> len(e.embed(["Xi met Putin in Astana."])[0]) == e.dim
    True
    """

    name = "bench-hash-384"

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self._buckets: dict[str, tuple[int, float]] = {}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = self._buckets.get(word)
                if bucket is None:
                    h = zlib.crc32(word.encode())
                    bucket = self._buckets[word] = (h % self.dim, 1.0 if h & 1 << 31 else -1.0)
                out[row, bucket[0]] += bucket[1]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.clip(norms, 1e-12, None)).tolist()  # type: ignore[no-any-return]


def build_embedder(kind: str) -> Any:
    if kind == "hash":
        return HashEmbedder()
    if kind == "minilm":
        from rag.embeddings.onnx_minilm import MiniLMEmbedder

        return MiniLMEmbedder()
    raise SystemExit(f"unknown embedder {kind!r}: use minilm or hash")


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds (numpy's linear interpolation)."""
    if not seconds:
        return {"n": 0}
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "max_ms": round(float(ms.max()), 3),
    }


def max_rss_mb() -> float:
    """This process's peak resident set size (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine() -> dict[str, Any]:
    """What the numbers were measured on, and how busy the machine was at the time."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "git": _git_revision(),
        "packages": _versions("chromadb", "onnxruntime", "llama_cpp", "fastapi", "uvicorn"),
    }


class Load:
    """How much CPU other processes took while a benchmark ran, from /proc/stat.

    The load average cannot tell a benchmark's own threads from other people's work; this can:
    machine-wide busy CPU time minus this process's and its waited-for children's.

    >>> load = Load()
    >>> ...  # measure
    >>> load.stop()["others_cores"]
    0.03
    """

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._busy = _machine_busy_s()
        self._own = _own_cpu_s()

    def stop(self) -> dict[str, Any]:
        wall = time.perf_counter() - self._wall
        own = _own_cpu_s() - self._own
        busy = _machine_busy_s() - self._busy
        others = max(0.0, busy - own) / wall if wall > 0 else 0.0
        cores = os.cpu_count() or 1
        return {
            "wall_s": round(wall, 1),
            "own_cores": round(own / wall, 2) if wall > 0 else 0.0,
            "others_cores": round(others, 2),
            "conditions": (
                "quiet"
                if others < 0.25
                else f"contended: other processes used {others:.1f} of {cores} cores"
            ),
        }


def _machine_busy_s() -> float:
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def save(name: str, payload: dict[str, Any], folder: Path = RESULTS) -> Path:
    """Write `bench/results/<name>.json` (latest) and a timestamped copy; return the latest.
    Tests pass their own `folder`, so a test run never replaces a measured result."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    body = json.dumps(payload, indent=2, default=str)
    (folder / f"{name}-{stamp}.json").write_text(body, encoding="utf-8")
    latest = folder / f"{name}.json"
    latest.write_text(body, encoding="utf-8")
    return latest


def footer(
    lead: str, before: dict[str, Any], after: dict[str, Any], payload: dict[str, Any], path: Path
) -> str:
    """The closing line every benchmark prints: what ran, the machine's load, where the JSON is."""
    load = payload["load"]["conditions"]
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    prefix = f"{lead}; " if lead else ""
    return (
        f"\n{prefix}load {before['loadavg_1_5_15']} → {after['loadavg_1_5_15']} on "
        f"{before['cores']} cores ({load}); JSON: {shown}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table, so the output pastes straight into bench/README.md."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    return "\n".join(lines)


class Stopwatch:
    """`with Stopwatch() as t: ...` then `t.s`; wall-clock seconds from perf_counter."""

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        self.s = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.s = time.perf_counter() - self._start


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _git_revision() -> str:
    state = git_state(PROJECT_ROOT)
    if state["commit"] is None:
        return "unknown"
    return f"{state['commit'][:7]}{'+dirty' if state['dirty'] else ''}"


def _versions(*modules: str) -> dict[str, str]:
    from importlib import metadata

    names = {"llama_cpp": "llama-cpp-python"}
    out = {}
    for module in modules:
        try:
            out[module] = metadata.version(names.get(module, module))
        except metadata.PackageNotFoundError:
            out[module] = "not installed"
    return out
