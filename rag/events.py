"""Which chat-platform events are being answered, shared by every worker and host.

Slack redelivers an event when it got no ack in 3 s, when a proxy dropped the first delivery,
or when the process answering it died. The ledger lets exactly one process answer each event:
a redelivery is dropped only while another claim on the same event is alive or finished.
"""

from __future__ import annotations

from typing import Protocol


class EventLedger(Protocol):
    """Claims on event ids, so each event is answered exactly once across processes and hosts.

    >>> ledger.claim("Ev1", lease_s=300)
    True
    >>> ledger.claim("Ev1", lease_s=300)  # a redelivery while the first is being answered
    False
    """

    def claim(self, event_id: str, lease_s: float) -> bool:
        """True when the caller should answer: the event is new, or an earlier claim lapsed
        (its process died) or was released, without `finish`."""
        ...

    def finish(self, event_id: str) -> None:
        """The answer was posted: later deliveries of this event are dropped for good."""
        ...

    def release(self, event_id: str) -> None:
        """Answering failed before any reply was posted: a redelivery may claim it again."""
        ...
