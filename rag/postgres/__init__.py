"""State that several API hosts share in one PostgreSQL database (`RAG_CONVERSATIONS__URL`):
conversations, chat-platform event claims and the upload lock. Needs the `postgres` extra."""
