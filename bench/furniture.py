"""Page furniture in the news archive's chunks, before and after it is removed at read time.

    .venv/bin/python -m bench.furniture [--wheel PATH] [--audit 50]

Counts, not timings. Chunks every archive article with the real chunker (the chunking
settings), once as the CSV has it (`read_archive(remove_furniture=False)`, as documents were
stored before) and once as `rag archive` now stores it, and counts the chunks an independent
detector flags, for the first 2,000 articles (`rag archive --limit 2000`) and for the whole
archive. The detector is broader than the remover and shares no code with it:

- markers: the strings the issue found in answers ("Facebook Twitter", "READ MORE",
  "Media playback is not supported", "Share this with") and the other labels of the same
  kinds seen in the CSV ("Newsvine", "Permalink", "Share this slide", "RELATED:", "WATCH:",
  "OPINION:", "IN PICTURES:", "INTERACTIVE:", "Read:", "Learn more");
- recurring: a sentence of the chunk (the chunker's splitter) that occurs in at least
  `--recurring` articles of the chunk's outlet in the CSV as it is (articles, not stories;
  any two words or more; long ones also found glued inside another sentence).

A recurring sentence that opens its article and names a day is a dateline ("MOSCOW, February
7. /TASS/."): counted apart, since the remover keeps datelines on purpose.

`--audit N` writes every passage removed from N articles that lose something, spread over
the outlets, to
`bench/results/furniture-removed.md`, with the words around each cut, to be read by a person:
the claim that no article sentence is lost rests on that reading, not on this script.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import RESULTS, machine, save, table
from rag.archive import WHEEL_NAME, ArchiveArticle, read_archive
from rag.documents import furniture
from rag.documents.chunker import chunk_document
from rag.settings import Settings
from rag.text.sentences import split_sentences

SAMPLE = 2000
MARKERS = (
    "Facebook Twitter",
    "Newsvine",
    "Permalink",
    "READ MORE",
    "Media playback is not supported",
    "Share this with",
    "Share this slide",
    "RELATED:",
    "Related:",
    "WATCH:",
    "OPINION:",
    "IN PICTURES:",
    "INTERACTIVE:",
    "Read:",
    "READ:",
    "Learn more",
)
_DAY = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\s+\d{1,2}\b",
    re.IGNORECASE,
)
GLUED_MIN_WORDS = 6  # a recurring sentence this long is looked for inside others too


@dataclass
class Detector:
    """Flags a chunk that carries a marker or a sentence its outlet repeats."""

    recurring: dict[str, set[str]]  # outlet -> normalised recurring sentences
    openers: dict[str, str]  # source -> its first sentence, normalised

    def kinds(self, outlet: str, source: str, text: str) -> set[str]:
        found = {"marker"} if any(m in text for m in MARKERS) else set()
        repeated = self.recurring.get(outlet, set())
        flat = _norm(text)
        for sentence in (_norm(s) for s in split_sentences(text)):
            if sentence in repeated:
                dateline = sentence == self.openers.get(source) and _DAY.search(sentence)
                found.add("dateline" if dateline else "recurring")
        if "recurring" not in found and any(
            s in flat for s in repeated if len(s.split()) >= GLUED_MIN_WORDS
        ):
            found.add("recurring")
        return found


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def detector(raw: Sequence[ArchiveArticle], least: int) -> Detector:
    articles: dict[str, Counter[str]] = defaultdict(Counter)
    openers = {}
    for a in raw:
        sentences = [_norm(s) for s in split_sentences(a.text)]
        articles[a.outlet].update({s for s in sentences if len(s.split()) >= 2})
        if sentences:
            openers[a.source] = sentences[0]
    recurring = {o: {s for s, n in c.items() if n >= least} for o, c in articles.items()}
    return Detector(recurring, openers)


def count(
    articles: Sequence[ArchiveArticle], find: Detector, *, remove_furniture: bool
) -> dict[str, int]:
    settings = Settings().chunking
    tally: Counter[str] = Counter()
    for a in articles:
        doc = a.as_document(remove_furniture=remove_furniture)
        for chunk in chunk_document(doc, settings.max_chars, settings.overlap_chars):
            kinds = find.kinds(a.outlet, a.source, chunk.text)
            tally["chunks"] += 1
            tally["furniture"] += bool(kinds - {"dateline"})
            for kind in kinds:
                tally[kind] += 1
            tally["dateline only"] += kinds == {"dateline"}
    return dict(tally)


def spread(articles: Sequence[ArchiveArticle], n: int) -> list[ArchiveArticle]:
    """`n` articles taken round the outlets in turn, each outlet's evenly through the CSV."""
    by_outlet: dict[str, list[ArchiveArticle]] = defaultdict(list)
    for a in articles:
        by_outlet[a.outlet].append(a)
    per = -(-n // len(by_outlet))
    picks = {o: arts[:: max(1, len(arts) // per)][:per] for o, arts in sorted(by_outlet.items())}
    out: list[ArchiveArticle] = []
    for i in range(per):
        out += [p[i] for p in picks.values() if i < len(p)]
    return out[:n]


def audit(raw: Sequence[ArchiveArticle], n: int, path: Path) -> dict[str, int]:
    """Every passage the archive reader removes from `n` articles that lose something,
    spread over the outlets, in context, to read."""
    model = furniture.learn((a.outlet, a.text) for a in raw)
    cleaned = {a.source: furniture.clean(a.text, model, a.outlet) for a in raw}
    touched = [a for a in raw if cleaned[a.source].removed]
    lines = [
        "# Page furniture removed from a spread of archive articles",
        "",
        f"{n} of the {len(touched)} articles that lose something, taken round the outlets. "
        "Each removed passage with up to 60 characters of the CSV's text either side "
        "(`«…»` marks the cut). Read to check that none is an article sentence.",
        "",
    ]
    tally: Counter[str] = Counter()
    for a in spread(touched, n):
        removed = cleaned[a.source].removed
        tally["articles"] += 1
        tally["passages"] += len(removed)
        lines += [f"## {a.source} ({a.outlet}): {a.title}", ""]
        flat = " ".join(a.text.split())
        cursor = 0
        for r in removed:
            at = flat.find(r.text, cursor)
            if at < 0:
                at = flat.find(r.text)
            else:
                cursor = at + len(r.text)
            before = flat[max(0, at - 60) : at] if at >= 0 else "?"
            after = flat[at + len(r.text) : at + len(r.text) + 60] if at >= 0 else "?"
            lines.append(f"- {r.rule}: …{before}«{r.text}»{after}…")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return dict(tally)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.furniture", description=__doc__)
    default = Settings().archive_dir / WHEEL_NAME
    parser.add_argument("--wheel", type=Path, default=default, help=f"default: {default}")
    parser.add_argument("--sample", type=int, default=SAMPLE, help="first N articles")
    parser.add_argument(
        "--recurring", type=int, default=6, help="detector: sentences in >= N articles"
    )
    parser.add_argument("--audit", type=int, default=50, help="articles to list cuts of")
    args = parser.parse_args(argv)
    if not args.wheel.is_file():
        print(
            f"error: {args.wheel}: no such file (run `rag archive --download-only`)",
            file=sys.stderr,
        )
        return 2
    # Counts, not timings: nothing here depends on how busy the machine is.
    raw = read_archive(args.wheel, remove_furniture=False).articles
    contents = read_archive(args.wheel)
    find = detector(raw, args.recurring)
    results: dict[str, dict[str, dict[str, int]]] = {}
    for name, n in ((f"first {args.sample}", args.sample), ("whole archive", len(raw))):
        results[name] = {
            "before": count(raw[:n], find, remove_furniture=False),
            "after": count(contents.articles[:n], find, remove_furniture=True),
        }
    removed = audit(raw, args.audit, RESULTS / "furniture-removed.md") if args.audit else {}
    rows = []
    for name, r in results.items():
        for when in ("before", "after"):
            t = r[when]
            rows.append(
                [name, when, t.get("chunks", 0), t.get("furniture", 0), t.get("marker", 0),
                 t.get("recurring", 0), t.get("dateline only", 0)]
            )  # fmt: skip
    print(table(
        ["articles", "text", "chunks", "furniture chunks", "with a marker",
         "with a recurring sentence", "dateline only (kept)"],
        rows,
    ))  # fmt: skip
    print(f"\nremoved at read time: {dict(contents.furniture)}")
    payload = {
        "results": results,
        "removed_by_rule": dict(contents.furniture),
        "audit": removed,
        "detector": {"markers": MARKERS, "recurring_articles": args.recurring},
        "machine": machine(),
    }
    path = save("furniture", payload)
    print(f"audit of {removed.get('articles', 0)} articles: {RESULTS / 'furniture-removed.md'}")
    print(f"JSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
