"""The contracts every backend of a seam must pass, and in-memory fakes: shipped in the package
so that a backend written outside newsrag can run the same tests as the built-in ones.

Needs pytest (a dev dependency: `pip install -e '.[dev]'`); nothing in the service imports
this package.

- `store.StoreContract`: `VectorStore` (rag/store/base.py), every method
- `keyword_index.KeywordIndexContract`: `KeywordIndex` (rag/retrieval/keyword.py)
- `conversations.ConversationStoreContract`: `ConversationStore` (rag/state/conversations)
- `event_ledger.EventLedgerContract`: `EventLedger` (rag/state/event_ledger)
- `write_lock.WriteLockContract`: `WriteLock` (rag/state/write_lock)
- `fakes.FakeStore` (passes `StoreContract`) and `fakes.FakeRetriever`

A contract is a class of pytest tests that takes its backend from a fixture; subclass it in a
test module under the name pytest collects (`Test…`) and define that fixture:

    from rag.testing.store import StoreContract

    class TestMyStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path: Path) -> VectorStore:
            return MyStore(tmp_path / "db")

Each contract module's docstring says what its fixture must return.
"""
