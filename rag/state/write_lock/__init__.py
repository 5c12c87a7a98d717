"""One writer at a time for uploads and deletes: the `WriteLock` protocol (`base`), the file
lock of one host and the Postgres advisory lock of several."""
