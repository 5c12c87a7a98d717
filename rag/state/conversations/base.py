"""The `ConversationStore` protocol: turns per conversation, shared by every worker and host.

`SqliteConversationStore` (`rag.state.conversations.sqlite`) serves every worker of one host;
several hosts share `PostgresConversationStore` (`rag.state.conversations.postgres`) instead,
chosen by `RAG_CONVERSATIONS__URL` in `rag.factory.build_conversations`.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from rag.errors import NotFound
from rag.types import Turn


class ConversationStore(Protocol):
    """Turns per conversation id; the last `max_turns` are the history a follow-up sees.

    Every process and host that shares one store sees each other's turns at once, and
    concurrent appends to one conversation get consecutive sequence numbers. Text reads back
    as it was appended, except NUL characters, which every backend drops (Postgres cannot
    store them in text).

    >>> cid = store.new_id()
    >>> store.append(cid, Turn("Who met in Astana?", "Xi and Putin [1]."), [])
    >>> store.history(cid)
    [Turn(question='Who met in Astana?', answer='Xi and Putin [1].')]

    Implementations that subclass this protocol inherit `new_id` and `require`;
    `rag.testing.conversations.ConversationStoreContract` is what each must pass.
    """

    def new_id(self) -> str:
        return uuid.uuid4().hex

    def history(self, conversation_id: str) -> list[Turn]:
        """The last turns of the conversation, oldest first; [] for an unknown id."""
        ...

    def exists(self, conversation_id: str) -> bool:
        """True once the conversation has at least one turn."""
        ...

    def require(self, conversation_id: str) -> None:
        """Raise `NotFound` (HTTP 404) for a conversation that has no turns."""
        if not self.exists(conversation_id):
            raise NotFound(f"conversation {conversation_id!r} not found")

    def append(self, conversation_id: str, turn: Turn, citations: list[dict[str, object]]) -> None:
        """Store one turn as the conversation's next (sequence numbers never collide)."""
        ...


def storable(text: str) -> str:
    """`text` without NUL characters: Postgres refuses them in text and jsonb, and a question
    may carry one (it is not blank), so every backend drops them and they agree."""
    return text.replace("\x00", "")


def storable_citations(value: object) -> object:
    """Citations (JSON-like) with `storable` applied to every string, keys included."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return {storable(str(k)): storable_citations(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable_citations(v) for v in value]
    return value
