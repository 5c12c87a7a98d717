"""Upload, list and delete articles. Uploaded files are kept under the data dir, by a safe name."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.schemas import DocumentOut, DocumentTextOut, ErrorOut, UploadResult
from rag.disk import is_disk_full
from rag.documents.loader import check_file_type, parse_document
from rag.errors import BackendUnavailable, DiskFull, InvalidInput
from rag.settings import Settings
from rag.state.write_lock.base import WriteLock

log = logging.getLogger("newsrag.api")
router = APIRouter()
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,150}$")
MAX_FILES = 50


def get_write_lock(request: Request) -> WriteLock:
    # Storing a document and writing its file happen as one step: two uploads of one name that
    # interleave would leave the store holding one version and the upload dir the other (or
    # fail on their shared temporary file). One writer at a time: per thread, per worker
    # process and, with the shared database, per host (rag.state.write_lock).
    return request.app.state.write_lock  # type: ignore[no-any-return]


WriteLockDep = Annotated[WriteLock, Depends(get_write_lock)]


@contextmanager
def _writing(lock: WriteLock) -> Iterator[None]:
    """`lock.hold()`, with a lock file that cannot be opened (a read-only data folder) as a
    503 that changed nothing rather than a 500."""
    with ExitStack() as stack:
        try:
            stack.enter_context(lock.hold())
        except OSError as exc:
            raise BackendUnavailable(
                f"cannot take the write lock: {exc.strerror or exc}; is the data folder writable?"
            ) from None
        yield


def safe_source_name(filename: str | None) -> str:
    """The file's base name, or an error: no folders, no dot-dot, no odd characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or not _SAFE_NAME.match(name) or ".." in name:
        raise InvalidInput(
            f"file name {filename!r} is not allowed: use letters, digits, '.', '_', '-' and spaces"
        )
    check_file_type(name)
    return name


@router.post(
    "/v1/documents",
    response_model=list[UploadResult],
    responses={code: {"model": ErrorOut} for code in (400, 401, 413, 415, 422, 503, 507)},
)
async def upload(
    files: list[UploadFile], service: ServiceDep, settings: SettingsDep, lock: WriteLockDep
) -> list[UploadResult]:
    if not files:
        raise InvalidInput("send at least one file in the multipart field 'files'")
    if len(files) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files per upload")
    # Check every file before storing any, so one bad file cannot leave a half-done upload.
    prepared: list[tuple[str, bytes]] = []
    for upload_file in files:
        name = safe_source_name(upload_file.filename)
        data = await upload_file.read(settings.api.max_upload_bytes + 1)
        if len(data) > settings.api.max_upload_bytes:
            raise HTTPException(
                413, f"{name}: over the {settings.api.max_upload_bytes}-byte upload limit"
            )
        # Parsing here too catches binary, non-UTF-8 and empty files before any file is stored.
        parse_document(data, name)
        prepared.append((name, data))
    return [await run_in_threadpool(_store, service, lock, settings, n, d) for n, d in prepared]


def _store(
    service: ServiceDep, lock: WriteLock, settings: Settings, name: str, data: bytes
) -> UploadResult:
    """Store one article and keep its copy, all or nothing: a 503 (507 for a full disk)
    means nothing changed.

    The copy is written first (a read-only data folder fails there, before the store is
    touched), the store write rolls itself back when it fails, and only then is the copy put
    in place.
    """
    folder = settings.upload_dir
    target = (folder / name).resolve()
    if target.parent != folder.resolve():
        raise InvalidInput(f"file name {name!r} is not allowed")
    with _writing(lock):
        tmp = target.with_name(f".{target.name}.tmp")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if is_disk_full(exc, folder, writing=False):
                raise DiskFull(settings.data_dir) from None
            raise BackendUnavailable(
                f"cannot keep the upload in {folder}: {exc.strerror or exc}; nothing was stored"
            ) from None
        try:
            stored, report = service.add_document(data, name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        try:
            tmp.replace(target)
        except OSError as exc:
            # The article is stored, which is what the client asked for; the copy is extra.
            log.warning("%s is stored but its copy could not be kept: %s", name, exc)
    status = "replaced" if report.replaced else "unchanged" if report.unchanged else "added"
    return UploadResult(**DocumentOut.from_stored(stored).model_dump(), status=status)


@router.get("/v1/documents", response_model=list[DocumentOut])
def list_documents(service: ServiceDep) -> list[DocumentOut]:
    return [DocumentOut.from_stored(d) for d in service.documents()]


def _check_doc_id(doc_id: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{16}", doc_id):
        raise InvalidInput(f"{doc_id!r} is not a document id (16 hex characters)")


@router.get(
    "/v1/documents/{doc_id}/text",
    response_model=DocumentTextOut,
    responses={code: {"model": ErrorOut} for code in (400, 401, 404, 503)},
)
def document_text(doc_id: str, service: ServiceDep) -> DocumentTextOut:
    """The article's text as ingested, for a reader checking a citation: a citation's `start`
    and `end` index into `text`."""
    _check_doc_id(doc_id)
    return DocumentTextOut.from_text(service.document_text(doc_id))


@router.delete(
    "/v1/documents/{doc_id}",
    response_model=DocumentOut,
    responses={code: {"model": ErrorOut} for code in (400, 401, 404, 503)},
)
def delete_document(
    doc_id: str, service: ServiceDep, settings: SettingsDep, lock: WriteLockDep
) -> DocumentOut:
    _check_doc_id(doc_id)
    with _writing(lock):
        doc = service.document(doc_id)
        uploaded = settings.upload_dir / doc.source
        # The copy is moved aside first and put back if the store fails: a 503 leaves both
        # as they were, a 200 leaves neither.
        aside = uploaded.with_name(f".{uploaded.name}.deleting")
        kept = uploaded.resolve().parent == settings.upload_dir.resolve() and uploaded.exists()
        if kept:
            try:
                uploaded.replace(aside)
            except OSError as exc:
                raise BackendUnavailable(
                    f"cannot remove the upload copy {doc.source}: {exc.strerror or exc}; "
                    "nothing was deleted"
                ) from None
        try:
            service.delete_document(doc_id)
        except BaseException:
            if kept:
                aside.replace(uploaded)
            raise
        if kept:
            try:
                aside.unlink()
            except OSError as exc:
                log.warning("%s is deleted but its copy could not be removed: %s", doc_id, exc)
    return DocumentOut.from_stored(doc)
