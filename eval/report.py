"""Write a run's results: `results.json` (everything), `report.md` and `report.html` (for people),
`plot.png`; and the short summary table printed at the end of a run."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jinja2

from eval.aggregate import STAGES, Aggregate
from eval.plot import headline, write_plot
from eval.runner import RunResult
from eval.scoring import QuestionRecord

TEMPLATES = Path(__file__).parent / "templates"
CONTENDERS = ("system", "baseline")
METRICS = (
    ("recall", "recall@{k}"),
    ("mrr", "MRR"),
    ("correction_hit", "false premise: a true article in top {k}"),
    ("correction_mrr", "false premise: MRR of what is true"),
    ("accuracy", "accuracy"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("refusal_accuracy", "refusal accuracy"),
    ("false_refusal_rate", "false refusal rate"),
    ("wrong_answer_rate", "wrong-answer rate"),
    ("premise_accepted_rate", "premise accepted rate"),
    ("declined_or_corrected", "declined or corrected"),
    ("corrected_rate", "false premise: corrected"),
    ("judge_accuracy", "judge: accuracy"),
    ("judge_agreement", "judge: agrees with facts"),
)
# The truthfulness table by category (answers only): what issue 22 measures.
TRUTH_METRICS = (
    ("wrong_answer_rate", "wrong-answer rate"),
    ("premise_accepted_rate", "premise accepted"),
    ("declined_or_corrected", "declined or corrected"),
)


def write_all(result: RunResult, out: Path, gate_lines: list[dict[str, Any]]) -> dict[str, Path]:
    """Write every output file into `out`; return their paths by kind."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "results.json",
        "markdown": out / "report.md",
        "html": out / "report.html",
        "plot": out / "plot.png",
    }
    paths["json"].write_text(
        json.dumps(results_json(result, gate_lines), indent=2, ensure_ascii=False)
    )
    plot_note = write_plot(result, paths["plot"])
    if plot_note:
        del paths["plot"]
    view = report_view(result, gate_lines, plot_note)
    paths["markdown"].write_text(_render("report.md.j2", view, autoescape=False))
    paths["html"].write_text(_render("report.html.j2", view, autoescape=True))
    return paths


def results_json(result: RunResult, gate_lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "metadata": result.metadata,
        "gates": gate_lines,
        "aggregates": {
            name: {
                "overall": asdict(result.overall[name]),
                "by_category": {c: asdict(a) for c, a in result.categories[name].items()},
                "by_half": {
                    half: {
                        "overall": asdict(agg),
                        "by_category": {
                            c: asdict(a)
                            for c, a in result.half_categories.get(name, {}).get(half, {}).items()
                        },
                    }
                    for half, agg in result.halves.get(name, {}).items()
                },
            }
            for name in result.records
        },
        "questions": {
            name: [asdict(r) for r in records] for name, records in result.records.items()
        },
    }


def report_view(
    result: RunResult, gate_lines: list[dict[str, Any]], plot_note: str | None
) -> dict[str, Any]:
    """Everything the templates show, already formatted: the templates only lay it out."""
    names = [n for n in CONTENDERS if n in result.records]
    metric, stage = headline(result)
    answering = [n for n in names if result.answers(n)]
    return {
        "meta": result.metadata,
        "names": names,
        "columns": [label for label, _ in summary_columns(result, names)],
        "summary": summary_rows(result, names),
        "headline": metric,
        "category_columns": [label for _, label in category_metrics(metric)] + [f"p50 {stage}"],
        "categories": category_rows(result, names, metric, stage),
        "truth_names": answering,
        "truth_columns": [label for _, label in TRUTH_METRICS],
        "truth": truth_rows(result, answering),
        "questions": {n: [question_row(r) for r in result.records[n]] for n in names},
        "failures": [question_row(r) for r in result.records["system"] if r.correct is False],
        "gates": gate_lines,
        "plot": None if plot_note else "plot.png",
        "plot_note": plot_note,
    }


def summary_columns(result: RunResult, names: list[str]) -> list[tuple[str, Aggregate]]:
    """(label, aggregate) per column: each contender over the run, then over each half when
    the run holds both (a `--half` run's only half is the run itself)."""
    columns: list[tuple[str, Aggregate]] = []
    for name in names:
        columns.append((name, result.overall[name]))
        halves = result.halves.get(name, {})
        if len(halves) > 1:
            columns += [(f"{name} {half}", agg) for half, agg in halves.items()]
    return columns


