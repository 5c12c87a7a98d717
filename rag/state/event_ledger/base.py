"""Which chat-platform events are being answered, shared by every worker and host.

Slack redelivers an event when it got no ack in 3 s, when a proxy dropped the first delivery,
or when the process answering it died. The ledger lets exactly one process answer each event:
a redelivery is dropped only while another claim on the same event is alive or finished.

`SqliteEventLedger` (`rag.state.event_ledger.sqlite`) serves the workers of one data folder,
`PostgresEventLedger` (`rag.state.event_ledger.postgres`) every host on one database.
"""

from __future__ import annotations

from typing import Literal, Protocol

EventState = Literal["answering", "lapsed", "finished"]

# How long a finished claim, or one whose lease lapsed, is kept before it is pruned: the same
# for every backend. Slack's last retry comes about five minutes after the event, so a day is
# far more than any redelivery needs, and the table stays a day of events long.
RETENTION_S = 24 * 3600.0
# Pruning is a DELETE: each ledger object runs it at its first claim, then at most this often.
PRUNE_EVERY_S = 60.0


class EventLedger(Protocol):
    """Claims on event ids, so each event is answered exactly once across processes and hosts.

    >>> ledger.claim("Ev1", lease_s=300)
    True
    >>> ledger.claim("Ev1", lease_s=300)  # a redelivery while the first is being answered
    False

    A claim belongs to the ledger object that made it: only that object's `release` gives it
    up. Rows are pruned `RETENTION_S` after they finish or their lease lapses, never while a
    lease is alive. `rag.testing.event_ledger.EventLedgerContract` is what each backend must
    pass.
    """

    def claim(self, event_id: str, lease_s: float) -> bool:
        """True when the caller should answer: the event is new, or an earlier claim lapsed
        (its process died) or was released, without `finish`."""
        ...

    def finish(self, event_id: str) -> None:
        """The answer was posted: later deliveries of this event are dropped for good, whoever
        holds the claim now (even none: the claim lapsed and its taker released it)."""
        ...

    def release(self, event_id: str) -> None:
        """Answering failed before any reply was posted: a redelivery may claim it again.

        Gives up only the claim this object made and still holds: a no-op when it holds none
        (never claimed here, already settled, or its lease lapsed and another took it over),
        so a late failure never frees another process's live claim."""
        ...

    def state(self, event_id: str) -> EventState | None:
        """`answering` (lease alive), `lapsed` (its worker died or overran the lease: the next
        delivery may claim it), `finished`, or None when never claimed, released or pruned."""
        ...
