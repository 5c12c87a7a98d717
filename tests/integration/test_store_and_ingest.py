"""Real Chroma on disk: the shipped store contract, then ingest with the real MiniLM embedder."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from rag.documents.chunker import chunk_document
from rag.documents.loader import load_document, parse_document
from rag.embeddings.onnx_minilm import MiniLMEmbedder
from rag.errors import InvalidInput
from rag.ingest import embedding_text
from rag.service import RagService
from rag.store.base import VectorStore
from rag.store.chroma import ChromaStore
from rag.testing.store import StoreContract
from rag.types import Filters
from tests.conftest import ASTANA, BRI, CORPUS, MemoEmbedder


def test_real_embeddings_put_the_article_first_and_filters_hold(
    tmp_path: Path, embedder: MiniLMEmbedder
) -> None:
    """The contract's hand-made vectors, once more with MiniLM's over the sample articles."""
    store = ChromaStore("articles", embedder.name, path=tmp_path / "chroma")
    chunks = [c for p in sorted(CORPUS.iterdir()) for c in chunk_document(load_document(p))]
    store.upsert(chunks, embedder.embed([embedding_text(c) for c in chunks]))
    assert store.count() == len(chunks)
    query = embedder.embed(["additional $100 billion loans Belt and Road lenders"])[0]
    hits = store.query(query, 3, Filters())
    assert BRI in {c.source for c, _ in hits}  # dense alone; hybrid puts it first
    assert hits[0][1] >= hits[1][1] >= hits[2][1]
    only_2024 = store.query(query, 50, Filters(date_from=date(2024, 1, 1)))
    assert only_2024 and all(c.date and c.date.year == 2024 for c, _ in only_2024)
    one_file = store.query(query, 50, Filters(sources=(ASTANA,)))
    assert {c.source for c, _ in one_file} == {ASTANA}


class TestChromaOnDisk(StoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> VectorStore:
        return ChromaStore("articles", "contract-vectors", path=tmp_path / "chroma")


def test_store_refuses_vectors_from_another_embedder(tmp_path: Path) -> None:
    ChromaStore("articles", "model-a", path=tmp_path)
    with pytest.raises(InvalidInput, match="built with embedder 'model-a'"):
        ChromaStore("articles", "model-b", path=tmp_path)


def test_reingest_is_a_no_op_and_a_changed_file_replaces_its_chunks(
    make_service: Callable[..., RagService], tmp_path: Path
) -> None:
    service = make_service(ingest=False)
    folder = tmp_path / "articles"
    folder.mkdir()
    article = folder / "a.txt"
    article.write_text(" date 2024-07-04 Summit news\n\nXi met Putin on Wednesday in Astana.")
    first = service.ingest([folder])
    assert first.added == ["a.txt"] and first.chunks_written == 1
    again = service.ingest([folder])
    assert again.unchanged == ["a.txt"] and again.chunks_written == 0
    article.write_text(" date 2024-07-04 Summit news\n\nXi met Putin on Thursday in Astana.")
    changed = service.ingest([folder])
    assert changed.replaced == ["a.txt"]
    (doc,) = service.documents()
    assert doc.chunks == 1 and doc.complete
    texts = [c.text for c in service.store.chunks()]
    assert texts == ["Summit news\n\nXi met Putin on Thursday in Astana."]


def test_a_file_stored_with_its_furniture_is_replaced_when_ingested_again(
    make_service: Callable[..., RagService], tmp_path: Path
) -> None:
    service = make_service(ingest=False)
    folder = tmp_path / "articles"
    folder.mkdir()
    data = (CORPUS / "003_891f867d674dd8be.txt").read_bytes()
    (folder / "beijing.txt").write_bytes(data)
    # Stored as before: the scraped "Advertisement" line in the text and as the title, under
    # chunk ids made from the file's sha256.
    old = parse_document(data, "beijing.txt", remove_furniture=False)
    assert service.ingest_documents([old]).added == ["beijing.txt"]
    assert {c.title for c in service.store.chunks()} == {"Advertisement"}

    report = service.ingest([folder])
    assert report.replaced == ["beijing.txt"] and report.chunks_written > 0
    chunks = service.store.chunks()
    assert not any("Advertisement" in c.text or c.title == "Advertisement" for c in chunks)
    assert all(c.title.startswith("Russian President Vladimir Putin") for c in chunks)
    (doc,) = service.documents()
    assert doc.complete and doc.chunks == len(chunks) == chunks[0].total
    assert service.ingest([folder]).unchanged == ["beijing.txt"]


def test_a_bad_file_is_reported_and_the_rest_still_ingests(
    make_service: Callable[..., RagService], tmp_path: Path
) -> None:
    service = make_service(ingest=False)
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text("A perfectly good article about the summit.")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00\x00binary")
    report = service.ingest([folder])
    assert report.added == ["good.txt"]
    assert [s for s, _ in report.failed] == ["bad.txt"]
    assert service.store.count() == 1


def test_an_interrupted_ingest_is_completed_by_the_next_run(
    make_service: Callable[..., RagService], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = make_service(ingest=False)
    store = service.store
    real_upsert = store.upsert
    calls = {"n": 0}

    def crash_on_third(chunks, vectors):  # type: ignore[no-untyped-def]
        # Writes half of the batch, then "dies": some articles end up partly stored.
        calls["n"] += 1
        half = len(chunks) // 2
        real_upsert(chunks[:half], vectors[:half])
        raise KeyboardInterrupt("killed mid-ingest")

    monkeypatch.setattr(store, "upsert", crash_on_third)
    service.ingestor._store = store  # same object; the patch is on the instance
    with pytest.raises(KeyboardInterrupt):
        service.ingest([CORPUS])
    assert any(not d.complete for d in service.documents())  # really left half-written
    monkeypatch.setattr(store, "upsert", real_upsert)
    report = service.ingest([CORPUS])
    assert report.ok
    docs = service.documents()
    assert len(docs) == 5 and all(d.complete for d in docs)
    ids = [c.chunk_id for c in store.chunks()]
    assert len(ids) == len(set(ids)) == sum(d.chunks for d in docs)


@pytest.mark.parametrize(
    ("question", "source"),
    [
        ("On what date did Xi and Putin meet at the SCO summit in Astana?", ASTANA),
        ("How much additional lending did Xi announce for the Belt and Road Initiative?", BRI),
        ("How many times have Xi and Putin met in the past ten years?", "002_77e1ef7318c197bb.txt"),
    ],
)
def test_hybrid_retrieval_finds_the_source(
    make_service: Callable[..., RagService], question: str, source: str
) -> None:
    passages = make_service().retrieve(question)
    assert source in {p.chunk.source for p in passages}


def test_retrieval_filters(make_service: Callable[..., RagService]) -> None:
    service = make_service()
    passages = service.retrieve(
        "Xi and Putin meeting", Filters(date_from=date(2024, 7, 1), date_to=date(2024, 7, 31))
    )
    assert passages and {p.chunk.source for p in passages} == {ASTANA}


def test_langchain_retriever_adapter(make_service: Callable[..., RagService]) -> None:
    from rag.retrieval.langchain_adapter import NewsRetriever

    retriever = NewsRetriever(service=make_service(), k=2)
    docs = retriever.invoke("extra Belt and Road lending $100 billion")
    assert len(docs) == 2
    assert docs[0].metadata["source"] == BRI
    assert "100 billion" in docs[0].page_content


def test_filtered_search_is_the_same_from_the_wide_fetch_and_from_chroma(
    tmp_path: Path, embedder: MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rag.store.chroma as chroma_module

    store = ChromaStore("articles", embedder.name, path=tmp_path)
    chunks = [c for p in sorted(CORPUS.iterdir()) for c in chunk_document(load_document(p))]
    store.upsert(chunks, embedder.embed([embedding_text(c) for c in chunks]))
    query = embedder.embed(["Xi and Putin meet"])[0]
    cases = [
        Filters(date_to=date(2023, 12, 31)),
        Filters(date_from=date(2024, 5, 1), date_to=date(2024, 5, 31)),
        Filters(sources=(ASTANA, BRI)),
    ]
    wide = [[c.chunk_id for c, _ in store.query(query, 3, f)] for f in cases]
    monkeypatch.setattr(chroma_module, "OVERFETCH", 1)  # forces Chroma's own filtered path
    narrow = [[c.chunk_id for c, _ in store.query(query, 3, f)] for f in cases]
    assert wide == narrow
    assert all(len(ids) == 3 for ids in wide)
    undated = {c.chunk_id for c in chunks if c.date is None}
    assert not undated & set(wide[0])


def test_minilm_returns_vectors_in_input_order_though_it_embeds_by_length(
    embedder: MemoEmbedder,
) -> None:
    model = embedder.inner
    assert isinstance(model, MiniLMEmbedder)
    texts = ["a much longer sentence about floods in the town of Velmora " * 3, "short", "mid text"]
    together = model.embed(texts)
    alone = [model.embed([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert sum(x * y for x, y in zip(a, b, strict=True)) > 0.999