def summary_rows(result: RunResult, names: list[str]) -> list[list[str]]:
    k = result.metadata["settings"]["retrieval"]["top_k"]
    aggs = [agg for _, agg in summary_columns(result, names)]
    rows: list[list[str]] = []
    for attr, label in METRICS:
        values = [getattr(a, attr) for a in aggs]
        if any(v is not None for v in values):
            rows.append([label.format(k=k), *(fmt(v) for v in values)])
    rows.append(["questions (errors)", *(f"{a.n} ({a.errors})" for a in aggs)])
    for stage in STAGES:
        for p in ("p50", "p95"):
            values = [_latency(a, stage, p) for a in aggs]
            if any(v is not None for v in values):
                rows.append([f"{p} {stage}", *(fmt(v, seconds=True) for v in values)])
    return rows


def category_metrics(headline_metric: str) -> list[tuple[str, str]]:
    """(attribute, column label) per category: the headline metric first, no duplicates."""
    wanted = [(headline_metric, headline_metric), ("recall", "recall"), ("mrr", "MRR")]
    return list(dict(wanted).items())


def category_rows(result: RunResult, names: list[str], metric: str, stage: str) -> list[list[str]]:
    rows = []
    for category in sorted(result.categories["system"]):
        aggs = [result.categories[n][category] for n in names]
        row = [category, _count(result, category)]
        for attr, _ in category_metrics(metric):
            row += [fmt(_category_value(a, attr)) for a in aggs]
        row += [fmt(_latency(a, stage, "p50"), seconds=True) for a in aggs]
        rows.append(row)
    return rows


def _category_value(agg: Aggregate, attr: str) -> float | None:
    """A category of false premises alone has no answerable recall: it shows, as the report's
    note says, the share with a true article in the top k, and the MRR of those articles."""
    value = getattr(agg, attr)
    if value is None and agg.false_premise == agg.n:
        return {"recall": agg.correction_hit, "mrr": agg.correction_mrr}.get(attr)
    return value


def truth_rows(result: RunResult, names: list[str]) -> list[list[str]]:
    """Per category: wrong-answer rate, premise accepted and declined or corrected, for each
    contender that answered; a metric with nothing to count is `—`."""
    if not names:
        return []
    rows = []
    for category in sorted(result.categories["system"]):
        row = [category, _count(result, category)]
        for attr, _ in TRUTH_METRICS:
            row += [fmt(getattr(result.categories[n][category], attr)) for n in names]
        rows.append(row)
    return rows


def _count(result: RunResult, category: str) -> str:
    """`n`, with the dev/test split when the run holds both halves: `11 (5/6)`."""
    n = str(result.categories["system"][category].n)
    halves = result.half_categories.get("system", {})
    if len(halves) < 2:
        return n
    split = "/".join(str(h[category].n if category in h else 0) for h in halves.values())
    return f"{n} ({split})"


def outcome(r: QuestionRecord) -> str:
    """`correct?` as a reader wants it: why a not-answerable question was right or wrong."""
    if r.correct is None:
        return "—"
    if r.answerable or r.error is not None:
        return "yes" if r.correct else "no"
    if r.correct:
        return "yes (corrected)" if r.corrected else "yes (declined)"
    return "no (premise accepted)" if r.premise_accepted else "no (answered)"


def question_row(r: QuestionRecord) -> dict[str, str]:
    latency = r.timings.get("total_s", r.timings.get("retrieve_s"))
    return {
        "id": r.id,
        "category": r.category,
        "half": r.half,
        "question": r.question,
        "history": " / ".join(r.history),
        "answer": r.answer if r.answer is not None else "—",
        "correct": {True: "yes", False: "no", None: "—"}[r.correct],
        "outcome": outcome(r),
        "recall": fmt(r.recall),
        "mrr": fmt(r.mrr),
        "citations": "; ".join(
            f"[{c['n']}] {c['source'] or '?'} {'✓' if c['supported'] else '✗ ' + c['reason']}"
            for c in r.citations
        ),
        "latency": fmt(latency, seconds=True),
        "missed": "; ".join(" | ".join(group) for group in r.missed_facts),
        "error": r.error or "",
        "retrieved": ", ".join(r.retrieved_sources),
    }


def summary_table(result: RunResult) -> str:
    """The plain-text table printed to stdout at the end of a run."""
    names = [n for n in CONTENDERS if n in result.records]
    header = [label for label, _ in summary_columns(result, names)]
    rows = [["metric", *header], *summary_rows(result, names)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt(value: float | None, *, seconds: bool = False) -> str:
    if value is None:
        return "—"
    if not seconds:
        return f"{value:.3f}"
    return f"{value:.2f}s" if value >= 1 else f"{value * 1000:.0f}ms"


def _latency(agg: Aggregate, stage: str, p: str) -> float | None:
    return agg.latency[stage][p] if stage in agg.latency else None


def _render(name: str, view: dict[str, Any], *, autoescape: bool) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = _markdown_cell
    env.filters["line"] = _one_line
    return env.get_template(name).render(**view)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _markdown_cell(text: str) -> str:
    """A value that cannot break a Markdown table row."""
    return _one_line(text).replace("|", "\\|")
