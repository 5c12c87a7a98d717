"""The embedder seam: anything that turns texts into fixed-size vectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Embedder(Protocol):
    """Maps texts to L2-normalised vectors of length `dim`.

    >>> vectors = embedder.embed(["Xi met Putin in Astana."])
    >>> len(vectors[0]) == embedder.dim
    True
    """

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...
