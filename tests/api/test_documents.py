"""Upload, list and delete articles: replace-not-duplicate, safe file names, type checks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from rag.service import RagService
from rag.settings import Settings
from tests.api.conftest import ServiceFactory
from tests.servers import serve_app

# Made-up facts, so a hit can only come from the uploaded file.
OLD = (
    " date 2024-03-05 Quokka Island opens its first tidal power station\n\n"
    "The Quokka Island council said on Tuesday that the tidal turbines will supply 41 megawatts "
    "to the island's grid from next spring, enough for every home on the island.\n"
)
NEW = (
    " date 2024-03-06 Quokka Island tidal plant delayed by storms\n\n"
    "Storm damage to the harbour wall has pushed back the opening of the Quokka Island tidal "
    "power station, the council said on Wednesday, and the turbines will now supply 17 megawatts.\n"
)
LONG = " date 2024-03-07 A long report\n\n" + "".join(
    f"Paragraph {i} of the long report repeats its findings about harbour walls and storms.\n\n"
    for i in range(60)
)


@pytest.fixture
def env(service_factory: ServiceFactory) -> Iterator[tuple[TestClient, RagService, Settings]]:
    service, settings = service_factory()
    with TestClient(create_app(settings, service)) as c:
        yield c, service, settings


@pytest.fixture(scope="module")
def rejecting(service_factory: ServiceFactory) -> Iterator[tuple[TestClient, RagService, Settings]]:
    """Shared by the tests of rejected requests, which each check that nothing was stored."""
    service, settings = service_factory()
    with TestClient(create_app(settings, service)) as c:
        yield c, service, settings


def upload(c: TestClient, *files: tuple[str, bytes]) -> httpx.Response:
    return c.post("/v1/documents", files=[("files", (name, data)) for name, data in files])


def listing(c: TestClient) -> dict[str, dict[str, object]]:
    response = c.get("/v1/documents")
    assert response.status_code == 200
    return {d["source"]: d for d in response.json()}


def retrieved_text(c: TestClient, question: str) -> str:
    body = c.post("/v1/chat", json={"question": question}).json()
    return "\n".join(p["text"] for p in body["retrieved"])


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_listing_shows_the_ingested_corpus(env: tuple[TestClient, RagService, Settings]) -> None:
    c, service, _ = env
    docs = listing(c)

    assert len(docs) == 5
    assert sum(int(d["chunks"]) for d in docs.values()) == service.store.count()  # type: ignore[call-overload]
    lending = docs["000_f4d4d8ba4c92511d.txt"]
    assert lending["date"] == "2023-10-18"
    assert lending["complete"] is True
    assert len(str(lending["doc_id"])) == 16


def test_upload_then_question_finds_it(env: tuple[TestClient, RagService, Settings]) -> None:
    c, _, settings = env
    response = upload(c, ("quokka.txt", OLD.encode()))

    assert response.status_code == 200, response.text
    [result] = response.json()
    assert result["status"] == "added"
    assert result["source"] == "quokka.txt"
    assert result["date"] == "2024-03-05"
    assert result["chunks"] >= 1
    assert "quokka.txt" in listing(c)
    assert (settings.upload_dir / "quokka.txt").read_bytes() == OLD.encode()
    assert "41 megawatts" in retrieved_text(
        c, "How many megawatts will the Quokka Island turbines supply?"
    )


def test_reupload_replaces_and_never_duplicates(
    env: tuple[TestClient, RagService, Settings],
) -> None:
    c, service, settings = env
    corpus_chunks = service.store.count()
    first = upload(c, ("quokka.txt", LONG.encode())).json()[0]
    assert service.store.count() == corpus_chunks + first["chunks"]
    assert first["chunks"] > 1

    second = upload(c, ("quokka.txt", NEW.encode()))

    assert second.status_code == 200, second.text
    [result] = second.json()
    assert result["status"] == "replaced"
    assert result["doc_id"] == first["doc_id"]
    docs = listing(c)
    assert len(docs) == 6
    assert (
        docs["quokka.txt"]["chunks"]
        == result["chunks"]
        == len(service.store.chunks(first["doc_id"]))
    )
    assert service.store.count() == corpus_chunks + result["chunks"]
    # The old version is gone from both the vector store and the BM25 index.
    text = retrieved_text(c, "What does paragraph 7 of the long report say about harbour walls?")
    assert "Paragraph 7 of the long report" not in text
    assert "17 megawatts" in retrieved_text(
        c, "How many megawatts will the Quokka Island turbines supply?"
    )
    assert (settings.upload_dir / "quokka.txt").read_bytes() == NEW.encode()


def test_reupload_of_old_facts_is_not_retrievable(
    env: tuple[TestClient, RagService, Settings],
) -> None:
    c, _, _ = env
    upload(c, ("quokka.txt", OLD.encode()))
    upload(c, ("quokka.txt", NEW.encode()))

    text = retrieved_text(c, "How many megawatts will the Quokka Island turbines supply?")
    assert "17 megawatts" in text
    assert "41 megawatts" not in text


def test_same_content_again_is_unchanged(env: tuple[TestClient, RagService, Settings]) -> None:
    c, service, _ = env
    upload(c, ("quokka.txt", OLD.encode()))
    count = service.store.count()

    [result] = upload(c, ("quokka.txt", OLD.encode())).json()

    assert result["status"] == "unchanged"
    assert service.store.count() == count


def test_several_files_in_one_upload(env: tuple[TestClient, RagService, Settings]) -> None:
    c, _, _ = env
    response = upload(
        c,
        ("old.txt", OLD.encode()),
        ("new.md", NEW.encode()),
        (
            "page.html",
            b"<html><head><title>Kelp farms</title></head>"
            b"<body><p>Kelp farms grew 12 percent.</p></body></html>",
        ),
    )

    assert response.status_code == 200, response.text
    assert [r["source"] for r in response.json()] == ["old.txt", "new.md", "page.html"]
    assert {"old.txt", "new.md", "page.html"} <= set(listing(c))


def test_delete_removes_document_chunks_and_file(
    env: tuple[TestClient, RagService, Settings],
) -> None:
    c, service, settings = env
    before = service.store.count()
    [added] = upload(c, ("quokka.txt", OLD.encode())).json()

    response = c.delete(f"/v1/documents/{added['doc_id']}")

    assert response.status_code == 200, response.text
    assert response.json()["source"] == "quokka.txt"
    assert "quokka.txt" not in listing(c)
    assert service.store.count() == before
    assert not (settings.upload_dir / "quokka.txt").exists()
    assert "41 megawatts" not in retrieved_text(
        c, "How many megawatts will the Quokka Island turbines supply?"
    )
    assert c.delete(f"/v1/documents/{added['doc_id']}").status_code == 404


def test_delete_of_a_corpus_article(env: tuple[TestClient, RagService, Settings]) -> None:
    c, _, _ = env
    doc_id = listing(c)["000_f4d4d8ba4c92511d.txt"]["doc_id"]

    assert c.delete(f"/v1/documents/{doc_id}").status_code == 200
    assert "000_f4d4d8ba4c92511d.txt" not in listing(c)
    body = c.post(
        "/v1/chat", json={"question": "How much additional lending did Xi announce?"}
    ).json()
    assert "000_f4d4d8ba4c92511d.txt" not in {p["source"] for p in body["retrieved"]}


# --- what may not be uploaded ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.txt", "..\\..\\windows\\evil.txt", "/etc/passwd.txt", "a/b/../../c.txt"],
)
def test_path_in_file_name_is_stripped_to_a_name_in_the_upload_dir(
    env: tuple[TestClient, RagService, Settings], name: str, tmp_path: Path
) -> None:
    c, _, settings = env
    outside_before = files_under(settings.data_dir) - {
        f"uploads/{n}" for n in files_under(settings.upload_dir)
    }

    response = upload(c, (name, OLD.encode()))

    assert response.status_code == 200, response.text
    [result] = response.json()
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    assert result["source"] == base
    assert files_under(settings.upload_dir) == {base}
    # Nothing new anywhere else in the data dir, and nothing above it.
    outside_after = files_under(settings.data_dir) - {f"uploads/{base}"}
    assert {p for p in outside_after - outside_before if not p.startswith("chroma/")} == set()
    assert not (settings.data_dir.parent / base).exists()
    assert not (settings.upload_dir.parent.parent / "etc").exists()


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".hidden.txt",
        "..txt",
        "a..b.txt",
        "semi;colon.txt",
        "pipe|.txt",
        'quote".txt',
        "new\nline.txt",
        "tab\t.txt",
        "nul\x00.txt",
        "ünïcode.txt",
        "x" * 200 + ".txt",
        "*.txt",
        "..",
        ".",
    ],
)
def test_odd_file_names_are_400(
    rejecting: tuple[TestClient, RagService, Settings], name: str
) -> None:
    c, service, settings = rejecting
    before = service.store.count()

    response = upload(c, (name, OLD.encode()))

    assert response.status_code in (400, 422), response.text
    if name:  # an empty name is not a file part at all; FastAPI's validation answers 422
        assert response.status_code == 400
        assert "not allowed" in response.json()["detail"]
    assert service.store.count() == before
    assert not settings.upload_dir.exists() or files_under(settings.upload_dir) == set()


@pytest.mark.parametrize("name", ["report.pdf", "setup.exe", "notes", "image.PNG", "data.json"])
def test_unsupported_file_types_are_415(
    rejecting: tuple[TestClient, RagService, Settings], name: str
) -> None:
    c, service, _ = rejecting
    before = service.store.count()

    response = upload(c, (name, b"%PDF-1.4 binary"))

    assert response.status_code == 415
    assert "unsupported file type" in response.json()["detail"]
    assert service.store.count() == before


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00\x01\x02binary", "binary"),
        (b"caf\xe9 latin-1", "not UTF-8"),
        (b"", "no text"),
        (b"  \n ", "no text"),
    ],
)
def test_unreadable_content_is_422(
    rejecting: tuple[TestClient, RagService, Settings], data: bytes, reason: str
) -> None:
    c, _, _ = rejecting
    response = upload(c, ("bad.txt", data))

    assert response.status_code == 422
    assert reason in response.json()["detail"]


def test_one_bad_file_stores_nothing(rejecting: tuple[TestClient, RagService, Settings]) -> None:
    c, service, settings = rejecting
    before = service.store.count()

    response = upload(c, ("good.txt", OLD.encode()), ("bad.txt", b"\x00binary"))

    assert response.status_code == 422
    assert service.store.count() == before
    assert "good.txt" not in listing(c)
    assert not (settings.upload_dir / "good.txt").exists()


def test_one_bad_name_stores_nothing(rejecting: tuple[TestClient, RagService, Settings]) -> None:
    c, service, _ = rejecting
    before = service.store.count()

    response = upload(c, ("good.txt", OLD.encode()), ("evil.exe", b"MZ"))

    assert response.status_code == 415
    assert service.store.count() == before


def test_file_over_the_upload_limit_is_413(service_factory: ServiceFactory) -> None:
    service, settings = service_factory(api={"max_upload_bytes": 1024})
    with TestClient(create_app(settings, service)) as c:
        response = upload(c, ("big.txt", b"word " * 400))

    assert response.status_code == 413
    assert "1024-byte upload limit" in response.json()["detail"]


def test_upload_without_files_is_422(rejecting: tuple[TestClient, RagService, Settings]) -> None:
    c, _, _ = rejecting
    response = c.post("/v1/documents", data={"other": "x"})
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("doc_id", "status"),
    [
        ("0123456789ABCDEF", 400),
        ("0" * 17, 400),
        ("zzzzzzzzzzzzzzzz", 400),
        ("0123456789abcdef", 404),
        # Decoded to a path with more segments, so no route matches.
        ("..%2F..%2Fetc", 404),
    ],
)
def test_delete_with_a_malformed_or_unknown_id(
    rejecting: tuple[TestClient, RagService, Settings], doc_id: str, status: int
) -> None:
    c, _, _ = rejecting
    response = c.delete(f"/v1/documents/{doc_id}")
    assert response.status_code == status
    assert response.json()["detail"]


def test_upload_over_real_http(service_factory: ServiceFactory) -> None:
    service, settings = service_factory()
    with serve_app(create_app(settings, service)) as url:
        response = httpx.post(
            f"{url}/v1/documents",
            files=[
                ("files", ("../../etc/passwd.txt", OLD.encode())),
                ("files", ("b.md", NEW.encode())),
            ],
        )
        listed = httpx.get(f"{url}/v1/documents").json()

    assert response.status_code == 200, response.text
    assert [r["source"] for r in response.json()] == ["passwd.txt", "b.md"]
    assert {"passwd.txt", "b.md"} <= {d["source"] for d in listed}
    assert files_under(settings.upload_dir) == {"passwd.txt", "b.md"}


def test_concurrent_reuploads_leave_one_version(service_factory: ServiceFactory) -> None:
    # Four versions of one file at once, over real sockets: whichever lands last must be the
    # only one left, with no chunks of the others beside it.
    service, settings = service_factory()
    versions = [OLD, NEW, LONG, OLD + "A postscript.\n"]
    barrier = threading.Barrier(len(versions))
    statuses: list[int] = []

    with serve_app(create_app(settings, service)) as url:

        def put(text: str) -> None:
            barrier.wait()
            response = httpx.post(
                f"{url}/v1/documents", files=[("files", ("quokka.txt", text.encode()))], timeout=30
            )
            statuses.append(response.status_code)

        threads = [threading.Thread(target=put, args=(v,)) for v in versions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        [doc] = [d for d in httpx.get(f"{url}/v1/documents").json() if d["source"] == "quokka.txt"]

    assert statuses == [200] * len(versions)
    chunks = service.store.chunks(doc["doc_id"])
    assert len({c.content_hash for c in chunks}) == 1
    assert doc["chunks"] == len(chunks)
    stored = (settings.upload_dir / "quokka.txt").read_text(encoding="utf-8")
    assert chunks[0].text in stored


def test_too_many_files_in_one_upload_is_400(
    rejecting: tuple[TestClient, RagService, Settings],
) -> None:
    c, service, _ = rejecting
    before = service.store.count()

    response = upload(c, *[(f"f{i}.txt", OLD.encode()) for i in range(51)])

    assert response.status_code == 400
    assert "at most 50 files" in response.json()["detail"]
    assert service.store.count() == before
