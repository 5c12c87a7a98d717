"""Conversation history: the `ConversationStore` protocol (`base`) and its SQLite and Postgres
backends."""
