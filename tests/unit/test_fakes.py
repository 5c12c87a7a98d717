"""The shipped fakes keep the contracts of what they stand in for."""

from __future__ import annotations

import pytest

from rag.store.base import VectorStore
from rag.testing.fakes import FakeStore
from rag.testing.store import StoreContract


class TestFakeStore(StoreContract):
    @pytest.fixture
    def store(self) -> VectorStore:
        return FakeStore()
