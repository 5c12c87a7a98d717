"""One PNG: the headline metric and p50 latency by category, system next to baseline."""

from __future__ import annotations

from pathlib import Path

from eval.aggregate import Aggregate
from eval.runner import RunResult

SKIPPED = "plot skipped: matplotlib is not installed (pip install -e '.[eval]' adds it)"


def write_plot(result: RunResult, path: Path) -> str | None:
    """Write the plot; return a note saying why it was skipped, or None when written."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display in CI or over SSH
        import matplotlib.pyplot as plt
    except ImportError:
        return SKIPPED
    metric, stage = headline(result)
    categories = sorted(result.categories.get("system", {}))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for offset, name in ((-0.2, "system"), (0.2, "baseline")):
        by_cat = result.categories.get(name, {})
        positions = [i + offset for i in range(len(categories))]
        left.bar(positions, [_value(by_cat.get(c), metric) for c in categories], 0.4, label=name)
        right.bar(positions, [_p50(by_cat.get(c), stage) for c in categories], 0.4, label=name)
    for axis, title in ((left, metric), (right, f"p50 {stage} (s)")):
        axis.set_xticks(range(len(categories)), categories, rotation=30, ha="right")
        axis.set_title(title)
        axis.legend()
    left.set_ylim(0, 1.05)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def headline(result: RunResult) -> tuple[str, str]:
    """Accuracy and total latency when answers were scored; recall and retrieval time if not."""
    return ("accuracy", "total_s") if result.answers("system") else ("recall", "retrieve_s")


def _value(agg: Aggregate | None, metric: str) -> float:
    value = getattr(agg, metric, None) if agg else None
    return float(value) if value is not None else 0.0


def _p50(agg: Aggregate | None, stage: str) -> float:
    return agg.latency[stage]["p50"] if agg and stage in agg.latency else 0.0
