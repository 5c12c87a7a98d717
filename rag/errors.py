"""Errors raised by the library, each with a message that says what to do.

The CLI prints `str(error)` on one line; the HTTP layer maps the classes to status codes once.
"""

from pathlib import Path


class RagError(Exception):
    """Base class: anything the user can fix or must be told about."""


class InvalidInput(RagError):
    """The question, file or request is unusable as given (HTTP 400/413/415/422)."""


class DocumentError(InvalidInput):
    """A file could not be read as an article (missing, binary, not UTF-8, empty)."""


class UnsupportedFileType(DocumentError):
    """The file is not one of the article formats (HTTP 415)."""


class NotFound(RagError):
    """A named document or conversation does not exist."""


class EmptyCorpus(RagError):
    """Nothing has been ingested yet, so there is nothing to answer from."""


class BackendUnavailable(RagError):
    """The model, embedder or store did not answer (HTTP 503)."""


class ModelNotInstalled(BackendUnavailable):
    """The embedded model packages are missing."""


class DiskFull(BackendUnavailable):
    """The data folder's disk has no room for a write (HTTP 507). The write was undone or
    never began, so what was stored before is intact; re-running after freeing space stores
    the rest once."""

    def __init__(self, data_dir: Path) -> None:
        super().__init__(
            f"no space left in RAG_DATA_DIR ({data_dir}): free space and re-run; "
            "nothing stored was lost"
        )
        self.data_dir = data_dir
