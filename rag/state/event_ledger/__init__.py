"""Claims on chat-platform events, so each is answered once: the `EventLedger` protocol
(`base`) and its SQLite and Postgres backends. (Not `rag.answer.events`, which are the events
of one answer's stream.)"""
